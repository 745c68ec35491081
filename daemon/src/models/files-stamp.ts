/**
 * What the files behind a model name look like on disk, in one string: its folder's files, or its hub repositories'
 * refs, snapshots and blobs in the cache. A download (by Verbatim or any other tool), a repaired folder or a removed
 * model changes it, so a load that failed can be tried again exactly when something it read has changed. Only
 * `stat` and `readdir`, a few levels deep and at most MAX_ENTRIES entries: cheap enough to ask before every job.
 */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { repoFolder } from "./cache-layout";
import { interpretModelName } from "./model-reference";

/** A folder model's files; a repository's `refs/main`, `snapshots/<commit>/<file>` and `blobs/<blob>`. */
const FOLDER_DEPTH = 1;
const REPO_DEPTH = 3;
const MAX_ENTRIES = 2000;

export async function modelFilesStamp(name: string, cacheDir: string): Promise<string> {
  let places: { path: string; depth: number }[];
  try {
    const reference = await interpretModelName(name);
    if (reference.kind === "folder") places = [{ path: reference.path, depth: FOLDER_DEPTH }];
    else {
      const repos =
        reference.kind === "catalog" ? [reference.model.repoId, ...reference.model.fallbacks] : [reference.repoId];
      places = repos.map((repoId) => ({ path: repoFolder(cacheDir, repoId), depth: REPO_DEPTH }));
    }
  } catch (error) {
    // Not a model name: nothing on disk stands for it (a folder of that name made later is read at a restart).
    return `not a model name: ${error instanceof Error ? error.message : String(error)}`;
  }
  const lines: string[] = [];
  for (const place of places) await describeTree(place.path, place.depth, lines);
  return lines.join("\n");
}

/** One line per entry (links followed: a snapshot's file is its blob): size and time of last change, or why not. */
async function describeTree(path: string, depth: number, lines: string[]): Promise<void> {
  if (lines.length >= MAX_ENTRIES) return;
  let stats;
  try {
    stats = await stat(path);
  } catch (error) {
    lines.push(`${path} ${(error as NodeJS.ErrnoException).code ?? "unreadable"}`);
    return;
  }
  lines.push(`${path} ${stats.size} ${stats.mtimeMs} ${stats.ino}`);
  if (!stats.isDirectory() || depth === 0) return;
  let names: string[];
  try {
    names = (await readdir(path)).sort();
  } catch (error) {
    lines.push(`${path}/ ${(error as NodeJS.ErrnoException).code ?? "unreadable"}`);
    return;
  }
  for (const name of names) await describeTree(join(path, name), depth - 1, lines);
}
