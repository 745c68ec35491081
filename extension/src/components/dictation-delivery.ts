// Delivering a dictation's text from the hotkey and the menu bar (no view: HUDs say what happened): finished by
// Raycast AI first when its mode asks, then pasted, copied, or pasted with Return, as the mode says.
import { showHUD } from "@raycast/api";
import { deliverPlanned, preferences, raycastAsk, withDaemon } from "../host";
import { dictationText } from "../lib/ai-finishing";
import type { TranscriptData } from "../lib/daemon-connection";
import { wordsIn } from "../lib/dictation-view";
import { deliveryPlan } from "../lib/modes";

/**
 * Delivers a finished dictation's text as its mode says (finished by Raycast AI first when the mode asks), or says
 * that it heard no speech (and pastes nothing).
 */
export async function insertTranscript(transcript: TranscriptData | null | undefined, session: string): Promise<void> {
  if (!transcript?.text.trim()) {
    await showHUD("No speech detected");
    return;
  }
  if (transcript.finishing?.status === "client") await showHUD("Finishing with Raycast AI…");
  const result = await dictationText(transcript, raycastAsk(), async (text) => {
    const kept = await withDaemon((daemon) => daemon.request({ type: "dictation.finished", session, text }));
    return kept.type === "done" ? kept.transcript : undefined;
  });
  if (!result.text) {
    await showHUD(result.notice ?? "No speech detected"); // an edit by voice not made: the selection stays
    return;
  }
  // The hotkey inserts; Copy and Paste also leaves the text on the clipboard; the mode may copy, or press Return.
  const delivered = await deliverPlanned(
    result.text,
    deliveryPlan(transcript.finishing?.deliver, preferences().finishedText, "hotkey"),
  );
  const done = `${delivered === "copied" ? "Copied" : "Inserted"} ${wordsIn(result.text)}`;
  const spoken = !(result.finished && result.spokenText !== result.text)
    ? ""
    : result.original
      ? " (Paste Spoken Text puts back the text you had selected)"
      : " (Paste Spoken Text for what you said)";
  await showHUD(result.notice ? `${done}: ${result.notice}` : `${done}${spoken}`);
}
