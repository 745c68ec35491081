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
  private readonly ids = new Map<string, number>();
  private readonly longest: number;

  constructor(private readonly pieces: readonly string[]) {
    pieces.forEach((piece, id) => {
      if (!this.ids.has(piece)) this.ids.set(piece, id);
    });
    this.longest = Math.max(0, ...pieces.map((piece) => Array.from(piece).length));
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
      for (const split of [this.fewest(text), this.greedy(text)]) {
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

  /** The pieces of chars[i, j) when it is one piece, or a single character's byte pieces. */
  private piecesOf(chars: readonly string[], i: number, j: number): number[] | null {
    const id = this.ids.get(chars.slice(i, j).join(""));
    if (id !== undefined) return [id];
    if (j !== i + 1) return null;
    const bytes = Array.from(new TextEncoder().encode(chars[i]), (byte) =>
      this.ids.get(`<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`),
    );
    return bytes.every((b) => b !== undefined) ? (bytes as number[]) : null;
  }

  private fewest(text: string): number[] | null {
    const chars = Array.from(text);
    // best[i]: the fewest pieces for chars[i..], and the first of them.
    const best: Array<{ count: number; first: number[]; next: number } | null> = new Array(chars.length + 1).fill(null);
    best[chars.length] = { count: 0, first: [], next: chars.length };
    for (let i = chars.length - 1; i >= 0; i--) {
      for (let j = Math.min(chars.length, i + this.longest); j > i; j--) {
        const rest = best[j];
        const pieces = rest && this.piecesOf(chars, i, j);
        if (rest && pieces && (!best[i] || rest.count + 1 < best[i]!.count)) {
          best[i] = { count: rest.count + 1, first: pieces, next: j };
        }
      }
    }
    if (!best[0]) return null;
    const out: number[] = [];
    for (let i = 0; i < chars.length; i = best[i]!.next) out.push(...best[i]!.first);
    return out;
  }

  private greedy(text: string): number[] | null {
    const chars = Array.from(text);
    const out: number[] = [];
    for (let i = 0; i < chars.length;) {
      let j = Math.min(chars.length, i + this.longest);
      let pieces: number[] | null = null;
      for (; j > i && !(pieces = this.piecesOf(chars, i, j)); j--);
      if (!pieces) return null;
      out.push(...pieces);
      i = j;
    }
    return out;
  }
}
