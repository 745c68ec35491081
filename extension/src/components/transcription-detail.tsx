import {
  Action,
  ActionPanel,
  Detail,
  Icon,
  showHUD,
  showInFinder,
  showToast,
  Toast,
  useNavigation,
} from "@raycast/api";
import { showFailureToast } from "@raycast/utils";
import path from "node:path";
import { useEffect, useState } from "react";
import { daemonSocket, insertText, jobStore, preferences } from "../host";
import { connect, type DaemonClient } from "../lib/daemon-connection";
import { setupProblemOf, type SetupProblem } from "../lib/daemon-setup";
import { wordsIn } from "../lib/dictation-view";
import type { FinishedTextAction } from "../lib/outputs";
import { saveBeside, type SavedFormat } from "../lib/outputs";
import { fileTranscriptionOptions } from "../lib/preferences";
import { finishedText, overallProgress, transcriptMarkdown } from "../lib/transcript-view";
import { resumeJobs, transcribeFiles, type FileTranscription } from "../lib/transcription";
import { COPY_SHORTCUT, SAVE_SHORTCUT } from "./shortcuts";
import { SetupView } from "./setup-view";
import { StateActions } from "./state-actions";
import { TranscribeForm } from "./transcribe-form";

export interface TranscriptionRequest {
  /** Files to transcribe; absent: follow the jobs left running when the command last closed (or `jobs` of them). */
  files?: string[];
  jobs?: string[];
  model?: string;
  language?: string;
  /** A speaker-choices.ts choice: "off", "auto" or at most that many. */
  speakers?: string;
}

const SAVED_FORMATS: { format: SavedFormat; title: string }[] = [
  { format: "text", title: "Save as Text Beside the File" },
  { format: "srt", title: "Save as SRT Subtitles Beside the File" },
  { format: "vtt", title: "Save as WebVTT Subtitles Beside the File" },
];

const DELIVERED: Record<string, string> = {
  pasted: "Pasted into the frontmost app",
  copied: "Copied to the clipboard",
  "pasted and copied": "Pasted and copied",
};

/** Saves every finished file's transcript beside it (never over a file), with Show in Finder on the toast. */
async function saveAll(done: FileTranscription[], format: SavedFormat): Promise<void> {
  try {
    const saved = await Promise.all(done.map((state) => saveBeside(state.file, format, state.transcript!)));
    await showToast({
      style: Toast.Style.Success,
      title: `Saved ${saved.map((file) => path.basename(file)).join(", ")}`,
      primaryAction: { title: "Show in Finder", onAction: () => void showInFinder(saved[0]!) },
    });
  } catch (error) {
    await showFailureToast(error, { title: "Not Saved" });
  }
}

/** Pastes the text as every command does (keeping the clipboard), and says so in a HUD (the window closed). */
async function pasteText(text: string, action: FinishedTextAction = "paste"): Promise<void> {
  const delivered = await insertText(text, action);
  if (delivered !== "nothing") await showHUD(`${DELIVERED[delivered]}: ${wordsIn(text)}`);
}

/** `earlierJobs`: jobs still running from the command's last run, offered beside the new ones. */
export function TranscriptionDetail({
  request,
  earlierJobs = [],
}: {
  request: TranscriptionRequest;
  earlierJobs?: string[];
}) {
  const [states, setStates] = useState<FileTranscription[]>([]);
  const [problem, setProblem] = useState<SetupProblem | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [running, setRunning] = useState(true);
  const [attempt, setAttempt] = useState(0);
  const { push } = useNavigation();

  useEffect(() => {
    const closing = new AbortController();
    let client: DaemonClient | undefined;
    (async () => {
      const toast = await showToast({ style: Toast.Style.Animated, title: "Connecting to Verbatim" });
      try {
        client = await connect(daemonSocket(), { signal: closing.signal });
        const jobs = jobStore();
        const follow = (next: FileTranscription[]) => {
          if (closing.signal.aborted) return;
          setStates(next);
          toast.title = overallProgress(next);
        };
        const outcome = request.files
          ? await transcribeFiles(client, request.files, {
              options: fileTranscriptionOptions(preferences(), request),
              jobs,
              onChange: follow,
            })
          : await resumeJobs(client, { jobs, only: request.jobs, onChange: follow });
        const failures = outcome.filter((state) => state.status === "failed").length;
        toast.style = failures ? Toast.Style.Failure : Toast.Style.Success;
        toast.title = failures ? `${failures} of ${outcome.length} could not be transcribed` : overallProgress(outcome);
        const text = finishedText(outcome);
        // The window stays open to show the text; Finished Text says whether it also goes to the clipboard or app.
        if (text && !closing.signal.aborted) {
          const delivered = await insertText(text, preferences().finishedText);
          if (delivered !== "nothing") toast.message = DELIVERED[delivered];
        }
      } catch (error) {
        await toast.hide();
        if (closing.signal.aborted) return;
        const setup = setupProblemOf(error);
        if (setup) setProblem(setup);
        else {
          setFailure(error instanceof Error ? error.message : String(error));
          await showFailureToast(error, { title: "Transcription Failed" });
        }
      } finally {
        client?.close();
        if (!closing.signal.aborted) setRunning(false);
      }
    })();
    return () => {
      closing.abort();
      client?.close(); // the daemon keeps the detached jobs; reopening the command follows them
    };
  }, [attempt]);

  const retry = () => {
    setProblem(null);
    setFailure(null);
    setRunning(true);
    setAttempt((count) => count + 1);
  };
  if (problem) return <SetupView problem={problem} onRetry={retry} />;
  const text = finishedText(states);
  const done = states.filter((state) => state.transcript);
  const failedAll = !running && states.length > 0 && done.length === 0;
  return (
    <Detail
      isLoading={running}
      markdown={failure ? `**Could not transcribe.** ${failure}` : transcriptMarkdown(states)}
      actions={
        <ActionPanel>
          {failure || failedAll ? (
            <StateActions
              state="transcription-failed"
              handlers={{ "try-again": retry, "pick-files": () => push(<TranscribeForm />) }}
            />
          ) : null}
          {text ? <Action.CopyToClipboard title="Copy Text" content={text} shortcut={COPY_SHORTCUT} /> : null}
          {text ? <Action title="Paste into Frontmost App" icon={Icon.Text} onAction={() => pasteText(text)} /> : null}
          {done.length > 0 ? (
            <ActionPanel.Section>
              {SAVED_FORMATS.map(({ format, title }) => (
                <Action
                  key={format}
                  title={title}
                  icon={Icon.SaveDocument}
                  shortcut={format === "text" ? SAVE_SHORTCUT : undefined}
                  onAction={() => saveAll(done, format)}
                />
              ))}
            </ActionPanel.Section>
          ) : null}
          {earlierJobs.length > 0 ? (
            <Action
              title={
                earlierJobs.length === 1
                  ? "Show the Earlier Transcription"
                  : `Show ${earlierJobs.length} Earlier Transcriptions`
              }
              icon={Icon.Clock}
              onAction={() => push(<TranscriptionDetail request={{ jobs: earlierJobs }} />)}
            />
          ) : null}
          <Action
            title={request.files ? "Transcribe with Other Model or Language" : "Transcribe Other Files"}
            icon={Icon.Gear}
            onAction={() => push(<TranscribeForm files={request.files} />)}
          />
        </ActionPanel>
      }
    />
  );
}
