import { Clipboard, Detail } from "@raycast/api";
import { useEffect, useState } from "react";
import { TranscriptionDetail } from "./components/transcription-detail";
import { fileFromClipboard, type ClipboardFile } from "./lib/clipboard-file";

export default function Command() {
  const [copied, setCopied] = useState<ClipboardFile | null>(null);
  useEffect(() => {
    Clipboard.read().then((content) => setCopied(fileFromClipboard(content)));
  }, []);
  if (!copied) return <Detail isLoading markdown="" />;
  if ("problem" in copied) return <Detail markdown={`# No File to Transcribe\n\n${copied.problem}`} />;
  return <TranscriptionDetail request={{ files: [copied.file] }} />;
}
