// A meeting's notes by Raycast AI, for a mode whose finishing is Raycast's: the transcript's lines go to the model as
// data between markers, under the daemon's fixed rules for notes (finishing-prompt.ts, copied into src/verbatimd/),
// as `verbatim meeting stop --mode` sends them to a local model. The notes come beside the transcript, never instead:
// whatever fails, the transcript stands and the notes say why they are missing. The view passes in Raycast's AI.ask.
import { meetingNotesMessages } from "../verbatimd/finishing-prompt";
import { plainText } from "../verbatimd/plain-text";
import type { DictationMode, MeetingNotes } from "../verbatimd/protocol";
import { oneMessage, type Ask } from "./ai-finishing";

/** Raycast AI may take this long over an hour's transcript. */
export const NOTES_TIMEOUT_SECONDS = 120;

/** The one prompt AI.ask takes: the rules and the mode's instruction, then the transcript alone between markers. */
export function meetingNotesPrompt(instruction: string, lines: string, tag?: string): string {
  return oneMessage(meetingNotesMessages(instruction, lines, tag));
}

/** The modes whose notes Raycast AI writes (those of a local model are the daemon's: `verbatim meeting stop --mode`). */
export function raycastNotesModes(modes: DictationMode[]): DictationMode[] {
  return modes.filter((mode) => mode.finishing === "raycast" && mode.instruction?.trim());
}

/** The notes `mode` asks of the transcript's lines (`[0:12] You: …`), or why there are none. */
export async function writeMeetingNotes(
  mode: DictationMode,
  lines: string,
  ask: Ask | null,
  seconds = NOTES_TIMEOUT_SECONDS,
): Promise<MeetingNotes> {
  const none = (why: string): MeetingNotes => ({
    mode: mode.name,
    text: null,
    notice: `${why}; the transcript is complete without them`,
  });
  if (!ask) return none("Raycast AI is not available to this Raycast account (it needs Raycast Pro)");
  const timeout = AbortSignal.timeout(seconds * 1000);
  const limit = new Promise<never>((_, reject) =>
    timeout.addEventListener("abort", () => reject(timeout.reason), { once: true }),
  );
  try {
    const answer = plainText(
      await Promise.race([ask(meetingNotesPrompt(mode.instruction ?? "", lines), timeout), limit]),
    );
    return answer.trim() === "" ? none("Raycast AI answered with no text") : { mode: mode.name, text: answer.trim() };
  } catch (error) {
    return none(
      timeout.aborted
        ? `Raycast AI did not answer within ${seconds} s`
        : `Raycast AI failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
