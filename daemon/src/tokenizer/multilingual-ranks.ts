import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseTiktokenRanks, Ranks } from "./ranks";

/** openai/whisper's multilingual.tiktoken, shipped with the daemon (daemon/assets/tokenizer/README.md). */
export const MULTILINGUAL_RANKS_FILE = join(__dirname, "..", "..", "assets", "tokenizer", "multilingual.tiktoken");

/** The mergeable ranks of the multilingual vocabulary (ids below its first special token, 50257). */
export const MULTILINGUAL_RANK_COUNT = 50257;

/** The multilingual vocabulary's ranks, read from the file that ships with the daemon: no network involved. */
export async function loadMultilingualRanks(file: string = MULTILINGUAL_RANKS_FILE): Promise<Ranks> {
  const reinstall =
    "it ships with Verbatim: restore it with `git checkout -- daemon/assets/tokenizer` in the Verbatim folder";
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new Error(`Could not read the multilingual vocabulary ${file} (${(error as Error).message}); ${reinstall}`);
  }
  let ranks: Uint8Array[];
  try {
    ranks = parseTiktokenRanks(text, file);
  } catch (error) {
    throw new Error(`${(error as Error).message}: the file is damaged; ${reinstall}`);
  }
  if (ranks.length !== MULTILINGUAL_RANK_COUNT) {
    throw new Error(
      `The multilingual vocabulary ${file} holds ${ranks.length} tokens, not ${MULTILINGUAL_RANK_COUNT}; ${reinstall}`,
    );
  }
  return ranks;
}
