import { showHUD } from "@raycast/api";
import { insertText, withDaemon } from "./host";
import { setupHudMessage, setupProblemOf } from "./lib/daemon-setup";
import { wordsIn } from "./lib/dictation-view";
import { pasteBackText } from "./lib/modes";

/**
 * Pastes what was said in the last dictation, as recognized (before its mode finished it), or the text an edit by
 * voice replaced: give it a hotkey, and the spoken words (or the original) are one keystroke away after a paste.
 */
export default async function Command() {
  try {
    const pasteBack = await withDaemon(pasteBackText);
    if (!pasteBack) {
      await showHUD("No dictation in the history to paste");
      return;
    }
    await insertText(pasteBack.text, "paste");
    const what = pasteBack.original ? "the text as it was before the edit" : "the spoken text";
    await showHUD(`Pasted ${what}, ${wordsIn(pasteBack.text)}`);
  } catch (error) {
    const problem = setupProblemOf(error);
    await showHUD(problem ? setupHudMessage(problem) : `Verbatim: ${(error as Error).message}`);
  }
}
