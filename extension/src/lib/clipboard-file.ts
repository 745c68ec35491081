// The file copied in Finder, as Raycast's Clipboard.read() reports it.
import { fileURLToPath } from "node:url";

export interface ClipboardContent {
  text?: string;
  file?: string;
}

export type ClipboardFile = { file: string } | { problem: string };

export function fileFromClipboard(content: ClipboardContent): ClipboardFile {
  const url = content.file;
  if (!url) {
    return { problem: "The clipboard holds no file. Copy an audio or video file in Finder (⌘C), then try again." };
  }
  if (url.startsWith("file://")) return { file: fileURLToPath(url) };
  if (url.startsWith("/")) return { file: url };
  return { problem: `The clipboard holds ${url}, which is not a file on this Mac.` };
}
