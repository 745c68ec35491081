import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { formatTiktokenRanks, parseTiktokenRanks, Ranks, ranksFromVocabJson } from "./ranks";

/** Fetches a file of a Hugging Face repository (the model store's download) and returns its text. */
export type HubFileLoader = (repo: string, file: string) => Promise<string>;

export interface MultilingualRanksOptions {
  /** The openai/whisper-* repository whose vocab.json holds the ranks. */
  repo: string;
  /** First special token id: ids below it are the mergeable ranks. */
  firstSpecial: number;
  /** Folder for the converted ranks, so the hub is asked once. */
  cacheDir: string;
  loadHubFile: HubFileLoader;
}

/** The openai repository whose vocab.json matches a multilingual vocabulary. */
export function vocabularyRepository(nVocab: number): string {
  return nVocab >= 51866 ? "openai/whisper-large-v3" : "openai/whisper-large-v2";
}

/** Multilingual ranks, from the cache when it holds them, else from the repository's vocab.json (then cached). */
export async function loadMultilingualRanks(options: MultilingualRanksOptions): Promise<Ranks> {
  const cachePath = join(options.cacheDir, `${options.repo.replace(/\//g, "--")}.tiktoken`);
  const cached = await readCachedRanks(cachePath, options.firstSpecial);
  if (cached) return cached;

  const source = `vocab.json of ${options.repo}`;
  let vocabJson: string;
  try {
    vocabJson = await options.loadHubFile(options.repo, "vocab.json");
  } catch (error) {
    throw new Error(
      `Could not download the ${source}, which multilingual models need for their text (${(error as Error).message}). ` +
        "Check the internet connection and try again; it is downloaded once.",
    );
  }
  const ranks = ranksFromVocabJson(vocabJson, options.firstSpecial, source);
  await writeAtomically(cachePath, formatTiktokenRanks(ranks));
  return ranks;
}

/** A cache file that is missing, unreadable or of another size is rebuilt, not trusted. */
async function readCachedRanks(path: string, expectedCount: number): Promise<Ranks | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return undefined;
  }
  try {
    const ranks = parseTiktokenRanks(text, path);
    return ranks.length === expectedCount ? ranks : undefined;
  } catch {
    return undefined;
  }
}

async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text);
  await rename(temporary, path);
}
