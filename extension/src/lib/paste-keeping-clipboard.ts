// Delivering dictated text as the Finished Text preference says, without losing what the user had copied: the
// clipboard is read first, the text pasted, and the old content put back after a delay (the target app reads the
// pasteboard asynchronously after ⌘V, so restoring at once could paste the old content instead).
import type { FinishedTextAction } from "./outputs";

/** What the clipboard held: Raycast's Clipboard.read() result. */
export interface ClipboardSnapshot {
  text?: string;
  file?: string;
  html?: string;
}

export type ClipboardContent = { text: string } | { file: string } | { html: string; text?: string };

/** The clipboard and timing operations, passed in (Raycast's Clipboard at run time). */
export interface ClipboardOperations {
  read(): Promise<ClipboardSnapshot>;
  /** `concealed`: kept out of the clipboard history. */
  copy(content: ClipboardContent, options: { concealed: boolean }): Promise<void>;
  paste(text: string): Promise<void>;
  wait(ms: number): Promise<void>;
}

export const RESTORE_DELAY_MS = 600;

export type Delivery = "pasted" | "copied" | "pasted and copied" | "nothing";

function contentOf(snapshot: ClipboardSnapshot): ClipboardContent | null {
  if (snapshot.file) return { file: snapshot.file };
  if (snapshot.html) return snapshot.text ? { html: snapshot.html, text: snapshot.text } : { html: snapshot.html };
  return snapshot.text ? { text: snapshot.text } : null;
}

/**
 * Copy: the text goes to the clipboard (and its history). Paste: the old clipboard is read, the text pasted, and
 * after `restoreDelayMs` the old content is put back concealed (it is in the history already). What Raycast cannot
 * read back (an image) cannot be put back: the dictated text stays then, rather than an emptied clipboard. Both:
 * copied, then pasted, and left on the clipboard.
 */
export async function deliverText(
  text: string,
  action: FinishedTextAction,
  clipboard: ClipboardOperations,
  restoreDelayMs = RESTORE_DELAY_MS,
): Promise<Delivery> {
  if (!text || action === "nothing") return "nothing";
  if (action === "copy") {
    await clipboard.copy({ text }, { concealed: false });
    return "copied";
  }
  if (action === "both") {
    await clipboard.copy({ text }, { concealed: false });
    await clipboard.paste(text);
    return "pasted and copied";
  }
  const previous = contentOf(await clipboard.read().catch(() => ({})));
  await clipboard.paste(text);
  if (previous) {
    await clipboard.wait(restoreDelayMs);
    await clipboard.copy(previous, { concealed: true });
  }
  return "pasted";
}
