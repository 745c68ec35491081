import { get_encoding, Tiktoken } from "tiktoken";

/** A BPE vocabulary: the bytes of each mergeable token, indexed by rank (= token id). */
export type Ranks = readonly Uint8Array[];

/** Whisper's (GPT-2's) pre-tokenisation pattern. */
export const WHISPER_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/** The English-only vocabulary: the tiktoken package's "gpt2" encoding and its ranks. */
export function englishEncoding(): { encoding: Tiktoken; ranks: Ranks } {
  const encoding = get_encoding("gpt2");
  const ranks: Uint8Array[] = [];
  // gpt2 has 50256 mergeable tokens; <|endoftext|> (50256) is its only special token.
  for (let rank = 0; rank < 50256; rank++) ranks.push(encoding.decode_single_token_bytes(rank));
  return { encoding, ranks };
}

/** A tiktoken encoder over the given ranks with Whisper's pattern (special tokens are handled by id, not text). */
export function encodingFromRanks(ranks: Ranks): Tiktoken {
  // tiktoken cannot hold an empty token; multilingual rank 50256 is one and no text ever encodes to it.
  const lines: string[] = [];
  ranks.forEach((bytes, rank) => {
    if (bytes.length > 0) lines.push(`${Buffer.from(bytes).toString("base64")} ${rank}`);
  });
  return new Tiktoken(lines.join("\n") + "\n", {}, WHISPER_PATTERN);
}

/** Parses the `.tiktoken` format; every rank from 0 to the highest must be present exactly once. */
export function parseTiktokenRanks(text: string, source: string): Uint8Array[] {
  const ranks: Uint8Array[] = [];
  const lines = text.split("\n").filter((line) => line.length > 0);
  for (const [index, line] of lines.entries()) {
    const match = /^([A-Za-z0-9+/]*=*) (\d+)$/.exec(line);
    const rank = match ? Number(match[2]) : NaN;
    if (!match || rank >= lines.length || ranks[rank] !== undefined) {
      throw new Error(`${source} line ${index + 1} is not a "base64 rank" line of a complete vocabulary`);
    }
    ranks[rank] = new Uint8Array(Buffer.from(match[1], "base64"));
  }
  return ranks;
}
