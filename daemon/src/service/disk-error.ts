// A file the daemon must write (an upload, a job's decoded samples) that the disk does not take: told as such, with
// what to do, instead of the file system's own text ("ENOSPC: no space left on device, write").

const REASONS: Record<string, string> = {
  ENOSPC: "the disk is full",
  EDQUOT: "the disk quota is used up",
  EFBIG: "the file is larger than the daemon may write (a file-size limit, ulimit -f)",
  EROFS: "the file system is read-only",
};

/** Why a job could not go on: the disk did not take what it had to write. */
export class DiskError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DiskError";
  }
}

/**
 * The error as a DiskError when the disk refused the write (full, over quota or a size limit, read-only), else
 * undefined. `what` names what was being written, `folder` where.
 */
export function diskError(error: unknown, what: string, folder: string): DiskError | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = code === undefined ? undefined : REASONS[code];
  if (!reason) return undefined;
  return new DiskError(
    `verbatimd could not write ${what} in ${folder}: ${reason}. Free some space on that disk and try again ` +
      "(a job's audio takes about 230 MB an hour there while it is transcribed).",
    { cause: error },
  );
}
