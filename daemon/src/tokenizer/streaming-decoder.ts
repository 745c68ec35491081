import type { Tokenizer } from "./tokenizer";

/**
 * Turns token ids into text as they arrive. A character whose UTF-8 bytes are split across tokens is held back
 * until its last byte arrives, so no piece of text ever ends in half a character.
 */
export class StreamingDecoder {
  private readonly utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

  constructor(private readonly tokenizer: Tokenizer) {}

  /** The text completed by these tokens (special and timestamp tokens add none). */
  push(ids: readonly number[]): string {
    return this.utf8.decode(this.tokenizer.textBytes(ids), { stream: true });
  }

  /** The end of the stream: bytes still held back (an unfinished character) come out as U+FFFD. */
  flush(): string {
    return this.utf8.decode();
  }
}
