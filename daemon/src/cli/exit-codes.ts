// Exit codes that tell scripts what kind of failure happened. Every command and the capture process load this first,
// so it imports nothing (exitCodeFor, which knows the errors of the client and the engine, is error-exit-code.ts).
import type { ErrorCode } from "../protocol";

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
  /** No speech was heard (a dictation, or a file): no text. */
  noSpeech: 6,
  /** What the command named does not exist: a transcript, vocabulary term, recording, dictation, job or mode. */
  notFound: 7,
  /** Cancelled by the user: Ctrl-C where it cancels, Esc or Ctrl-\ in dictate, or another client's cancel. */
  interrupted: 130,
} as const;

/** The table `verbatim --help` prints, one line per code as scripts read them. */
export const EXIT_CODES_HELP = `Exit codes (every command):
  0    ok
  1    engine failure
  2    usage: wrong arguments, or a request the daemon or model refuses (a language it lacks, a bad value)
  3    an input file is missing, unreadable or not audio
  4    the model could not be found, downloaded or loaded
  5    the daemon is unreachable: not running, not answering, or it stopped during the command
  6    no speech heard: nothing printed (dictate), or no text (transcribe, for any of its files)
  7    not found: no such transcript, vocabulary term, recording, dictation, job or mode
  130  canceled: Ctrl-C, Esc or Ctrl-\\ in dictate, or another client canceled it
`;

export class UsageError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

/** The exit code for a failure the protocol names by its error code. */
export function exitCodeForErrorCode(code: ErrorCode): number {
  switch (code) {
    case "audio":
      return EXIT.input;
    case "not_found":
      return EXIT.notFound;
    case "model":
    case "timeout":
      return EXIT.model;
    case "unsupported":
    case "bad_message":
      return EXIT.usage;
    case "cancelled":
      return EXIT.interrupted;
    case "shutting_down":
      return EXIT.unreachable;
    default:
      return EXIT.failure;
  }
}
