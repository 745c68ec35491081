// Paths the login service and the capture command keep for a long time must survive upgrades of what they name.
import { realpathSync } from "node:fs";

// Homebrew installs each version in <prefix>/Cellar/<formula>/<version>/ (deleted by `brew upgrade`) and keeps
// <prefix>/opt/<formula> linked to the current one. On macOS process.execPath is the resolved Cellar path.
const CELLAR_PATH = /^(.+)\/Cellar\/([^/]+)\/[^/]+\/(.+)$/;

/**
 * The same file through Homebrew's version-independent `opt` link when it lives in a versioned Cellar folder (and
 * that link names the very same file today); otherwise the path as given.
 */
export function upgradeProofPath(file: string, realpath: (file: string) => string = realpathSync): string {
  const match = CELLAR_PATH.exec(file);
  if (!match) return file;
  const [, prefix, formula, rest] = match;
  const linked = `${prefix}/opt/${formula}/${rest}`;
  try {
    return realpath(linked) === realpath(file) ? linked : file;
  } catch {
    return file;
  }
}

/** Why a path will stop working after an upgrade (a versioned Homebrew or version-manager folder), or null. */
export function versionedPathProblem(file: string): string | null {
  if (CELLAR_PATH.test(file)) return "a versioned Homebrew Cellar folder, which `brew upgrade` deletes";
  if (/\/\.(nvm|fnm|volta|asdf)\/|\/\.local\/share\/(fnm|mise)\//.test(file))
    return "a Node version manager's folder, which goes when that Node version is removed";
  return null;
}
