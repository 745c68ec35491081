/** What went wrong, so callers (the daemon protocol, the CLI) can react without parsing messages. */
export type ModelStoreErrorCode =
  | "unknown-model" // the name is neither an alias, a repo id nor a model folder
  | "not-on-hub" // the repository does not exist (or is private)
  | "not-downloaded" // offline and not in the cache
  | "not-a-model" // the folder or repository lacks config.json or weights
  | "network" // the hub could not be reached or a transfer broke off
  | "integrity" // a downloaded file does not match its listed size or hash
  | "disk" // the cache cannot be written (full, read-only, no permission)
  | "busy" // the model is being downloaded
  | "cancelled";

export class ModelStoreError extends Error {
  constructor(
    readonly code: ModelStoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ModelStoreError";
  }
}

export function describeCause(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : "";
    return `${error.message}${cause}`;
  }
  return String(error);
}

const DISK_PROBLEMS: Record<string, string> = {
  ENOSPC: "the disk is full",
  EDQUOT: "the disk quota is used up",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EROFS: "the file system is read-only",
};

/** A failure to write into the cache, told as such (not as a network problem), or undefined for other errors. */
export function diskProblem(error: unknown, folder: string): ModelStoreError | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = code === undefined ? undefined : DISK_PROBLEMS[code];
  if (!reason) return undefined;
  return new ModelStoreError(
    "disk",
    `Could not write the model into ${folder}: ${reason}. Free some space or fix the folder's permissions and ` +
      `run it again (a partial download continues), or set HF_HOME to use another folder.`,
    { cause: error },
  );
}
