import {
  Action,
  ActionPanel,
  Clipboard,
  closeMainWindow,
  Detail,
  Icon,
  showToast,
  Toast,
  useNavigation,
} from "@raycast/api";
import { useEffect, useState } from "react";
import { daemonSocket, jobStore, preferences } from "../host";
import { connect, DaemonUnreachableError, type DaemonClient } from "../lib/daemon-connection";
import { finishedTextSteps, saveBeside, type SavedFormat } from "../lib/outputs";
import { fileTranscriptionOptions } from "../lib/preferences";
import { setupStepsMarkdown } from "../lib/setup-steps";
import { finishedText, overallProgress, transcriptMarkdown } from "../lib/transcript-view";
import { resumeJobs, transcribeFiles, type FileTranscription } from "../lib/transcription";
import { TranscribeForm } from "./transcribe-form";

export interface TranscriptionRequest {
  /** Files to transcribe; absent: follow the jobs left running when the command last closed (or `jobs` of them). */
  files?: string[];
  jobs?: string[];
  model?: string;
  language?: string;
}

const SAVED_FORMATS: { format: SavedFormat; title: string }[] = [
  { format: "text", title: "Save as Text Beside the File" },
  { format: "srt", title: "Save as SRT Subtitles Beside the File" },
  { format: "vtt", title: "Save as WebVTT Subtitles Beside the File" },
];

/** Copies and/or pastes the text as the preference says; returns a line for the toast. */
async function deliverFinishedText(text: string): Promise<string | undefined> {
  const steps = finishedTextSteps(preferences().finishedText);
  if (steps.copy) await Clipboard.copy(text);
  if (steps.paste) {
    // With Raycast's window in front, the paste would land in Raycast itself.
    await closeMainWindow();
    await Clipboard.paste(text);
  }
  if (steps.paste) return "Pasted into the frontmost app";
  return steps.copy ? "Copied to the clipboard" : undefined;
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
  const [problem, setProblem] = useState<string | null>(null);
  const [running, setRunning] = useState(true);
  const { push } = useNavigation();

  useEffect(() => {
    let client: DaemonClient | undefined;
    let cancelled = false;
    const onChange = (next: FileTranscription[]) => {
      if (!cancelled) setStates(next);
    };
    (async () => {
      const toast = await showToast({ style: Toast.Style.Animated, title: "Connecting to Verbatim" });
      try {
        client = await connect(daemonSocket());
        const jobs = jobStore();
        const follow = (next: FileTranscription[]) => {
          onChange(next);
          toast.title = overallProgress(next);
        };
        const outcome = request.files
          ? await transcribeFiles(client, request.files, {
              options: fileTranscriptionOptions(preferences(), request),
              jobs,
              onChange: follow,
            })
          : await resumeJobs(client, { jobs, only: request.jobs, onChange: follow });
        const text = finishedText(outcome);
        const delivered = text && !cancelled ? await deliverFinishedText(text) : undefined;
        const failures = outcome.filter((state) => state.status === "failed").length;
        toast.style = failures ? Toast.Style.Failure : Toast.Style.Success;
        toast.title = failures ? `${failures} of ${outcome.length} could not be transcribed` : overallProgress(outcome);
        toast.message = delivered;
      } catch (error) {
        await toast.hide();
        if (!cancelled) {
          const message = error instanceof Error ? error.message : String(error);
          setProblem(error instanceof DaemonUnreachableError ? setupStepsMarkdown(message) : message);
        }
      } finally {
        client?.close();
        if (!cancelled) setRunning(false);
      }
    })();
    return () => {
      cancelled = true;
      client?.close();
    };
  }, []);

  if (problem) return <Detail markdown={problem} />;
  const text = finishedText(states);
  const done = states.filter((state) => state.transcript);
  return (
    <Detail
      isLoading={running}
      markdown={transcriptMarkdown(states)}
      actions={
        <ActionPanel>
          {text ? <Action.CopyToClipboard title="Copy Text" content={text} /> : null}
          {text ? <Action.Paste title="Paste into Frontmost App" content={text} /> : null}
          {done.length > 0 ? (
            <ActionPanel.Section>
              {SAVED_FORMATS.map(({ format, title }) => (
                <Action
                  key={format}
                  title={title}
                  icon={Icon.SaveDocument}
                  onAction={async () => {
                    const saved = await Promise.all(
                      done.map((state) => saveBeside(state.file, format, state.transcript!)),
                    );
                    await showToast({ style: Toast.Style.Success, title: `Saved ${saved.join(", ")}` });
                  }}
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
