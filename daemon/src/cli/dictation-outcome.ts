// How a followed dictation's end reaches the terminal: its final text on stdout, or, when it ended without one
// (cancelled by another client, the daemon stopped or gone, its recognition failed), its text so far and what
// happened, with what to do, and the exit status. Never a stack trace.
import { DaemonError, DaemonUnreachableError } from "../client";
import type { TranscriptData } from "../protocol";
import { exitCodeFor } from "./error-exit-code";
import { EXIT } from "./exit-codes";

export interface EarlyEnd {
  message: string;
  exitCode: number;
}

/** Why the dictation `session` ended early, from the error its following request settled with. */
export function earlyEnd(error: unknown, session: string): EarlyEnd {
  const retry = `\`verbatim dictations retry ${session}\` transcribes its recording`;
  if (error instanceof DaemonUnreachableError) {
    return {
      message:
        `verbatimd went away during the dictation (${error.message}). The audio it had received is kept: once ` +
        `verbatimd runs again (verbatim daemon start), ${retry}.`,
      exitCode: EXIT.unreachable,
    };
  }
  if (error instanceof DaemonError && error.code === "cancelled") {
    return {
      message: "another client canceled the dictation (verbatim dictations cancel, or Raycast).",
      exitCode: EXIT.interrupted,
    };
  }
  if (error instanceof DaemonError && error.code === "shutting_down") {
    return {
      message: `verbatimd stopped during the dictation. Its audio is kept: once verbatimd is back, ${retry}.`,
      exitCode: EXIT.unreachable,
    };
  }
  return { message: error instanceof Error ? error.message : String(error), exitCode: exitCodeFor(error) };
}

/** Prints the text so far on stdout (if any) and why the dictation ended early on stderr; returns the exit status. */
export function reportEarlyEnd(error: unknown, session: string, textSoFar: string, printText: boolean): number {
  const { message, exitCode } = earlyEnd(error, session);
  if (printText && textSoFar) process.stdout.write(textSoFar + "\n");
  const said = !printText
    ? ""
    : textSoFar
      ? " The text recognized until then was printed."
      : " Nothing was recognized.";
  process.stderr.write(`verbatim: ${message}${said}\n`);
  return exitCode;
}

/** Prints a finished dictation's text on stdout, or says it heard no speech; returns the exit status. */
export function printFinalText(transcript: TranscriptData): number {
  if (transcript.noSpeech) {
    process.stderr.write("verbatim: No speech detected\n");
    return EXIT.noSpeech;
  }
  process.stdout.write(transcript.text + "\n");
  return EXIT.ok;
}
