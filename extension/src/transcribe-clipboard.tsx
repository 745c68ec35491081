import { ActionPanel, Clipboard, Detail, useNavigation } from "@raycast/api";
import { usePromise } from "@raycast/utils";
import { StateActions } from "./components/state-actions";
import { TranscribeForm } from "./components/transcribe-form";
import { TranscriptionDetail } from "./components/transcription-detail";
import { fileFromClipboard } from "./lib/clipboard-file";

export default function Command() {
  const { push } = useNavigation();
  const { data: copied, revalidate } = usePromise(async () => fileFromClipboard(await Clipboard.read()));
  if (!copied) return <Detail isLoading markdown="" />;
  if ("problem" in copied) {
    return (
      <Detail
        markdown={`# No File to Transcribe\n\n${copied.problem}\n\n**Pick Files** chooses them instead; **Try Again** reads the clipboard again.`}
        actions={
          <ActionPanel>
            <StateActions
              state="no-clipboard-file"
              handlers={{ "pick-files": () => push(<TranscribeForm />), "try-again": revalidate }}
            />
          </ActionPanel>
        }
      />
    );
  }
  return <TranscriptionDetail request={{ files: [copied.file] }} />;
}
