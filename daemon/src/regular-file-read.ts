// Opening and reading files that must be regular files (audio, config.json). A named pipe blocks open() and read()
// until a writer comes, and a device such as /dev/zero never ends: either would hang the reader for good. So the path
// is checked before it is opened, opened without blocking, checked again in case it was swapped in between, and read
// only up to a limit.
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from "node:fs";
import { open, stat, type FileHandle } from "node:fs/promises";
import { irregularKind } from "./file-kind";

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/** The path is not a regular file: `kind` says what it is ("a named pipe (FIFO)", "a folder"…). */
export class IrregularFileError extends Error {
  constructor(
    readonly path: string,
    readonly kind: string,
  ) {
    super(`${path} is ${kind}, not a regular file`);
    this.name = "IrregularFileError";
  }
}

/** `path` opened for reading once it is known to be a regular file. Throws IrregularFileError or the fs error. */
export async function openRegular(path: string): Promise<FileHandle> {
  refuseIrregular(path, await stat(path));
  const handle = await open(path, OPEN_FLAGS);
  try {
    refuseIrregular(path, await handle.stat());
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** The synchronous openRegular: a file descriptor the caller closes. */
export function openRegularSync(path: string): number {
  refuseIrregular(path, statSync(path));
  const fd = openSync(path, OPEN_FLAGS);
  try {
    refuseIrregular(path, fstatSync(fd));
    return fd;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** The file's first bytes, at most `limit + 1` of them: more than `limit` says the file is over it. */
export async function readStart(handle: FileHandle, limit: number): Promise<Buffer> {
  const buffer = Buffer.alloc(limit + 1);
  let filled = 0;
  while (filled < buffer.length) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** The synchronous readStart. */
export function readStartSync(fd: number, limit: number): Buffer {
  const buffer = Buffer.alloc(limit + 1);
  let filled = 0;
  while (filled < buffer.length) {
    const read = readSync(fd, buffer, filled, buffer.length - filled, filled);
    if (read === 0) break;
    filled += read;
  }
  return buffer.subarray(0, filled);
}

function refuseIrregular(path: string, stats: Stats): void {
  const kind = irregularKind(stats);
  if (kind !== null) throw new IrregularFileError(path, kind);
}
