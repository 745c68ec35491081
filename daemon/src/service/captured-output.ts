// The files the daemon's stdout and stderr go to when a file captures them: verbatimd.out.log, which
// `verbatim daemon start` opens for appending, or launchd's StandardOutPath and StandardErrorPath (verbatimd.out.log,
// verbatimd.err.log). The log lines themselves go to verbatimd.log only (logger.ts), so these hold only what bypasses
// it (a crash's stack, a library's warning); they are still kept under a cap. The daemon inherited them and cannot
// reopen them, so one past the cap is copied to NAME.1 and emptied in place, as logrotate's copytruncate does: both
// openers append, so writing goes on at the new end. (systemd hands stdout and stderr to its journal, which bounds
// itself.)
import { copyFileSync, fstatSync, ftruncateSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

/** The size a captured output file grows to before it is emptied (its content kept in NAME.1). */
export const MAX_CAPTURED_BYTES = 10 * 1024 * 1024;
const CHECK_EVERY_MS = 60_000;

/** Whether `fd` is a regular file (as opposed to a terminal, a pipe, a socket or /dev/null). */
export function isCapturedToFile(fd: number): boolean {
  try {
    return fstatSync(fd).isFile();
  } catch {
    return false;
  }
}

/**
 * Keeps stdout and stderr, where they are files of the log folder, under `maxBytes`: checked now and every minute.
 * Returns what stops the checks.
 */
export function boundCapturedOutput(logDir: string, maxBytes = MAX_CAPTURED_BYTES): () => void {
  const check = () => {
    for (const fd of [1, 2]) trimIfFull(fd, logDir, maxBytes);
  };
  check();
  const timer = setInterval(check, CHECK_EVERY_MS).unref();
  return () => clearInterval(timer);
}

function trimIfFull(fd: number, logDir: string, maxBytes: number): void {
  try {
    const open = fstatSync(fd);
    if (!open.isFile() || open.size <= maxBytes) return;
    const file = fileOf(open, logDir);
    if (!file) return; // a file outside the log folder, which someone else chose: not ours to empty
    copyFileSync(file, `${file}.1`);
    ftruncateSync(fd, 0);
  } catch {
    // A full disk or a removed folder must not take the daemon down.
  }
}

/** The file of the log folder that is `open` (the same device and inode), if any. */
function fileOf(open: { dev: number; ino: number }, logDir: string): string | null {
  for (const name of readdirSync(logDir)) {
    const file = path.join(logDir, name);
    const stats = statSync(file, { throwIfNoEntry: false });
    if (stats?.dev === open.dev && stats.ino === open.ino) return file;
  }
  return null;
}
