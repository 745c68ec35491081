import { basename } from "node:path";

export type AudioErrorCode =
  | "not-found"
  | "empty"
  | "corrupt"
  | "unsupported"
  | "too-long"
  | "no-audio"
  | "decoder-missing"
  | "decoder-failed"
  | "aborted";

/** A file that cannot be turned into audio; the message names the file and says what to do. */
export class AudioError extends Error {
  override readonly name = "AudioError";

  constructor(
    readonly code: AudioErrorCode,
    readonly file: string,
    message: string,
  ) {
    super(message);
  }
}

/** The file name as people see it in messages. */
export function displayName(path: string): string {
  return basename(path);
}

/** "1 h 05 min", "3 min 20 s", "12.5 s". */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds * 10) / 10} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(Math.floor(seconds % 60)).padStart(2, "0")} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

/** seconds: the file's length when known (from a header), else it is only known to pass the limit. */
export function tooLongError(path: string, seconds: number | undefined, maxSeconds: number): AudioError {
  const length = seconds === undefined ? "longer than" : `${formatDuration(seconds)} long, more than`;
  return new AudioError(
    "too-long",
    path,
    `${displayName(path)} is ${length} the ${formatDuration(maxSeconds)} limit. ` +
      "Split the recording into shorter parts, or raise the maximum duration.",
  );
}
