// The exit code for any error a command can meet: its own usage errors, the daemon's answers, and (with --no-daemon,
// or the model store) the engine's and the store's own errors. It loads the engine's error classes: commands import it
// where they fail, not before they run.
import { DaemonError, DaemonUnreachableError } from "../client";
import { describeFailure } from "../service/failures";
import { exitCodeForErrorCode, EXIT, UsageError } from "./exit-codes";

export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return error.exitCode;
  if (error instanceof DaemonUnreachableError) return EXIT.unreachable;
  return exitCodeForErrorCode(error instanceof DaemonError ? error.code : describeFailure(error).code);
}
