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
