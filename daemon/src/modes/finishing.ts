// Finishing a dictation's final text (replacements applied) as its mode says: not at all, by the client (Raycast
// AI: the daemon hands over the spoken text and keeps what comes back), or by a local model within
// finishingTimeoutSeconds. Whatever fails, the spoken text is used and a notice says why: nothing waits forever
// and nothing said is lost. A mode that edits the selection (selection "edit") has the selected text edited as the
// spoken text says instead, judged against the selected text, which the finishing keeps (the original).
import { DEFAULT_FINISHING_ENDPOINT, type DictationMode, type FinishingData } from "../protocol";
import { chatCompletion } from "./chat-completion";
import { judgeFinishedText, type Judged } from "./finished-text";
import { editingMessages, finishingMessages } from "./finishing-prompt";

const ENGINE_NAMES = { none: "no finishing", raycast: "Raycast AI", local: "the local model" };

/**
 * The finishing of `spokenText` by `mode` (an edit of `selection`, the text selected when the dictation started, when
 * the mode edits it); throws only when `signal` aborts (the dictation was cancelled).
 */
export async function finishText(
  mode: DictationMode,
  spokenText: string,
  timeoutSeconds: number,
  signal: AbortSignal,
  selection?: string,
): Promise<FinishingData> {
  const edited = mode.selection === "edit" ? selection : undefined;
  const base = baseOf(mode, spokenText, edited);
  if (mode.finishing === "none" || spokenText.length === 0) return { ...base, status: "off" };
  if (mode.selection === "edit" && !edited) {
    return failed(base, `${engineOf(mode)} edited nothing: no text was selected when the dictation started`);
  }
  if (mode.finishing === "raycast") {
    return { ...base, status: "client", instruction: mode.instruction ?? "", timeoutSeconds };
  }
  const endpoint = mode.endpoint ?? DEFAULT_FINISHING_ENDPOINT;
  const timeout = AbortSignal.timeout(timeoutSeconds * 1000);
  const describe = engineOf(mode);
  try {
    const instruction = mode.instruction ?? "";
    const messages = edited
      ? editingMessages(instruction, spokenText, edited)
      : finishingMessages(instruction, spokenText);
    const answer = await chatCompletion(endpoint, mode.modelName!, messages, AbortSignal.any([signal, timeout]));
    return judged(base, judgeFinishedText(edited ?? spokenText, answer), describe);
  } catch (error) {
    if (signal.aborted) throw error;
    if (timeout.aborted) {
      return failed(
        base,
        `${describe} did not finish the text within ${timeoutSeconds} s (config finishingTimeoutSeconds): use a ` +
          "smaller model or raise the limit",
      );
    }
    // Whatever else went wrong, what was said is delivered.
    return failed(base, `${describe} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** A client's finished text of a dictation whose finishing was the client's, judged as a local model's is. */
export function clientFinished(finishing: FinishingData, text: string): FinishingData {
  const { mode, engine, deliver, spokenText, selection } = finishing;
  const base = { mode, engine, deliver, spokenText, finishedText: null, ...(selection && { selection }) };
  return judged(base, judgeFinishedText(selection ?? spokenText, text), ENGINE_NAMES[engine]);
}

/** The finishing of `spokenText` by `mode` given up (`why`): the spoken text is used, and the notice says why. */
export function unfinished(mode: DictationMode, spokenText: string, why: string): FinishingData {
  return failed(baseOf(mode, spokenText), `${engineOf(mode)} did not finish the text: ${why}`);
}

type Base = Omit<FinishingData, "status" | "notice" | "instruction" | "timeoutSeconds">;

function baseOf(mode: DictationMode, spokenText: string, selection?: string): Base {
  const base = { mode: mode.name, engine: mode.finishing, deliver: mode.deliver, spokenText, finishedText: null };
  return selection ? { ...base, selection } : base;
}

/** The engine that finishes the mode's text, in words (the local model with its name and endpoint). */
function engineOf(mode: DictationMode): string {
  if (mode.finishing !== "local") return ENGINE_NAMES[mode.finishing];
  return `${ENGINE_NAMES.local} ${mode.modelName} at ${mode.endpoint ?? DEFAULT_FINISHING_ENDPOINT}`;
}

function judged(base: Base, judgement: Judged, engine: string): FinishingData {
  if ("rejected" in judgement) return failed(base, `${engine}'s text was not used: ${judgement.rejected}`);
  const finished: FinishingData = { ...base, status: "finished", finishedText: judgement.text };
  return judgement.notice ? { ...finished, notice: judgement.notice } : finished;
}

/** An edit that failed leaves the selection as it was; other finishing gives the spoken text. */
function failed(base: Base, why: string): FinishingData {
  const instead = base.selection ? "The selected text is left as it was" : "The spoken text is used instead";
  return { ...base, status: "failed", notice: `${why}. ${instead} (mode ${base.mode}).` };
}
