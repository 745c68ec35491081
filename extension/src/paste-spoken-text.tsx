import { showHUD } from "@raycast/api";
import { insertText, withDaemon } from "./host";
import { setupHudMessage, setupProblemOf } from "./lib/daemon-setup";
import { wordsIn } from "./lib/dictation-view";
import { lastSpokenText } from "./lib/modes";

/**
 * Pastes what was said in the last dictation, as recognized (before its mode finished it): give it a hotkey, and the
 * spoken words are one keystroke away after a finished paste.
 */
export default async function Command() {
  try {
    const event = await withDaemon((client) => client.request({ type: "history.list", limit: 10 }));
    const text = event.type === "done" ? lastSpokenText(event.history?.entries ?? []) : null;
    if (!text) {
      await showHUD("No dictation in the history to paste");
      return;
    }
    await insertText(text, "paste");
    await showHUD(`Pasted the spoken text, ${wordsIn(text)}`);
  } catch (error) {
    const problem = setupProblemOf(error);
    await showHUD(problem ? setupHudMessage(problem) : `Verbatim: ${(error as Error).message}`);
  }
}
