// The history's files (the database with its -wal and -shm, kept recordings) hold what the user said: only the user
// may read them (0600), whatever the umask and whatever an older version or a restored backup left.
import { chmodSync, closeSync, openSync, readdirSync, type Dirent } from "node:fs";
import path from "node:path";

export const PRIVATE_FILE_MODE = 0o600;

/** Makes `file` readable by the user alone; a file that is not there is left so. */
export function makePrivate(file: string): void {
  try {
    chmodSync(file, PRIVATE_FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}

/** Creates `file` empty if it is not there (as the user's alone), so that what is then written into it is private. */
export function createPrivate(file: string): void {
  try {
    closeSync(openSync(file, "wx", PRIVATE_FILE_MODE));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  makePrivate(file); // the umask may have taken more away than 0600 asks
}

/** Makes every file in `folder` private (no folder: nothing to do). */
export function makeFolderFilesPrivate(folder: string): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(folder, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  for (const entry of entries) if (entry.isFile()) makePrivate(path.join(folder, entry.name));
}
