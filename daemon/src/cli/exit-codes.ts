// Exit codes that tell scripts what kind of failure happened.
import { DaemonError, DaemonUnreachableError } from "../client";
import { describeFailure } from "../service/failures";

export const EXIT = {
  ok: 0,
  /** The engine failed. */
  failure: 1,
  /** Wrong arguments. */
  usage: 2,
  /** An input file is missing, unreadable or not audio. */
  input: 3,
  /** The model could not be found, downloaded or loaded. */
  model: 4,
  /** The daemon could not be reached or started, or it stopped or went away during the command. */
  unreachable: 5,
  /** A dictation heard no speech: nothing was printed. */
  noSpeech: 6,
  /** Cancelled by the user: Ctrl-C where it cancels, Esc or Ctrl-\ in dictate, or another client's cancel. */
  interrupted: 130,
} as const;

export class UsageError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return error.exitCode;
  if (error instanceof DaemonUnreachableError) return EXIT.unreachable;
  const code = error instanceof DaemonError ? error.code : describeFailure(error).code;
  switch (code) {
    case "audio":
    case "not_found":
      return EXIT.input;
    case "model":
    case "timeout":
      return EXIT.model;
    case "unsupported":
      return EXIT.usage;
    case "cancelled":
      return EXIT.interrupted;
    case "shutting_down":
      return EXIT.unreachable;
    default:
      return EXIT.failure;
  }
}
