/**
 * The Hugging Face hub cache layout, as huggingface_hub (Python) and @huggingface/hub write it:
 *   models--org--name/blobs/<etag>                      file contents, named by sha256 (LFS) or git blob sha1
 *   models--org--name/snapshots/<commit>/<file>         relative symlinks into blobs/
 *   models--org--name/refs/<revision>                   the commit a branch pointed to, no trailing newline
 * Partial downloads live beside their blob as `<etag>.incomplete` (the name both clients resume from).
 */
import { mkdir, readFile, readdir, realpath, rename, stat, symlink, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { getRepoFolderName } from "@huggingface/hub";
import { type ModelFiles, modelFileNames, selectModelFiles } from "./model-files";
import { weightsLengthProblem } from "./weights-check";

export function repoFolder(cacheDir: string, repoId: string): string {
  return join(cacheDir, getRepoFolderName({ type: "model", name: repoId }));
}

export function locksFolder(cacheDir: string, repoId: string): string {
  return join(cacheDir, ".locks", getRepoFolderName({ type: "model", name: repoId }));
}

export function blobPath(repoFolderPath: string, etag: string): string {
  return join(repoFolderPath, "blobs", etag);
}

export function snapshotFolder(repoFolderPath: string, commit: string): string {
  return join(repoFolderPath, "snapshots", commit);
}

export async function readRef(repoFolderPath: string, revision: string): Promise<string | undefined> {
  try {
    return (await readFile(join(repoFolderPath, "refs", revision), "utf8")).trim();
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

export async function writeRef(repoFolderPath: string, revision: string, commit: string): Promise<void> {
  const path = join(repoFolderPath, "refs", revision);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, commit);
}

/** Points `snapshots/<commit>/<file>` at the blob with a relative symlink, replacing any previous entry. */
export async function linkSnapshotFile(linkPath: string, blob: string): Promise<void> {
  await mkdir(dirname(linkPath), { recursive: true });
  const temporary = `${linkPath}.${process.pid}.link`;
  await symlink(relative(dirname(linkPath), blob), temporary);
  await rename(temporary, linkPath);
}

/** Whether the snapshot entry is a link resolving to exactly this blob. */
export async function linksTo(linkPath: string, blob: string): Promise<boolean> {
  try {
    return (await realpath(linkPath)) === (await realpath(blob));
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

export interface CachedSnapshot {
  commit: string;
  folder: string;
  files: ModelFiles;
}

/**
 * The snapshot to load: the one the revision's ref points to if it holds a complete model, otherwise the newest
 * complete one (an interrupted update leaves the ref on a snapshot that is still filling).
 */
export async function findCompleteSnapshot(
  repoFolderPath: string,
  revision: string,
): Promise<CachedSnapshot | undefined> {
  const referenced = await readRef(repoFolderPath, revision);
  if (referenced) {
    const snapshot = await completeSnapshot(repoFolderPath, referenced);
    if (snapshot) return snapshot;
  }
  const others = await snapshotsNewestFirst(repoFolderPath);
  for (const commit of others.filter((name) => name !== referenced)) {
    const snapshot = await completeSnapshot(repoFolderPath, commit);
    if (snapshot) return snapshot;
  }
  return undefined;
}

async function completeSnapshot(repoFolderPath: string, commit: string): Promise<CachedSnapshot | undefined> {
  const folder = snapshotFolder(repoFolderPath, commit);
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
  const selected = selectModelFiles(names);
  if (!("files" in selected)) return undefined;
  for (const name of modelFileNames(selected.files)) {
    if (!(await isWholeBlob(join(folder, name)))) return undefined;
  }
  if (await weightsLengthProblem(join(folder, selected.files.weights))) return undefined;
  return { commit, folder, files: selected.files };
}

async function snapshotsNewestFirst(repoFolderPath: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(join(repoFolderPath, "snapshots"));
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
  const dated = await Promise.all(
    names.map(async (name) => ({ name, time: (await stat(snapshotFolder(repoFolderPath, name))).mtimeMs })),
  );
  return dated.sort((a, b) => b.time - a.time).map((entry) => entry.name);
}

/**
 * Follows symlinks: a link whose blob is gone, or that points at a partial download (`<etag>.incomplete`, as a
 * copy or an interrupted tool may leave it), does not count.
 */
async function isWholeBlob(path: string): Promise<boolean> {
  try {
    const stats = await stat(path);
    return stats.isFile() && stats.size > 0 && !(await realpath(path)).endsWith(PARTIAL_SUFFIX);
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

/** The name of a blob's partial download. */
export function partialPath(blob: string): string {
  return `${blob}${PARTIAL_SUFFIX}`;
}

const PARTIAL_SUFFIX = ".incomplete";

export async function fileSize(path: string): Promise<number | undefined> {
  try {
    const stats = await stat(path);
    return stats.isFile() ? stats.size : undefined;
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

export function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}
