/** What went wrong, so callers (the daemon protocol, the CLI) can react without parsing messages. */
export type ModelStoreErrorCode =
  | "unknown-model" // the name is neither an alias, a repo id nor a model folder
  | "not-on-hub" // the repository does not exist (or is private)
  | "not-downloaded" // offline and not in the cache
  | "not-a-model" // the folder or repository lacks config.json or weights
  | "network" // the hub could not be reached or a transfer broke off
  | "integrity" // a downloaded file does not match its listed size or hash
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
