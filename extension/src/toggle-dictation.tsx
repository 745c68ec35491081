import { showHUD } from "@raycast/api";
import {
  applyKeepMicrophoneReady,
  daemonSocket,
  frontmostApp,
  preferences,
  refreshMenuBar,
  openMicrophoneCapture,
  selectedText,
} from "./host";
import { connect, type DaemonClient } from "./lib/daemon-connection";
import { modelDownloadingHud, setupHudMessage, setupProblemOf } from "./lib/daemon-setup";
import { Dictation, isFinished, runningDictation, type DictationState } from "./lib/dictation-session";
import { dictateGate, launchTime } from "./lib/dictation-start";
import { insertTranscript } from "./components/dictation-delivery";
import { MICROPHONE_SILENT_HUD } from "./lib/dictation-view";
import { startInApp } from "./lib/modes";
import { autoStopSeconds, transcriptionOptions } from "./lib/preferences";

/** How long after starting to listen for a silent microphone (the daemon tells after 2 s of exact zeros). */
const SILENCE_CHECK_MS = 2600;

/**
 * First press: start a dictation. Second press (or a dictation started elsewhere): stop it and paste its text. With
 * Auto-Stop, the first press also pastes, once silence after speech has ended the dictation by itself.
 */
export default async function Command() {
  const pressedAt = launchTime();
  let client: DaemonClient;
  try {
    client = await connect(daemonSocket());
  } catch (error) {
    const problem = setupProblemOf(error);
    await showHUD(problem ? setupHudMessage(problem) : `Verbatim: ${(error as Error).message}`);
    return;
  }
  try {
    const running = await runningDictation(client);
    if (running) await stopAndInsert(client, running.session);
    else await start(client, pressedAt);
  } catch (error) {
    await showHUD(`Verbatim: ${(error as Error).message}`);
  } finally {
    client.close();
  }
}

async function stopAndInsert(client: DaemonClient, session: string): Promise<void> {
  const event = await client.request({ type: "dictation.stop", session });
  void refreshMenuBar();
  await insertTranscript(event.type === "done" ? event.transcript : undefined, session);
}

async function start(client: DaemonClient, pressedAt: number): Promise<void> {
  const status = await client.status();
  const gate = dictateGate(status);
  if (gate.kind === "problem") return void (await showHUD(setupHudMessage(gate.problem)));
  if (gate.kind === "downloading") return void (await showHUD(modelDownloadingHud(gate.loading)));
  let heardSilence!: () => void;
  const silence = new Promise<void>((resolve) => (heardSilence = resolve));
  const autoStop = autoStopSeconds(preferences());
  applyKeepMicrophoneReady(client, status);
  const dictation = new Dictation(client, {
    source: "capture",
    pressedAt,
    startFields: async () => {
      const app = await frontmostApp();
      const start = await startInApp(client, transcriptionOptions(preferences()), app.bundleId, selectedText);
      return { ...start, options: { ...start.options, ...(app.name && { app: app.name }) } };
    },
    autoStopSeconds: autoStop,
    openMicrophone: openMicrophoneCapture,
    onChange: (state) => {
      if (state.microphoneSilent) heardSilence();
    },
  });
  await dictation.begun;
  if (isFinished(dictation.state.phase)) {
    await showHUD(`Verbatim: ${dictation.state.error?.message ?? "the dictation ended at once"}`);
    return;
  }
  await showHUD(autoStop ? "Listening… it inserts when you stop speaking" : "Listening… press again to insert");
  void refreshMenuBar();
  // Stay a moment to catch a microphone macOS keeps silent; the dictation itself outlives this command.
  await Promise.race([silence, dictation.finished, new Promise((resolve) => setTimeout(resolve, SILENCE_CHECK_MS))]);
  const now: DictationState = dictation.state; // changed while waiting
  if (now.phase === "error") {
    await showHUD(`Verbatim: ${now.error!.message}`);
    return;
  }
  // macOS's permission prompt may be open (a first run): the dictation goes on, and hears the microphone once allowed.
  if (now.microphoneSilent) await showHUD(MICROPHONE_SILENT_HUD);
  if (autoStop) {
    // Hands-free: stay until silence ends the dictation, then insert. A second press that stops it first inserts
    // the text itself, so only an automatic stop is inserted here.
    const ended = await dictation.finished;
    void refreshMenuBar();
    if (ended.phase === "done" && ended.stopReason === "auto_stop" && ended.session)
      await insertTranscript(ended.transcript, ended.session);
    else if (ended.phase === "error") await showHUD(`Verbatim: ${ended.error!.message}`);
  }
}
