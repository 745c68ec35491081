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
import { usePromise } from "@raycast/utils";
import { useEffect, useRef, useState } from "react";
import { SetupView } from "./components/setup-view";
import { COPY_SHORTCUT } from "./components/shortcuts";
import { StateActions } from "./components/state-actions";
import {
  applyKeepMicrophoneReady,
  daemonSocket,
  deliverPlanned,
  frontmostApp,
  preferences,
  raycastAsk,
  refreshMenuBar,
  openMicrophoneCapture,
  selectedText,
  withDaemon,
} from "./host";
import { dictationText } from "./lib/ai-finishing";
import type { DaemonClient, TranscriptData } from "./lib/daemon-connection";
import { modelDownloadMarkdown, setupProblemOf, type ModelLoading, type SetupProblem } from "./lib/daemon-setup";
import { Dictation, failedDictation, initialDictation, isFinished, type DictationState } from "./lib/dictation-session";
import { beginDictation, dictateGate, launchTime, openDaemon } from "./lib/dictation-start";
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
import {
  deliveryPlan,
  ENGINE_TITLES,
  loadModes,
  startInApp,
  stopTitle,
  type DeliveryPlan,
  type DictationMode,
} from "./lib/modes";
import { transcriptionOptions } from "./lib/preferences";
import { redrawThrottle } from "./lib/redraw-throttle";

const DELIVERED: Record<string, string> = {
  pasted: "Inserted",
  copied: "Copied",
  "pasted and copied": "Inserted and copied",
};

const STATUS_POLL_MS = 1000;

/**
 * The dictation's state, and once it ended: Raycast AI finishing it (a status line), the spoken text, and the text
 * an edit by voice replaced.
 */
type DictateState = DictationState & {
  spokenText?: string | null;
  finishing?: string | null;
  original?: string | null;
};

/** Before the dictation: a setup problem, or the model downloading (the dictation waits unless asked to start). */
type Screen =
  { kind: "dictation" } | { kind: "setup"; problem: SetupProblem } | { kind: "downloading"; loading: ModelLoading };

/** Opens the daemon, waits for a downloading model unless told to start now, then starts or follows the dictation. */
function useDictation() {
  const [screen, setScreen] = useState<Screen>({ kind: "dictation" });
  const [state, setState] = useState<DictateState>(initialDictation);
  const dictation = useRef<Dictation | null>(null);
  const insertWhenDone = useRef(false);
  const startNow = useRef<() => void>(() => undefined);
  const startRequested = useRef(false);

  useEffect(() => {
    const pressedAt = launchTime();
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
      applyKeepMicrophoneReady(client, status);
      const opened = client;
      const run = await beginDictation(client, closing.signal, async () => ({
        source: "capture",
        startFields: async () => {
          const app = await frontmostApp();
          const start = await startInApp(opened, transcriptionOptions(preferences()), app.bundleId, selectedText);
          return { ...start, options: { ...start.options, ...(app.name && { app: app.name }) } };
        },
        recover: true,
        pressedAt,
        openMicrophone: openMicrophoneCapture,
        onChange: (next: DictationState) => {
          if (!closing.signal.aborted) throttle.push(next);
        },
      }));
      if (!run) return;
      dictation.current = run;
      await run.begun;
      void refreshMenuBar();
      const final = await run.finished;
      throttle.cancel();
      void refreshMenuBar();
      if (closing.signal.aborted) return;
      setState(final);
      if (final.phase !== "done" || !final.transcript || !final.session) return;
      const result = await finishText(final.transcript, final.session, (finishing) =>
        setState((current) => ({ ...current, finishing })),
      );
      if (closing.signal.aborted) return;
      setState((current) => ({ ...current, ...result.state }));
      // Stopped by the user's Enter, or by silence (config autoStopSeconds): as if the user had stopped it.
      const stoppedForTheUser = insertWhenDone.current || final.stopReason === "auto_stop";
      if (stoppedForTheUser) await deliver(result.text, planOf(final.transcript), result.notice);
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
    /** ⌘M: the mode that finishes the text; a dictation that ended is finished anew (then shown, not delivered). */
    switchMode: async (mode: DictationMode) => {
      const session = dictation.current?.state.session ?? state.session;
      if (!session) return;
      const answer = await withDaemon((daemon) => daemon.request({ type: "dictation.mode", session, mode: mode.name }));
      setState((current) => ({ ...current, mode }));
      // Still recording (no transcript yet): the new mode finishes the text when it ends.
      const transcript = answer.type === "done" ? answer.transcript : undefined;
      if (!transcript) return;
      const result = await finishText(transcript, session, (finishing) =>
        setState((current) => ({ ...current, finishing })),
      );
      setState((current) => ({ ...current, ...result.state }));
      if (result.notice) await showToast({ style: Toast.Style.Failure, title: "Not Finished", message: result.notice });
    },
  };
}

/** The Dictate view's extra state once the final text is there: finishing (Raycast AI) and the spoken text. */
interface FinishedState {
  transcript: TranscriptData;
  /** What was said, when the text shown was finished from it (Paste Spoken Text). */
  spokenText: string | null;
  finishing: string | null;
  /** The selected text as it was, when the dictation edited it by voice. */
  original: string | null;
}

/** Finishes a final transcript with Raycast AI when its mode asks (`busy` says so meanwhile). */
async function finishText(
  transcript: TranscriptData,
  session: string,
  busy: (line: string | null) => void,
): Promise<{ text: string; notice?: string; state: FinishedState }> {
  if (transcript.finishing?.status === "client") busy("Finishing with Raycast AI…");
  const result = await dictationText(transcript, raycastAsk(), async (text) => {
    const kept = await withDaemon((daemon) => daemon.request({ type: "dictation.finished", session, text }));
    return kept.type === "done" ? kept.transcript : undefined;
  });
  const spokenText = result.finished && result.spokenText !== result.text ? result.spokenText : null;
  const original = result.finished ? (result.original ?? null) : null;
  return {
    text: result.text,
    ...(result.notice && { notice: result.notice }),
    // An edit not made delivers nothing; the view still shows what was said.
    state: {
      transcript: { ...transcript, text: result.text || result.spokenText },
      spokenText,
      finishing: null,
      original,
    },
  };
}

/** The delivery of the dictation's text: its mode's (as the transcript or, while recording, the mode says). */
const planOf = (transcript: TranscriptData | null, finishedText = preferences().finishedText, state?: DictateState) =>
  deliveryPlan(transcript?.finishing?.deliver ?? state?.mode?.deliver, finishedText, "dictate");

/** Paste, as an action asks (not the mode's delivery). */
const PASTE: DeliveryPlan = { action: "paste", pressReturn: false };

async function deliver(text: string, plan: DeliveryPlan, notice?: string): Promise<void> {
  if (!text) {
    // An edit by voice that was not made says why; else nothing was heard.
    await showToast({
      style: Toast.Style.Failure,
      title: notice ? "Not Edited" : "No speech detected",
      message: notice,
    });
    return;
  }
  const delivered = await deliverPlanned(text, plan);
  if (delivered === "nothing") return;
  const message = `${DELIVERED[delivered]} ${wordsIn(text)}${notice ? `: ${notice}` : ""}`;
  // A paste closed Raycast's window, where a toast would not be seen.
  if (delivered === "copied") await showToast({ style: Toast.Style.Success, title: message });
  else await showHUD(message);
}

function metadata(state: DictateState) {
  return (
    <Detail.Metadata>
      <Detail.Metadata.Label title="Level" text={levelMeter(state.phase === "recording" ? state.level : null)} />
      <Detail.Metadata.Label title="Elapsed" text={elapsed(state.audioSeconds)} />
      <Detail.Metadata.Label
        title="Model"
        text={`${modelName(state.model.id)}${state.model.loading ? " (loading…)" : ""}`}
      />
      {modeOf(state) ? (
        <Detail.Metadata.Label
          title="Mode"
          text={`${modeOf(state)!.name}${modeOf(state)!.finishing !== "none" ? `, ${ENGINE_TITLES[modeOf(state)!.finishing]}` : ""}`}
        />
      ) : null}
    </Detail.Metadata>
  );
}

/** The dictation's mode: as it started or was switched, else as its transcript names it (a followed dictation). */
function modeOf(state: DictateState): { name: string; finishing: "none" | "raycast" | "local" } | null {
  if (state.mode) return state.mode;
  const finishing = state.transcript?.finishing;
  return finishing ? { name: finishing.mode, finishing: finishing.engine } : null;
}

export default function Command() {
  const [round, setRound] = useState(0);
  return <DictateView key={round} onRestart={() => setRound((count) => count + 1)} />;
}

function DictateView({ onRestart }: { onRestart: () => void }) {
  const { screen, state, startNow, stopAndInsert, stop, cancel, switchMode } = useDictation();
  const { data: modes } = usePromise(() => withDaemon(loadModes), [], { onError: () => undefined });

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
      isLoading={
        state.phase === "connecting" || state.phase === "starting" || state.phase === "stopping" || !!state.finishing
      }
      markdown={dictationMarkdown(state, state.finishing)}
      metadata={metadata(state)}
      actions={
        <ActionPanel>
          {recording ? (
            <>
              <Action title={stopTitle(planOf(null, undefined, state))} icon={Icon.Stop} onAction={stopAndInsert} />
              {cancelAction}
            </>
          ) : null}
          {state.phase === "done" && text ? (
            <>
              <Action title="Paste into Frontmost App" icon={Icon.Text} onAction={() => deliver(text, PASTE)} />
              <Action.CopyToClipboard title="Copy Text" content={text} shortcut={COPY_SHORTCUT} />
            </>
          ) : null}
          {state.phase === "done" && state.original ? (
            <>
              <Action
                title="Paste Original Text"
                icon={Icon.ArrowCounterClockwise}
                onAction={() => deliver(state.original!, PASTE)}
              />
              <Action.CopyToClipboard title="Copy Original Text" content={state.original} />
            </>
          ) : null}
          {state.phase === "done" && state.spokenText ? (
            <>
              <Action
                title="Paste Spoken Text"
                icon={Icon.SpeechBubble}
                shortcut={{ modifiers: ["cmd", "shift"], key: "v" }}
                onAction={() => deliver(state.spokenText!, PASTE)}
              />
              <Action.CopyToClipboard
                title="Copy Spoken Text"
                content={state.spokenText}
                shortcut={{ modifiers: ["cmd", "opt", "shift"], key: "c" }}
              />
            </>
          ) : null}
          {modes &&
          modes.modes.length > 0 &&
          state.session &&
          (recording || state.phase === "stopping" || (state.phase === "done" && text)) ? (
            <ActionPanel.Submenu
              title="Switch Mode"
              icon={Icon.AppWindowGrid3x3}
              shortcut={{ modifiers: ["cmd"], key: "m" }}
            >
              {modes.modes.map((mode) => (
                <Action
                  key={mode.name}
                  title={mode.name}
                  icon={mode.name === modeOf(state)?.name ? Icon.CheckCircle : Icon.Circle}
                  onAction={() =>
                    switchMode(mode).catch((error: unknown) =>
                      showToast({ style: Toast.Style.Failure, title: "Mode Not Switched", message: String(error) }),
                    )
                  }
                />
              ))}
            </ActionPanel.Submenu>
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
