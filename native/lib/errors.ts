// Typed engine errors, from the stable `code` the addon puts on every error.

export class EngineError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The model folder or one of its files cannot be used; the message names the file and field. */
export class ModelFormatError extends EngineError {}
/** The job was cancelled. */
export class CancelledError extends EngineError {}
/** An argument or option is out of range or of the wrong type. */
export class InvalidArgumentError extends EngineError {}
/** Audio was pushed to a live stream after it was finished or cancelled. */
export class StreamClosedError extends EngineError {}
/** The engine ran out of memory. */
export class OutOfMemoryError extends EngineError {}

const classes: Record<string, new (message: string, code: string) => EngineError> = {
  ERR_MODEL_FORMAT: ModelFormatError,
  ERR_CANCELLED: CancelledError,
  ERR_INVALID_ARGUMENT: InvalidArgumentError,
  ERR_OUT_OF_MEMORY: OutOfMemoryError,
  ERR_STREAM_CLOSED: StreamClosedError,
};

// Errors made by the addon belong to the realm that loaded it, so they are recognised by shape, not instanceof.
export function typedError(error: unknown): Error {
  const { message, code } = (error ?? {}) as { message?: unknown; code?: unknown };
  if (typeof message !== "string") return new EngineError(String(error), "ERR_ENGINE");
  if (typeof code !== "string" || !code.startsWith("ERR_")) return error as Error;
  const ErrorClass = classes[code] ?? EngineError;
  return new ErrorClass(message, code);
}

/** Runs a synchronous addon call, rethrowing its error as a typed one. */
export function typed<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw typedError(error);
  }
}
