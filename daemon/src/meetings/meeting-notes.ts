// A meeting's notes: what a mode's local model makes of its transcript (the mode's instruction: a summary, action
// items), the transcript's lines sent as data between markers (meetingNotesMessages). Beside the transcript, never
// instead of it: whatever fails, the transcript stands and the notes say why they are missing.
import { DEFAULT_FINISHING_ENDPOINT, ProtocolError, type DictationMode, type MeetingNotes } from "../protocol";
import { plainText } from "../plain-text";
import { chatCompletion } from "../modes/chat-completion";
import { meetingNotesMessages } from "../modes/finishing-prompt";

/** A local model may take this long over an hour's transcript. */
export const MEETING_NOTES_TIMEOUT_SECONDS = 300;

/** Why `mode` cannot write a meeting's notes (the daemon writes them with a local model only), or null. */
export function notesModeProblem(
  mode: DictationMode | undefined,
  name: string,
  requestId: string,
): ProtocolError | null {
  if (!mode) return new ProtocolError("not_found", `no mode "${name}" (verbatim modes list)`, requestId);
  if (mode.finishing === "local" && mode.modelName) return null;
  return new ProtocolError(
    "unsupported",
    `the mode ${name} does not finish with a local model, which a meeting's notes need: choose a mode whose ` +
      'finishing is "local" (verbatim modes list)',
    requestId,
  );
}

/** The notes of `lines` (the transcript, a line per turn) by `mode` (checked by notesModeProblem). */
export async function meetingNotes(mode: DictationMode, lines: string, signal: AbortSignal): Promise<MeetingNotes> {
  const endpoint = mode.endpoint ?? DEFAULT_FINISHING_ENDPOINT;
  const engine = `the local model ${mode.modelName} at ${endpoint}`;
  const timeout = AbortSignal.timeout(MEETING_NOTES_TIMEOUT_SECONDS * 1000);
  try {
    const messages = meetingNotesMessages(mode.instruction ?? "", lines);
    const text = plainText(
      await chatCompletion(endpoint, mode.modelName!, messages, AbortSignal.any([signal, timeout])),
    );
    if (text.trim() === "") return { mode: mode.name, text: null, notice: `${engine} answered with no text` };
    return { mode: mode.name, text: text.trim() };
  } catch (error) {
    if (signal.aborted) throw error;
    const why = timeout.aborted
      ? `did not answer within ${MEETING_NOTES_TIMEOUT_SECONDS} s`
      : `failed: ${error instanceof Error ? error.message : String(error)}`;
    return { mode: mode.name, text: null, notice: `${engine} ${why}; the transcript is complete without them` };
  }
}
