// The folders that hold the socket in a place other users can write to (/tmp without XDG_RUNTIME_DIR): each is
// created private or, when it exists, trusted only if it is the user's own private folder, as OpenSSH and tmux do.
// Otherwise another local user could plant the folder and swap the socket, or plant a pid file.
import { lstatSync, mkdirSync } from "node:fs";

export class UnsafeSocketFolderError extends Error {
  constructor(folder: string, problem: string) {
    super(
      `verbatimd keeps its socket in ${folder}, which ${problem}: another user could use it to impersonate the ` +
        `daemon. Remove it (rm -r ${folder}) if you did not make it, or make it yours and private ` +
        `(chmod 700 ${folder}), then start again; or set XDG_RUNTIME_DIR to a folder only you can use.`,
    );
    this.name = "UnsafeSocketFolderError";
  }
}

/** Creates (mode 0700) or checks each folder, outermost first; throws UnsafeSocketFolderError for an unsafe one. */
export function ensurePrivateFolders(folders: readonly string[], uid = process.getuid?.()): void {
  for (const folder of folders) {
    try {
      mkdirSync(folder, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const stats = lstatSync(folder);
    const mode = stats.mode & 0o777;
    const problem = stats.isSymbolicLink()
      ? "is a symbolic link"
      : !stats.isDirectory()
        ? "is not a folder"
        : uid !== undefined && stats.uid !== uid
          ? `belongs to another user (uid ${stats.uid})`
          : mode & 0o077
            ? `other users can open (mode ${mode.toString(8).padStart(4, "0")}, not 0700)`
            : null;
    if (problem) throw new UnsafeSocketFolderError(folder, problem);
  }
}
