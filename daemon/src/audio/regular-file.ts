import { constants, type Stats } from "node:fs";
import { open, stat, type FileHandle } from "node:fs/promises";
import { irregularKind } from "../file-kind";
import { AudioError, displayName } from "./audio-error";

/**
 * Opens an audio file for reading, refusing anything but a regular file. A named pipe would block open() and
 * read() for good (and with them the job, every job behind it and the daemon's shutdown), so the path is checked
 * before it is opened, opened without blocking, and checked again in case it was swapped in between.
 */
export async function openRegularFile(path: string): Promise<FileHandle> {
  let file: FileHandle;
  try {
    refuseIrregular(path, await stat(path));
    file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw openError(path, error);
  }
  try {
    refuseIrregular(path, await file.stat());
    return file;
  } catch (error) {
    await file.close();
    throw error;
  }
}

function refuseIrregular(path: string, stats: Stats): void {
  const what = irregularKind(stats);
  if (what === null) return;
  throw new AudioError(
    "not-found",
    path,
    `${path} is not a file but ${what}: Verbatim reads only regular files. Choose an audio file, or save the audio ` +
      "to one first.",
  );
}

function openError(path: string, error: unknown): Error {
  if (error instanceof AudioError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  const name = displayName(path);
  if (code === "ENOENT") return new AudioError("not-found", path, `${path} does not exist. Check the file path.`);
  if (code === "EACCES" || code === "EPERM") {
    return new AudioError(
      "not-found",
      path,
      `${name} cannot be read (permission denied). Check the file's permissions.`,
    );
  }
  return new AudioError("not-found", path, `${name} cannot be opened: ${(error as Error).message}.`);
}
