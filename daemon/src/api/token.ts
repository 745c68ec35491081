// The API's bearer token: a random secret in a file only the user can read (0600, in the config folder), created
// when first needed and replaced on request. The daemon reads the file for every request, so a rotation counts at once.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

export const TOKEN_FILE_NAME = "api-token";

export function tokenFile(configDir: string): string {
  return path.join(configDir, TOKEN_FILE_NAME);
}

/** The token in `file`, or null when there is none. */
export function readToken(file: string): string | null {
  try {
    const token = readFileSync(file, "utf8").trim();
    return token.length > 0 ? token : null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

/** The token, made first if there is none yet. */
export function ensureToken(file: string): string {
  const token = readToken(file);
  if (token) {
    chmodSync(file, 0o600); // a copy restored from a backup may have come back readable by others
    return token;
  }
  return rotateToken(file);
}

/** Writes a new token in place of the old one (which stops working at once) and returns it. */
export function rotateToken(file: string): string {
  const token = `vbt-${randomBytes(32).toString("base64url")}`;
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    writeFileSync(temporary, `${token}\n`, { mode: 0o600, flag: "wx" });
    renameSync(temporary, file);
  } finally {
    rmSync(temporary, { force: true });
  }
  return token;
}

/** Whether `presented` is the token, in time that does not depend on where they differ. */
export function tokenMatches(token: string, presented: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(token), digest(presented));
}
