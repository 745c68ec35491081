import { Clipboard, Detail } from "@raycast/api";
import { usePromise } from "@raycast/utils";
import { TranscriptionDetail } from "./components/transcription-detail";
import { fileFromClipboard } from "./lib/clipboard-file";

export default function Command() {
  const { data: copied } = usePromise(async () => fileFromClipboard(await Clipboard.read()));
  if (!copied) return <Detail isLoading markdown="" />;
  if ("problem" in copied) return <Detail markdown={`# No File to Transcribe\n\n${copied.problem}`} />;
  return <TranscriptionDetail request={{ files: [copied.file] }} />;
}
