// SentencePiece pieces to text, as a Parakeet model's vocabulary (config.json's joint.vocabulary) needs: "▁" marks a
// word boundary (a space), "<0xNN>" pieces are single bytes (byte fallback), every other piece is its own UTF-8 text.
// Bytes are joined before decoding, so characters split across byte pieces come out whole; an invalid or cut
// sequence becomes U+FFFD. No native or Python sentencepiece is involved.

const WORD_BOUNDARY = "\u2581";
const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;

export class PieceDecoder {
  private readonly bytes: Uint8Array[];
  private readonly wordStarts: boolean[];

  constructor(readonly pieces: readonly string[]) {
    const encoder = new TextEncoder();
    this.bytes = pieces.map((piece) => {
      const byte = BYTE_PIECE.exec(piece);
      return byte ? Uint8Array.of(parseInt(byte[1], 16)) : encoder.encode(piece.split(WORD_BOUNDARY).join(" "));
    });
    this.wordStarts = pieces.map((piece) => piece.startsWith(WORD_BOUNDARY));
  }

  get size(): number {
    return this.pieces.length;
  }

  /** The bytes of one token id. Throws RangeError for an id outside the vocabulary. */
  tokenBytes(id: number): Uint8Array {
    if (!Number.isInteger(id) || id < 0 || id >= this.bytes.length) {
      throw new RangeError(`Token id ${id} is outside the vocabulary of ${this.bytes.length} pieces`);
    }
    return this.bytes[id];
  }

  /** Every token's bytes, in id order (what the engine's setVocabulary takes). */
  allTokenBytes(): Uint8Array[] {
    return this.bytes.slice();
  }

  /** True when the token starts a word ("▁" first). */
  startsWord(id: number): boolean {
    this.tokenBytes(id);
    return this.wordStarts[id];
  }

  /** The pieces joined as they are: "▁" as a space (a leading one kept), byte pieces as bytes. */
  piecesToText(ids: readonly number[]): string {
    const parts = ids.map((id) => this.tokenBytes(id));
    const joined = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
    let offset = 0;
    for (const part of parts) {
      joined.set(part, offset);
      offset += part.length;
    }
    return new TextDecoder("utf-8", { fatal: false, ignoreBOM: true }).decode(joined);
  }

  /** SentencePiece's decode: the pieces' text without the space of the first word boundary. */
  decode(ids: readonly number[]): string {
    const text = this.piecesToText(ids);
    return text.startsWith(" ") ? text.slice(1) : text;
  }
}

/**
 * Text to SentencePiece pieces, for boosting a term (the engine's phrase boosting takes piece ids). A Parakeet folder
 * holds its pieces but not their scores, so SentencePiece's own choice of split is not known: a term is split two
 * ways, into the fewest pieces (ties: the longer piece first) and by the longest piece at each point from the left,
 * as NeMo offers a term's alternative splits (BPE dropout) to its boosting tree; a character no piece holds is its
 * UTF-8 bytes' "<0xNN>" pieces where the vocabulary has them.
 */
export class PieceEncoder {
  /** The pieces as a tree of their characters: a node's `id` is the piece its path spells. */
  private readonly root: PieceNode = { next: new Map() };
  private readonly bytePieces = new Map<number, number>();

  constructor(private readonly pieces: readonly string[]) {
    pieces.forEach((piece, id) => {
      const byte = BYTE_PIECE.exec(piece);
      if (byte) this.bytePieces.set(parseInt(byte[1], 16), id);
      let node = this.root;
      for (const char of piece) {
        let next = node.next.get(char);
        if (!next) node.next.set(char, (next = { next: new Map() }));
        node = next;
      }
      node.id ??= id;
    });
  }

  /**
   * The term's splits as a word of its own ("▁" before it and for each space in it), with its first letter as written
   * and capitalised (a sentence may begin with it); duplicates once. A split is left out when some character has
   * neither a piece nor byte pieces, or when it begins with a bare "▁" (as NeMo leaves such alternatives out: the
   * model writes a word's first piece with its mark): empty when none is left.
   */
  splits(term: string): number[][] {
    const words = term.trim().split(/\s+/u).filter(Boolean);
    if (words.length === 0) return [];
    const written = WORD_BOUNDARY + words.join(WORD_BOUNDARY);
    const capitalised = WORD_BOUNDARY + written.charAt(1).toUpperCase() + written.slice(2);
    const seen = new Set<string>();
    const out: number[][] = [];
    for (const text of [written, capitalised]) {
      const matches = this.matches(Array.from(text));
      for (const split of [fewest(matches), greedy(matches)]) {
        if (split === null || this.pieces[split[0]] === WORD_BOUNDARY) continue;
        const key = split.join(",");
        if (!seen.has(key)) {
          seen.add(key);
          out.push(split);
        }
      }
    }
    return out;
  }

  /**
   * For each character, the pieces that start there, longest first: where each ends and its ids (one piece, or a
   * single character's byte pieces).
   */
  private matches(chars: readonly string[]): Match[][] {
    return chars.map((char, i) => {
      const found: Match[] = [];
      let node: PieceNode | undefined = this.root;
      for (let j = i; j < chars.length && (node = node.next.get(chars[j])); j++) {
        if (node.id !== undefined) found.unshift({ end: j + 1, ids: [node.id] });
      }
      if (!found.some((match) => match.end === i + 1)) {
        const bytes = Array.from(new TextEncoder().encode(char), (byte) => this.bytePieces.get(byte));
        if (bytes.every((id) => id !== undefined)) found.push({ end: i + 1, ids: bytes as number[] });
      }
      return found;
    });
  }
}

interface PieceNode {
  id?: number;
  next: Map<string, PieceNode>;
}

interface Match {
  end: number;
  ids: number[];
}

/** The split into the fewest pieces (ties: the longer piece first), or null. */
function fewest(matches: readonly Match[][]): number[] | null {
  const n = matches.length;
  // best[i]: the fewest pieces for characters i.., and the first of them.
  const best: Array<{ count: number; first: Match } | null> = new Array(n + 1).fill(null);
  best[n] = { count: 0, first: { end: n, ids: [] } };
  for (let i = n - 1; i >= 0; i--) {
    for (const match of matches[i]) {
      const rest = best[match.end];
      if (rest && (!best[i] || rest.count + 1 < best[i]!.count)) best[i] = { count: rest.count + 1, first: match };
    }
  }
  if (!best[0]) return null;
  const out: number[] = [];
  for (let i = 0; i < n; i = best[i]!.first.end) out.push(...best[i]!.first.ids);
  return out;
}

/** The split by the longest piece at each point from the left, or null. */
function greedy(matches: readonly Match[][]): number[] | null {
  const out: number[] = [];
  for (let i = 0; i < matches.length;) {
    const longest = matches[i][0];
    if (!longest) return null;
    out.push(...longest.ids);
    i = longest.end;
  }
  return out;
}
