// Reading config.json safely, for every reader and writer of it (the daemon, its edits, the CLI). Opening a named
// pipe blocks until a writer comes, and a link to a device such as /dev/zero never ends: either would hang whoever
// reads it (a daemon started by the CLI, MCP or Raycast, for good). So the file is checked before it is opened,
// opened without blocking, checked again in case it was swapped in between, and read only up to a size limit.
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from "node:fs";
import { open, stat, type FileHandle } from "node:fs/promises";
import { irregularKind } from "../file-kind";

/** Far more than any settings need (the defaults are about 1 KiB; the vocabulary's lists are capped). */
export const MAX_CONFIG_BYTES = 1024 * 1024;

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/** config.json exists but cannot be read: `reason` says why, in words that follow "it" ("is a named pipe…"). */
export class ConfigReadError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file} cannot be used: ${reason}`);
    this.name = "ConfigReadError";
  }
}

/** The text of `file`; null when there is none. Throws ConfigReadError. */
export function readConfigTextSync(file: string): string | null {
  let fd: number;
  try {
    refuseIrregular(file, statSync(file));
    fd = openSync(file, OPEN_FLAGS);
  } catch (error) {
    if (isMissing(error)) return null;
    throw readError(file, error);
  }
  try {
    refuseIrregular(file, fstatSync(fd));
    const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const read = readSync(fd, buffer, filled, buffer.length - filled, filled);
      if (read === 0) break;
      filled += read;
    }
    return textOf(file, buffer, filled);
  } catch (error) {
    throw readError(file, error);
  } finally {
    closeSync(fd);
  }
}

/** `file` opened for reading once it is known to be a regular file; null when there is none. Throws ConfigReadError. */
export async function openConfigFile(file: string): Promise<FileHandle | null> {
  let handle: FileHandle;
  try {
    refuseIrregular(file, await stat(file));
    handle = await open(file, OPEN_FLAGS);
  } catch (error) {
    if (isMissing(error)) return null;
    throw readError(file, error);
  }
  try {
    refuseIrregular(file, await handle.stat());
    return handle;
  } catch (error) {
    await handle.close();
    throw readError(file, error);
  }
}

/** What the open config file holds now, from its start (up to the limit). Throws ConfigReadError. */
export async function readOpenConfigFile(file: string, handle: FileHandle): Promise<string> {
  try {
    const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return textOf(file, buffer, filled);
  } catch (error) {
    throw readError(file, error);
  }
}

function textOf(file: string, buffer: Buffer, length: number): string {
  if (length > MAX_CONFIG_BYTES) {
    throw new ConfigReadError(
      file,
      `it holds more than ${MAX_CONFIG_BYTES / 1024 / 1024} MiB, far more than settings take`,
    );
  }
  return buffer.subarray(0, length).toString("utf8");
}

function refuseIrregular(file: string, stats: Stats): void {
  const what = irregularKind(stats);
  if (what !== null) throw new ConfigReadError(file, `it is ${what}, not a regular file`);
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === "ENOENT";
}

function readError(file: string, error: unknown): ConfigReadError {
  if (error instanceof ConfigReadError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EACCES" || code === "EPERM") return new ConfigReadError(file, "it cannot be read (permission denied)");
  return new ConfigReadError(file, `it cannot be read (${(error as Error).message})`);
}
