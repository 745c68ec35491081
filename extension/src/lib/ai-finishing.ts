// Finishing a dictation's text with Raycast AI, the way the daemon finishes it with a local model (its
// finishing-prompt.ts and finished-text.ts, copied into src/verbatimd/ by `npm run sync:extension`): the transcript
// goes to the model as data between markers with a random tag, after a fixed instruction and the mode's; an answer wrapped in a code fence or quotes is unwrapped, and one that is empty
// or more than three times as long as the transcript is not used. Whatever fails, the spoken text is delivered with a
// notice saying why. An edit by voice (the finishing carries the selected text) sends the selected text as the data
// and the spoken text as the instruction, and judges the answer against the selected text; an edit that fails leaves
// the selection as it was (nothing is delivered). The view passes in Raycast's AI.ask; nothing here imports
// @raycast/api.
import { judgeFinishedText } from "../verbatimd/finished-text";
import { editingMessages, finishingMessages, type ChatMessage } from "../verbatimd/finishing-prompt";
import type { FinishingData, TranscriptData } from "../verbatimd/protocol";

/**
 * The one prompt AI.ask takes: the daemon's system message, then its user message (the transcript alone between
 * `<transcript-TAG>` lines). `tag` is random unless a test gives one.
 */
export function finishingPrompt(instruction: string, transcript: string, tag?: string): string {
  return oneMessage(finishingMessages(instruction, transcript, tag));
}

/** An edit's prompt: the daemon's editing system message (the spoken instruction in it), then the selection alone. */
export function editingPrompt(instruction: string, spoken: string, selection: string, tag?: string): string {
  return oneMessage(editingMessages(instruction, spoken, selection, tag));
}

/** The daemon's chat messages as the one prompt AI.ask takes. */
export const oneMessage = (messages: ChatMessage[]) => messages.map((message) => message.content).join("\n\n");

/** Raycast's AI.ask, passed in: the prompt, and a signal that aborts it at the time limit. */
export type Ask = (prompt: string, signal: AbortSignal) => Promise<string>;

/**
 * The text to deliver, and a notice when it is the spoken text instead of a finished one (or was unwrapped). An edit
 * that was not made delivers nothing (`text` empty): the selection stays as it was.
 */
export interface Finished {
  text: string;
  finished: boolean;
  notice?: string;
}

const DEFAULT_TIMEOUT_SECONDS = 8;

/**
 * Finishes a transcript whose finishing is the client's (`finishing.status` "client") with `ask` within its time
 * limit, then hands the judged text to `keep` (dictation.finished: the daemon keeps it in the history and answers
 * with the transcript as it now is). Without Raycast AI (`canAsk` false), past the limit, on a failure or an answer
 * not used, the spoken text is the result, with a notice saying why; a failure of `keep` keeps the finished text.
 */
export async function finishOnClient(
  finishing: FinishingData,
  ask: Ask | null,
  keep: (text: string) => Promise<TranscriptData | undefined>,
): Promise<Finished> {
  const spoken = finishing.spokenText;
  const original = finishing.selection;
  const fallback = (why: string): Finished =>
    original
      ? { text: "", finished: false, notice: `${why}. The selected text is left as it was (mode ${finishing.mode}).` }
      : { text: spoken, finished: false, notice: `${why}. The spoken text is used instead (mode ${finishing.mode}).` };
  if (!ask) {
    return fallback("Raycast AI is not available to this Raycast account (it needs Raycast Pro)");
  }
  const seconds = finishing.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  const timeout = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timeout.abort();
      reject(new TimeLimit());
    }, seconds * 1000);
  });
  const instruction = finishing.instruction ?? "";
  const prompt = original ? editingPrompt(instruction, spoken, original) : finishingPrompt(instruction, spoken);
  let answer: string;
  try {
    answer = await Promise.race([ask(prompt, timeout.signal), limit]);
  } catch (error) {
    if (error instanceof TimeLimit || timeout.signal.aborted) {
      return fallback(
        `Raycast AI did not finish the text within ${seconds} s (config finishingTimeoutSeconds): try again, or raise the limit`,
      );
    }
    return fallback(`Raycast AI failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    clearTimeout(timer);
  }
  const judged = judgeFinishedText(original ?? spoken, answer);
  if ("rejected" in judged) return fallback(`Raycast AI's text was not used: ${judged.rejected}`);
  try {
    const transcript = await keep(judged.text);
    const kept = transcript?.finishing;
    if (transcript && kept) {
      const finished = kept.status === "finished";
      return {
        text: original && !finished ? "" : transcript.text,
        finished,
        ...((kept.notice ?? judged.notice) && { notice: kept.notice ?? judged.notice }),
      };
    }
  } catch {
    // The daemon did not keep it (it restarted, the session is too old): the text is delivered all the same.
  }
  return { text: judged.text, finished: true, ...(judged.notice && { notice: judged.notice }) };
}

class TimeLimit extends Error {}

/**
 * The text a dictation delivers: its transcript's text, finished by Raycast AI first when the mode's finishing is the
 * client's; a notice when the daemon's finishing failed or was unwrapped. `spokenText` is what was said, for Paste
 * Spoken Text when it differs from what is delivered. An edit's `original` is the selected text it edited (Paste
 * Spoken Text puts it back); an edit not made delivers nothing, with the notice.
 */
export async function dictationText(
  transcript: TranscriptData,
  ask: Ask | null,
  keep: (text: string) => Promise<TranscriptData | undefined>,
): Promise<Finished & { spokenText: string; original?: string }> {
  const finishing = transcript.finishing;
  if (!finishing) return { text: transcript.text.trim(), finished: false, spokenText: transcript.text.trim() };
  const spokenText = finishing.spokenText.trim();
  const original = finishing.selection ? { original: finishing.selection } : {};
  if (finishing.status === "client" && spokenText) {
    const done = await finishOnClient(finishing, ask, keep);
    return { ...done, text: done.text.trim(), spokenText, ...original };
  }
  const finished = finishing.status === "finished";
  return {
    // An edit the daemon did not make leaves the selection alone: the spoken instruction is not pasted over it.
    text: finishing.selection && !finished ? "" : transcript.text.trim(),
    finished,
    ...(finishing.notice && { notice: finishing.notice }),
    spokenText,
    ...original,
  };
}
