// Delivering finished text as the Finished Text preference says, the one way every command inserts text, without
// losing what the user had copied: the clipboard is read first, the text pasted, and the old content put back once
// the paste has had time to be taken. Raycast's API cannot tell when the target app has read the pasteboard (apps
// read it asynchronously after ⌘V), so the wait is the Clipboard After Paste preference; and the old content goes
// back only if the clipboard still holds the pasted text, so something copied meanwhile is never overwritten.
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
  /** Presses Return in the frontmost app (a mode that delivers with paste-return); absent where it cannot. */
  pressReturn?(): Promise<void>;
}

export type Delivery = "pasted" | "copied" | "pasted and copied" | "nothing";

function contentOf(snapshot: ClipboardSnapshot): ClipboardContent | null {
  if (snapshot.file) return { file: snapshot.file };
  if (snapshot.html) return snapshot.text ? { html: snapshot.html, text: snapshot.text } : { html: snapshot.html };
  return snapshot.text ? { text: snapshot.text } : null;
}

/**
 * Copy: the text goes to the clipboard (and its history). Paste: the old clipboard is read, the text pasted, and
 * after `restoreDelayMs` the old content is put back concealed (it is in the history already), unless something
 * else was copied meanwhile; `restoreDelayMs` null leaves the pasted text on the clipboard. What Raycast cannot read
 * back (an image) cannot be put back: the pasted text stays then, rather than an emptied clipboard. Both: copied,
 * then pasted, and left on the clipboard. `pressReturn`: Return is pressed right after the paste (a mode's
 * paste-return: sending a message), before the clipboard is put back.
 */
export async function deliverText(
  text: string,
  action: FinishedTextAction,
  clipboard: ClipboardOperations,
  restoreDelayMs: number | null,
  pressReturn = false,
): Promise<Delivery> {
  const paste = async () => {
    await clipboard.paste(text);
    if (pressReturn) await clipboard.pressReturn?.();
  };
  if (!text || action === "nothing") return "nothing";
  if (action === "copy") {
    await clipboard.copy({ text }, { concealed: false });
    return "copied";
  }
  if (action === "both") {
    await clipboard.copy({ text }, { concealed: false });
    await paste();
    return "pasted and copied";
  }
  const previous = restoreDelayMs === null ? null : contentOf(await clipboard.read().catch(() => ({})));
  await paste();
  if (previous && restoreDelayMs !== null) {
    await clipboard.wait(restoreDelayMs);
    const now = await clipboard.read().catch((): ClipboardSnapshot => ({}));
    if (now.text === text && !now.file) await clipboard.copy(previous, { concealed: true });
  }
  return "pasted";
}
