// Errors as OpenAI's API answers them: a status and {error: {message, type, param, code}}.
import { AudioError } from "../audio";
import type { ErrorCode } from "../protocol";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
    /** Headers the answer carries besides (retry-after). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }

  get type(): string {
    if (this.status === 429) return "rate_limit_error";
    if (this.status >= 500) return "server_error";
    return "invalid_request_error";
  }

  body(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

const STATUS_OF: Record<ErrorCode, number> = {
  bad_message: 400,
  unknown_type: 400,
  protocol_version: 400,
  too_large: 413,
  not_found: 404,
  audio: 400,
  config: 500,
  history: 500,
  engine: 500,
  cancelled: 499, // the client went away: nobody reads the answer
  busy: 429,
  model: 503,
  timeout: 503,
  shutting_down: 503,
  unsupported: 400,
  disk: 507, // Insufficient Storage
};

/** Audio that is not in a format the daemon can decode (rather than damaged audio in a known one). */
const UNSUPPORTED_MEDIA = new Set(["unsupported", "no-audio", "decoder-missing"]);

/**
 * The API's error for a job's failure. `cause` is the error itself where the daemon has it, so audio it cannot decode
 * at all (415) is told from audio that is damaged (400); `recognisedContainer`: the file starts like an audio file.
 */
export function jobError(
  failure: { code: ErrorCode; message: string },
  cause: unknown,
  recognisedContainer: boolean,
): ApiError {
  if (cause instanceof AudioError) {
    const unsupported = UNSUPPORTED_MEDIA.has(cause.code) || (cause.code === "decoder-failed" && !recognisedContainer);
    if (unsupported) return new ApiError(415, failure.message, "unsupported_media_type", "file");
    return new ApiError(400, failure.message, "invalid_audio", "file");
  }
  return new ApiError(STATUS_OF[failure.code], failure.message, failure.code);
}
