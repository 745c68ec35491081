import {
  Action,
  ActionPanel,
  Detail,
  Icon,
  openExtensionPreferences,
  showToast,
  Toast,
  type LaunchProps,
} from "@raycast/api";
import { showFailureToast } from "@raycast/utils";
import path from "node:path";
import { useEffect, useRef, useState } from "react";
import { SetupView } from "./components/setup-view";
import { COPY_SHORTCUT } from "./components/shortcuts";
import { daemonSocket, insertText, meetingCaptureSetup, raycastAsk, refreshMenuBar } from "./host";
import {
  logFolder,
  type MeetingInfo,
  type MeetingTrackName,
  type MeetingTranscriptData,
} from "./lib/daemon-connection";
import { setupProblemOf, type SetupProblem } from "./lib/daemon-setup";
import { openDaemon, type OpenedDaemon } from "./lib/dictation-start";
import {
  captureTrack,
  currentMeeting,
  meetingMarkdown,
  meetingTranscriptMarkdown,
  meetingTranscriptText,
  openMeeting,
  stopMeeting,
  trackTitle,
  tracksWithoutCapture,
  type CaptureProgress,
  type MeetingCaptures,
} from "./lib/meeting";
import { raycastNotesModes, writeMeetingNotes } from "./lib/meeting-notes";
import { loadModes, type DictationMode } from "./lib/modes";

/** The meeting's view refreshes this often (its elapsed time and the tracks' seconds). */
const REFRESH_MS = 1000;

type Screen =
  | { kind: "opening" }
  | { kind: "setup"; problem: SetupProblem }
  | { kind: "needs-system-device"; message: string }
  | { kind: "failed"; message: string }
  | { kind: "recording"; meeting: MeetingInfo }
  | { kind: "ended" }
  | { kind: "transcript"; data: MeetingTranscriptData };

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export default function Command(props: LaunchProps<{ launchContext?: { stop?: boolean } }>) {
  const [screen, setScreen] = useState<Screen>({ kind: "opening" });
  const [progress, setProgress] = useState<CaptureProgress>({ launched: {}, errors: {} });
  const [attempt, setAttempt] = useState(0);
  /** The modes whose notes Raycast AI can write of the transcript (none without Raycast AI). */
  const [notesModes, setNotesModes] = useState<DictationMode[]>([]);
  const connection = useRef<OpenedDaemon | null>(null);
  const stopping = useRef(false);
  /** Launched by the menu bar's Stop Meeting: stop the meeting that records, never start one (until Try Again). */
  const stopOnOpen = useRef(props.launchContext?.stop === true);

  const failed = (track: MeetingTrackName, message: string) =>
    setProgress(({ launched, errors }) => ({ launched, errors: { ...errors, [track]: message } }));
  /** These tracks' capture processes start now: they are starting, not silent, and their last error is gone. */
  const launchedNow = (tracks: MeetingTrackName[]) => {
    const now = Date.now();
    setProgress(({ launched, errors }) => ({
      launched: { ...launched, ...Object.fromEntries(tracks.map((track) => [track, now])) },
      errors: { ...errors, ...Object.fromEntries(tracks.map((track) => [track, undefined])) },
    }));
  };
  /** A capture process that died after recording a while was started again. */
  const restarted = (track: MeetingTrackName, why: string) => {
    launchedNow([track]);
    void showToast({ style: Toast.Style.Failure, title: `${trackTitle(track)} capture started again`, message: why });
  };
  /** Follows the capture processes this command started, for the warning of one that ends. */
  const follow = (captures: MeetingCaptures) => {
    const started = Object.keys(captures) as MeetingTrackName[];
    launchedNow(started);
    for (const track of started) {
      captures[track]!.then(
        (exit) => exit.code !== 0 && failed(track, exit.message),
        (error: unknown) => failed(track, messageOf(error)),
      );
    }
  };

  const stop = async () => {
    const opened = connection.current;
    if (!opened || stopping.current) return;
    stopping.current = true;
    const toast = await showToast({ style: Toast.Style.Animated, title: "Transcribing the meeting…" });
    try {
      const data = await stopMeeting(opened.client);
      setScreen({ kind: "transcript", data });
      toast.style = Toast.Style.Success;
      toast.title = "Meeting transcribed";
      if (raycastAsk()) {
        loadModes(opened.client).then(
          ({ modes }) => setNotesModes(raycastNotesModes(modes)),
          () => undefined, // no notes action: the transcript is there all the same
        );
      }
    } catch (error) {
      toast.hide();
      stopping.current = false;
      await showFailureToast(error, { title: "The Meeting Could Not Stop" });
    }
    void refreshMenuBar();
  };

  useEffect(() => {
    const closing = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    (async () => {
      try {
        const opened = await openDaemon(daemonSocket(), closing.signal);
        connection.current = opened;
        const opening = await openMeeting(opened.client, opened.status, meetingCaptureSetup(), {
          start: !stopOnOpen.current,
          restarted,
        });
        if (closing.signal.aborted) return;
        if (opening.kind === "none") {
          setScreen({ kind: "ended" });
          return;
        }
        if (opening.kind === "needs-system-device") {
          setScreen({ kind: "needs-system-device", message: opening.message });
          return;
        }
        follow(opening.captures);
        setScreen({ kind: "recording", meeting: opening.meeting });
        if (opening.started) void refreshMenuBar();
        if (stopOnOpen.current) void stop();
        timer = setInterval(() => {
          if (stopping.current) return;
          currentMeeting(opened.client).then(
            (meeting) => {
              if (stopping.current || closing.signal.aborted) return;
              setScreen(meeting ? { kind: "recording", meeting } : { kind: "ended" });
              if (!meeting) clearInterval(timer);
            },
            () => undefined,
          );
        }, REFRESH_MS);
      } catch (error) {
        if (closing.signal.aborted) return;
        const problem = setupProblemOf(error);
        setScreen(problem ? { kind: "setup", problem } : { kind: "failed", message: messageOf(error) });
      }
    })();
    return () => {
      closing.abort();
      clearInterval(timer);
      connection.current?.client.close();
      connection.current = null;
    };
  }, [attempt]);

  /** Notes by Raycast AI beside the transcript (never instead of it): the mode's instruction, the transcript as data. */
  const writeNotes = async (data: MeetingTranscriptData, mode: DictationMode) => {
    const toast = await showToast({ style: Toast.Style.Animated, title: `Writing notes (${mode.name})…` });
    const notes = await writeMeetingNotes(mode, meetingTranscriptText(data), raycastAsk());
    setScreen({ kind: "transcript", data: { ...data, notes } });
    toast.style = notes.text ? Toast.Style.Success : Toast.Style.Failure;
    toast.title = notes.text ? "Notes written" : "No notes";
    if (notes.notice) toast.message = notes.notice;
  };

  const retry = () => {
    stopOnOpen.current = false;
    setScreen({ kind: "opening" });
    setProgress({ launched: {}, errors: {} });
    setAttempt((n) => n + 1);
  };

  if (screen.kind === "setup") return <SetupView problem={screen.problem} onRetry={retry} />;
  if (screen.kind === "opening") return <Detail isLoading markdown="Starting the meeting…" />;
  if (screen.kind === "needs-system-device" || screen.kind === "failed") {
    const title = screen.kind === "failed" ? "The meeting could not start" : "Name the system's audio device";
    return (
      <Detail
        markdown={`# ${title}\n\n${screen.message}`}
        actions={
          <ActionPanel>
            <Action title="Open Extension Preferences" icon={Icon.Gear} onAction={openExtensionPreferences} />
            <Action title="Try Again" icon={Icon.RotateClockwise} onAction={retry} />
            <Action.Open title="Open Logs" target={logFolder()} icon={Icon.Document} />
          </ActionPanel>
        }
      />
    );
  }
  if (screen.kind === "ended") {
    return (
      <Detail
        markdown={"# No meeting is recording\n\nIt ended, or was stopped elsewhere (`verbatim meeting stop`)."}
        actions={
          <ActionPanel>
            <Action title="Record Another Meeting" icon={Icon.Microphone} onAction={retry} />
          </ActionPanel>
        }
      />
    );
  }
  if (screen.kind === "transcript") {
    const text = meetingTranscriptText(screen.data);
    return (
      <Detail
        markdown={meetingTranscriptMarkdown(screen.data)}
        actions={
          <ActionPanel>
            <Action.CopyToClipboard title="Copy Transcript" content={text} shortcut={COPY_SHORTCUT} />
            {screen.data.notes?.text ? (
              <Action.CopyToClipboard title="Copy Notes" content={screen.data.notes.text} />
            ) : null}
            {notesModes.length > 0 ? (
              <ActionPanel.Submenu title="Write Notes with Raycast AI" icon={Icon.Stars}>
                {notesModes.map((mode) => (
                  <Action key={mode.name} title={mode.name} onAction={() => void writeNotes(screen.data, mode)} />
                ))}
              </ActionPanel.Submenu>
            ) : null}
            <Action
              title="Paste into Frontmost App"
              icon={Icon.Text}
              onAction={() =>
                insertText(text, "paste").catch((error: unknown) => showFailureToast(error, { title: "Not Pasted" }))
              }
            />
            <Action.ShowInFinder
              title="Show Tracks in Finder"
              path={path.dirname(screen.data.tracks.microphone)}
              shortcut={{ modifiers: ["cmd", "shift"], key: "f" }}
            />
          </ActionPanel>
        }
      />
    );
  }
  const { meeting } = screen;
  const silent = tracksWithoutCapture(meeting, progress);
  const restart = (track: MeetingTrackName) => {
    const opened = connection.current;
    if (!opened) return;
    try {
      follow({ [track]: captureTrack(opened.status, meetingCaptureSetup(), meeting, track, { restarted }) });
    } catch (error) {
      void showFailureToast(error, { title: `The ${trackTitle(track)} Capture Could Not Start` });
    }
  };
  return (
    <Detail
      markdown={meetingMarkdown(meeting, progress)}
      actions={
        <ActionPanel>
          {meeting.state === "recording" ? <Action title="Stop Meeting" icon={Icon.Stop} onAction={stop} /> : null}
          {silent.map((track) => (
            <Action
              key={track}
              title={`Restart ${trackTitle(track)} Capture`}
              icon={Icon.RotateClockwise}
              onAction={() => restart(track)}
            />
          ))}
          {silent.length > 0 ? (
            <Action title="Open Extension Preferences" icon={Icon.Gear} onAction={openExtensionPreferences} />
          ) : null}
          {silent.length > 0 ? (
            <Action.Open title="Open Capture Log" target={path.join(logFolder(), "capture.log")} icon={Icon.Document} />
          ) : null}
          <Action.ShowInFinder title="Show Tracks in Finder" path={meeting.folder} />
        </ActionPanel>
      }
    />
  );
}
