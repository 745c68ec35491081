import {
  Action,
  ActionPanel,
  Alert,
  confirmAlert,
  Detail,
  Icon,
  Keyboard,
  showHUD,
  showToast,
  Toast,
} from "@raycast/api";
import { useEffect, useRef, useState } from "react";
import { SetupView } from "./components/setup-view";
import { COPY_SHORTCUT } from "./components/shortcuts";
import { StateActions } from "./components/state-actions";
import {
  daemonSocket,
  frontmostAppName,
  insertText,
  preferences,
  refreshMenuBar,
  startMicrophoneCapture,
} from "./host";
import type { DaemonClient } from "./lib/daemon-connection";
import { modelDownloadMarkdown, setupProblemOf, type ModelLoading, type SetupProblem } from "./lib/daemon-setup";
import { Dictation, failedDictation, initialDictation, isFinished, type DictationState } from "./lib/dictation-session";
import { beginDictation, dictateGate, openDaemon } from "./lib/dictation-start";
import {
  CONFIRM_CANCEL_AFTER_SECONDS,
  dictatedText,
  dictationMarkdown,
  elapsed,
  levelMeter,
  microphoneSilentMarkdown,
  modelName,
  wordsIn,
} from "./lib/dictation-view";
import type { FinishedTextAction } from "./lib/outputs";
import { transcriptionOptions } from "./lib/preferences";
import { redrawThrottle } from "./lib/redraw-throttle";

const DELIVERED: Record<string, string> = {
  pasted: "Inserted",
  copied: "Copied",
  "pasted and copied": "Inserted and copied",
};

/** Enter's title, as the Finished Text preference says what happens to the text. */
const STOP_TITLES: Record<FinishedTextAction, string> = {
  paste: "Stop and Insert",
  both: "Stop, Insert and Copy",
  copy: "Stop and Copy",
  nothing: "Stop",
};

const STATUS_POLL_MS = 1000;

/** Before the dictation: a setup problem, or the model downloading (the dictation waits unless asked to start). */
type Screen =
  { kind: "dictation" } | { kind: "setup"; problem: SetupProblem } | { kind: "downloading"; loading: ModelLoading };

/** Opens the daemon, waits for a downloading model unless told to start now, then starts or follows the dictation. */
function useDictation() {
  const [screen, setScreen] = useState<Screen>({ kind: "dictation" });
  const [state, setState] = useState<DictationState>(initialDictation);
  const dictation = useRef<Dictation | null>(null);
  const insertWhenDone = useRef(false);
  const startNow = useRef<() => void>(() => undefined);
  const startRequested = useRef(false);

  useEffect(() => {
    const closing = new AbortController();
    const throttle = redrawThrottle(setState);
    let client: DaemonClient | undefined;
    const startPressed = new Promise<void>((resolve) => {
      startNow.current = () => {
        startRequested.current = true;
        resolve();
      };
    });
    (async () => {
      let status;
      try {
        ({ client, status } = await openDaemon(daemonSocket(), closing.signal));
      } catch (error) {
        if (closing.signal.aborted) return;
        const problem = setupProblemOf(error);
        if (problem) setScreen({ kind: "setup", problem });
        else setState(failedDictation(initialDictation(), error));
        return;
      }
      let gate = dictateGate(status);
      while (gate.kind === "downloading" && !startRequested.current) {
        setScreen({ kind: "downloading", loading: gate.loading });
        await Promise.race([startPressed, new Promise((resolve) => setTimeout(resolve, STATUS_POLL_MS))]);
        if (closing.signal.aborted) return;
        if (!startRequested.current) gate = dictateGate(await client.status());
      }
      if (gate.kind === "problem") {
        client.close();
        setScreen({ kind: "setup", problem: gate.problem });
        return;
      }
      setScreen({ kind: "dictation" });
      const run = await beginDictation(client, closing.signal, async () => {
        const app = await frontmostAppName();
        return {
          source: "capture",
          options: { ...transcriptionOptions(preferences()), ...(app && { app }) },
          recover: true,
          startCapture: startMicrophoneCapture,
          onChange: (next: DictationState) => {
            if (!closing.signal.aborted) throttle.push(next);
          },
        };
      });
      if (!run) return;
      dictation.current = run;
      await run.begun;
      void refreshMenuBar();
      const final = await run.finished;
      throttle.cancel();
      void refreshMenuBar();
      if (closing.signal.aborted) return;
      setState(final);
      // Stopped by the user's Enter, or by silence (config autoStopSeconds): as if the user had stopped it.
      const stoppedForTheUser = insertWhenDone.current || final.stopReason === "auto_stop";
      if (final.phase === "done" && stoppedForTheUser) await deliver(dictatedText(final));
    })().catch((error: unknown) => {
      if (!closing.signal.aborted) setState(failedDictation(initialDictation(), error));
    });
    return () => {
      closing.abort();
      throttle.cancel();
      client?.close(); // a dictation goes on: reopening Dictate or the menu bar follows it
    };
  }, []);

  return {
    screen,
    state,
    startNow: () => startNow.current(),
    stopAndInsert: () => {
      insertWhenDone.current = true;
      void dictation.current?.stop();
    },
    stop: () => void dictation.current?.stop(),
    cancel: () => void dictation.current?.cancel(),
  };
}

async function deliver(text: string, action: FinishedTextAction = preferences().finishedText): Promise<void> {
  if (!text) {
    await showToast({ style: Toast.Style.Failure, title: "No speech detected" });
    return;
  }
  const delivered = await insertText(text, action);
  if (delivered === "nothing") return;
  const message = `${DELIVERED[delivered]} ${wordsIn(text)}`;
  // A paste closed Raycast's window, where a toast would not be seen.
  if (delivered === "copied") await showToast({ style: Toast.Style.Success, title: message });
  else await showHUD(message);
}

function metadata(state: DictationState) {
  return (
    <Detail.Metadata>
      <Detail.Metadata.Label title="Level" text={levelMeter(state.phase === "recording" ? state.level : null)} />
      <Detail.Metadata.Label title="Elapsed" text={elapsed(state.audioSeconds)} />
      <Detail.Metadata.Label
        title="Model"
        text={`${modelName(state.model.id)}${state.model.loading ? " (loading…)" : ""}`}
      />
    </Detail.Metadata>
  );
}

export default function Command() {
  const [round, setRound] = useState(0);
  return <DictateView key={round} onRestart={() => setRound((count) => count + 1)} />;
}

function DictateView({ onRestart }: { onRestart: () => void }) {
  const { screen, state, startNow, stopAndInsert, stop, cancel } = useDictation();

  if (screen.kind === "setup") return <SetupView problem={screen.problem} onRetry={onRestart} />;
  if (screen.kind === "downloading") {
    return (
      <Detail
        isLoading
        markdown={modelDownloadMarkdown(screen.loading)}
        actions={
          <ActionPanel>
            <Action title="Start Dictating Now" icon={Icon.Microphone} onAction={startNow} />
          </ActionPanel>
        }
      />
    );
  }

  const confirmCancel = async () => {
    if (state.audioSeconds > CONFIRM_CANCEL_AFTER_SECONDS) {
      const confirmed = await confirmAlert({
        title: "Cancel Dictation?",
        message: `${elapsed(state.audioSeconds)} recorded; its text will be discarded.`,
        primaryAction: { title: "Discard", style: Alert.ActionStyle.Destructive },
      });
      if (!confirmed) return;
    }
    cancel();
  };
  const cancelAction = (
    <Action
      title="Cancel Dictation"
      icon={Icon.XMarkCircle}
      style={Action.Style.Destructive}
      shortcut={{ modifiers: ["cmd"], key: "backspace" }}
      onAction={confirmCancel}
    />
  );

  if (state.microphoneSilent && !isFinished(state.phase)) {
    return (
      <Detail
        markdown={microphoneSilentMarkdown(state.microphoneSilent)}
        actions={
          <ActionPanel>
            <StateActions
              state="microphone-silent"
              handlers={{ "stop-dictation": stop, "cancel-dictation": confirmCancel }}
            />
          </ActionPanel>
        }
      />
    );
  }

  const text = dictatedText(state);
  const recording = state.phase === "recording" || state.phase === "starting";
  return (
    <Detail
      isLoading={state.phase === "connecting" || state.phase === "starting" || state.phase === "stopping"}
      markdown={dictationMarkdown(state)}
      metadata={metadata(state)}
      actions={
        <ActionPanel>
          {recording ? (
            <>
              <Action title={STOP_TITLES[preferences().finishedText]} icon={Icon.Stop} onAction={stopAndInsert} />
              {cancelAction}
            </>
          ) : null}
          {state.phase === "done" && text ? (
            <>
              <Action title="Paste into Frontmost App" icon={Icon.Text} onAction={() => deliver(text, "paste")} />
              <Action.CopyToClipboard title="Copy Text" content={text} shortcut={COPY_SHORTCUT} />
            </>
          ) : null}
          {state.phase === "error" ? (
            <StateActions state="dictation-failed" handlers={{ "try-again": onRestart }} />
          ) : null}
          {state.phase === "error" && text ? (
            // What was recognized before the failure is not lost.
            <Action.CopyToClipboard title="Copy Recognized Text" content={text} shortcut={COPY_SHORTCUT} />
          ) : null}
          {isFinished(state.phase) && state.phase !== "error" ? (
            <Action
              title="Start New Dictation"
              icon={Icon.Microphone}
              shortcut={Keyboard.Shortcut.Common.New}
              onAction={onRestart}
            />
          ) : null}
        </ActionPanel>
      }
    />
  );
}
