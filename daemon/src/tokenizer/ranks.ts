import { get_encoding, Tiktoken } from "tiktoken";
import { byteLevelTokenBytes } from "./byteLevelUnicode";

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
  return new Tiktoken(formatTiktokenRanks(ranks, { skipEmpty: true }), {}, WHISPER_PATTERN);
}

/** The `.tiktoken` text format: one "base64 rank" line per token. */
export function formatTiktokenRanks(ranks: Ranks, { skipEmpty = false } = {}): string {
  const lines: string[] = [];
  ranks.forEach((bytes, rank) => {
    if (!(skipEmpty && bytes.length === 0)) lines.push(`${Buffer.from(bytes).toString("base64")} ${rank}`);
  });
  return lines.join("\n") + "\n";
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

/**
 * Ranks from a Hugging Face `vocab.json` (byte-level token string → id). Ids from `firstSpecial` on are special
 * tokens and are left out. openai's vocabulary holds one empty token (50256) that some exports omit: a single
 * missing id becomes an empty token, more mean the file is not a Whisper vocabulary.
 */
export function ranksFromVocabJson(vocabJson: string, firstSpecial: number, source: string): Uint8Array[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(vocabJson);
  } catch (error) {
    throw new Error(`${source} is not valid JSON (${(error as Error).message}); delete it so it is downloaded again`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${source} is not a JSON object of token → id; delete it so it is downloaded again`);
  }
  const ranks: Array<Uint8Array | undefined> = new Array(firstSpecial).fill(undefined);
  for (const [token, id] of Object.entries(parsed)) {
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0) {
      throw new Error(`${source}: token ${JSON.stringify(token)} has id ${JSON.stringify(id)}, not a token id`);
    }
    if (id >= firstSpecial) continue;
    const bytes = byteLevelTokenBytes(token);
    if (!bytes) throw new Error(`${source}: token ${JSON.stringify(token)} (id ${id}) is not a byte-level BPE token`);
    if (ranks[id]) throw new Error(`${source}: id ${id} is given to two tokens`);
    ranks[id] = bytes;
  }
  const missing = ranks.flatMap((bytes, id) => (bytes ? [] : [id]));
  if (missing.length > 1) {
    throw new Error(
      `${source} lacks ${missing.length} of the ${firstSpecial} Whisper tokens (first: ${missing[0]}); ` +
        "it is not the vocabulary of a Whisper model",
    );
  }
  return ranks.map((bytes) => bytes ?? new Uint8Array(0));
}
