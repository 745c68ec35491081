import type { FileHandle } from "node:fs/promises";
import { IrregularFileError, openRegular } from "../regular-file-read";
import { AudioError, displayName } from "./audio-error";

/** Opens an audio file for reading, refusing anything but a regular file (see regular-file-read.ts for why). */
export async function openRegularFile(path: string): Promise<FileHandle> {
  try {
    return await openRegular(path);
  } catch (error) {
    throw openError(path, error);
  }
}

function openError(path: string, error: unknown): Error {
  if (error instanceof IrregularFileError) {
    return new AudioError(
      "not-found",
      path,
      `${path} is not a file but ${error.kind}: Verbatim reads only regular files. Choose an audio file, or save the ` +
        "audio to one first.",
    );
  }
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
