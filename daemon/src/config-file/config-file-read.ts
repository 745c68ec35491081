// Reading config.json safely, for every reader and writer of it (the daemon, its edits, the CLI): a config.json that
// is a named pipe or a link to a device would hang whoever reads it (a daemon started by the CLI, MCP or Raycast, for
// good), so it is opened as a regular file only and read up to a size limit.
import { closeSync } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { IrregularFileError, openRegular, openRegularSync, readStart, readStartSync } from "../regular-file-read";

/** Far more than any settings need (the defaults are about 1 KiB; the vocabulary's lists are capped). */
export const MAX_CONFIG_BYTES = 1024 * 1024;

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
    fd = openRegularSync(file);
  } catch (error) {
    if (isMissing(error)) return null;
    throw readError(file, error);
  }
  try {
    return textOf(file, readStartSync(fd, MAX_CONFIG_BYTES));
  } catch (error) {
    throw readError(file, error);
  } finally {
    closeSync(fd);
  }
}

/** `file` opened for reading once it is known to be a regular file; null when there is none. Throws ConfigReadError. */
export async function openConfigFile(file: string): Promise<FileHandle | null> {
  try {
    return await openRegular(file);
  } catch (error) {
    if (isMissing(error)) return null;
    throw readError(file, error);
  }
}

/** What the open config file holds now, from its start (up to the limit). Throws ConfigReadError. */
export async function readOpenConfigFile(file: string, handle: FileHandle): Promise<string> {
  try {
    return textOf(file, await readStart(handle, MAX_CONFIG_BYTES));
  } catch (error) {
    throw readError(file, error);
  }
}

function textOf(file: string, bytes: Buffer): string {
  if (bytes.length > MAX_CONFIG_BYTES) {
    throw new ConfigReadError(
      file,
      `it holds more than ${MAX_CONFIG_BYTES / 1024 / 1024} MiB, far more than settings take`,
    );
  }
  return bytes.toString("utf8");
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === "ENOENT";
}

function readError(file: string, error: unknown): ConfigReadError {
  if (error instanceof ConfigReadError) return error;
  if (error instanceof IrregularFileError) return new ConfigReadError(file, `it is ${error.kind}, not a regular file`);
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EACCES" || code === "EPERM") return new ConfigReadError(file, "it cannot be read (permission denied)");
  return new ConfigReadError(file, `it cannot be read (${(error as Error).message})`);
}
