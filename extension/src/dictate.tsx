import {
  Action,
  ActionPanel,
  Alert,
  confirmAlert,
  Detail,
  Icon,
  Keyboard,
  open,
  showHUD,
  showToast,
  Toast,
} from "@raycast/api";
import { useEffect, useRef, useState } from "react";
import {
  daemonSocket,
  frontmostAppName,
  insertText,
  preferences,
  refreshMenuBar,
  startMicrophoneCapture,
} from "./host";
import { connect, type DaemonClient } from "./lib/daemon-connection";
import { Dictation, failedDictation, initialDictation, isFinished, type DictationState } from "./lib/dictation-session";
import {
  CONFIRM_CANCEL_AFTER_SECONDS,
  dictatedText,
  dictationMarkdown,
  elapsed,
  levelMeter,
  microphoneSilentMarkdown,
  MICROPHONE_SETTINGS_URL,
  modelName,
  wordCount,
} from "./lib/dictation-view";
import type { FinishedTextAction } from "./lib/outputs";
import { transcriptionOptions } from "./lib/preferences";
import { redrawThrottle } from "./lib/redraw-throttle";
import { setupStepsMarkdown } from "./lib/setup-steps";

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

/** Follows the dictation from start (or from where a running one is) to its end; `insertWhenDone` after Enter. */
function useDictation() {
  const [state, setState] = useState<DictationState>(initialDictation);
  const dictation = useRef<Dictation | null>(null);
  const insertWhenDone = useRef(false);

  useEffect(() => {
    const throttle = redrawThrottle(setState);
    let client: DaemonClient | undefined;
    let closed = false;
    (async () => {
      try {
        client = await connect(daemonSocket());
      } catch (error) {
        if (!closed) setState(failedDictation(initialDictation(), error));
        return;
      }
      const app = await frontmostAppName();
      const run = new Dictation(client, {
        source: "capture",
        options: { ...transcriptionOptions(preferences()), ...(app && { app }) },
        recover: true,
        startCapture: startMicrophoneCapture,
        onChange: (next) => {
          if (!closed) throttle.push(next);
        },
      });
      dictation.current = run;
      await run.begun;
      void refreshMenuBar();
      const final = await run.finished;
      throttle.cancel();
      void refreshMenuBar();
      if (closed) return;
      setState(final);
      // Stopped by the user's Enter, or by silence (config autoStopSeconds): as if the user had stopped it.
      const stoppedForTheUser = insertWhenDone.current || final.stopReason === "auto_stop";
      if (final.phase === "done" && stoppedForTheUser) await deliver(dictatedText(final));
    })();
    return () => {
      closed = true;
      throttle.cancel();
      client?.close(); // the dictation goes on: reopening Dictate or the menu bar follows it
    };
  }, []);

  return {
    state,
    stopAndInsert: () => {
      insertWhenDone.current = true;
      void dictation.current?.stop();
    },
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
  const words = wordCount(text);
  const message = `${DELIVERED[delivered]} ${words} word${words === 1 ? "" : "s"}`;
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
  const { state, stopAndInsert, cancel } = useDictation();

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

  if (state.error?.unreachable) return <Detail markdown={setupStepsMarkdown(state.error.message)} />;
  if (state.microphoneSilent && !isFinished(state.phase)) {
    return (
      <Detail
        markdown={microphoneSilentMarkdown(state.microphoneSilent)}
        actions={
          <ActionPanel>
            <Action
              title="Open Microphone Settings"
              icon={Icon.Microphone}
              onAction={() => open(MICROPHONE_SETTINGS_URL)}
            />
            {cancelAction}
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
              <Action.CopyToClipboard title="Copy Text" content={text} />
            </>
          ) : null}
          {isFinished(state.phase) ? (
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
