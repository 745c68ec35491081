// One live dictation as the extension sees it: a state machine fed by the daemon's events and the user's stop and
// cancel, which either follows the dictation already running (reopened Dictate, the hotkey, the terminal) or starts
// one and its microphone capture. The microphone opens first: as soon as the daemon's status says how, before the
// dictation is started, so that speech begun at the keypress is recorded (the daemon takes what it recorded first).
import {
  DaemonError,
  type DaemonClient,
  type DaemonStatus,
  type DictationInfo,
  type DictationStopReason,
  type Event,
  type TranscriptData,
  type TranscriptionOptions,
} from "./daemon-connection";
import type { MicrophoneCapture } from "./capture-process";
import { applyTextEvent, emptyLiveText, type LiveText } from "./dictation-text";
import type { DictationMode } from "./modes";

export type DictationPhase = "connecting" | "starting" | "recording" | "stopping" | "done" | "canceled" | "error";

export interface DictationState {
  phase: DictationPhase;
  session: string | null;
  /** "follow": a dictation that was already running; "recover": one that ended while nobody followed it. */
  origin: "start" | "follow" | "recover";
  /** Seconds of audio the daemon has received (the elapsed recording time). */
  audioSeconds: number;
  level: { rms: number; peak: number } | null;
  /** Set when the microphone gave exact silence: what to do about the permission; cleared by the first sound. */
  microphoneSilent: string | null;
  model: { id: string | null; loading: boolean };
  text: LiveText;
  transcript: TranscriptData | null;
  /** Why it stopped taking audio, once it has (auto_stop: silence after speech ended it). */
  stopReason: DictationStopReason | null;
  error: { message: string } | null;
  /** The dictation's mode (dictation.started names it; ⌘M switches it); null before, or from a daemon without modes. */
  mode: DictationMode | null;
}

export const initialDictation = (): DictationState => ({
  phase: "connecting",
  session: null,
  origin: "start",
  audioSeconds: 0,
  level: null,
  microphoneSilent: null,
  model: { id: null, loading: false },
  text: emptyLiveText(),
  transcript: null,
  stopReason: null,
  error: null,
  mode: null,
});

export const isFinished = (phase: DictationPhase) => phase === "done" || phase === "canceled" || phase === "error";

/** The state after one of the dictation's events from the daemon. */
export function applyDictationEvent(state: DictationState, event: Event): DictationState {
  if (isFinished(state.phase)) return state;
  const at =
    "at" in event && typeof event.at === "number" ? Math.max(state.audioSeconds, event.at) : state.audioSeconds;
  const next = { ...state, audioSeconds: at };
  switch (event.type) {
    case "dictation.started":
      return {
        ...next,
        phase: state.phase === "stopping" ? "stopping" : "recording",
        session: event.session,
        mode: event.mode ?? state.mode,
      };
    case "dictation.committed":
    case "dictation.utterance":
      // Text means the model runs.
      return { ...next, text: applyTextEvent(state.text, event), model: { ...state.model, loading: false } };
    case "dictation.level":
      // Sound after a silent start (the permission prompt answered, the input unmuted): the microphone works now.
      return {
        ...next,
        level: { rms: event.rms, peak: event.peak },
        microphoneSilent: event.peak > 0 ? null : state.microphoneSilent,
      };
    case "dictation.microphone_silent":
      return { ...next, microphoneSilent: event.message };
    case "dictation.stopping":
      return { ...next, phase: "stopping", stopReason: event.reason };
    case "dictation.done":
      return { ...next, phase: "done", transcript: event.transcript, model: { ...state.model, loading: false } };
    case "dictation.error":
      return event.code === "cancelled"
        ? { ...next, phase: "canceled" }
        : { ...next, phase: "error", error: { message: event.message } };
    default:
      return state;
  }
}

/** The state when the dictation could not be followed to its end. */
export function failedDictation(state: DictationState, error: unknown): DictationState {
  if (isFinished(state.phase)) return state;
  if (error instanceof DaemonError && error.code === "cancelled") return { ...state, phase: "canceled" };
  const message = error instanceof Error ? error.message : String(error);
  return { ...state, phase: "error", error: { message } };
}

/**
 * The dictation that runs now, if any, else one in its final pass or whose text is being finished (the next dictation
 * may start meanwhile: the one running is the one a press acts on).
 */
export async function runningDictation(client: DaemonClient): Promise<DictationInfo | null> {
  const event = await client.request({ type: "dictation.list" });
  const dictations = event.type === "done" ? (event.dictations ?? []) : [];
  return (
    dictations.find((info) => info.state === "running") ?? dictations.find((info) => info.state === "stopping") ?? null
  );
}

/** The newest dictation that finished while no client followed it (Raycast closed mid-dictation), if any. */
export async function undeliveredDictation(client: DaemonClient): Promise<string | null> {
  const event = await client.request({ type: "dictations.list" });
  const recordings = event.type === "done" ? (event.recordings ?? []) : [];
  const undelivered = recordings
    .filter((recording) => recording.state === "undelivered")
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  // A dictation's recording has the session's id.
  return undelivered[0]?.id ?? null;
}

/**
 * The model line: the model loading now, else the one loaded (a dictation runs on it; with a model of its own, or its
 * mode's, that is not the daemon's default), else the default, loading until it is.
 */
function modelLine(model: DaemonStatus["model"]): DictationState["model"] {
  if (model.state === "loading") return { id: model.id, loading: true };
  if (model.inUse) return { id: model.inUse, loading: false };
  return { id: model.id, loading: model.state !== "ready" };
}

/** What the start request carries besides the source. */
export type StartFields = Pick<DictationSetup, "options" | "appBundleId" | "selection">;

export interface DictationSetup {
  source: "capture" | "stream";
  options?: TranscriptionOptions;
  /** After speech, this long without speech stops the dictation (absent: the daemon's autoStopSeconds). */
  autoStopSeconds?: number;
  /** The bundle id of the app the text is for: the daemon chooses the dictation's mode by it. */
  appBundleId?: string;
  /** The text selected in that app, for a mode that edits it by voice. */
  selection?: string;
  /** Offer the text of a dictation that ended while nobody followed it, when none runs. */
  recover?: boolean;
  /**
   * When the user asked (epoch ms: the command's launch): a microphone kept ready (keepMicrophoneReadyMinutes) gives
   * the dictation what it heard from then on.
   */
  pressedAt?: number;
  /**
   * For a capture dictation: starts the microphone capture, before the dictation starts (abandoned if this client
   * follows another one instead). If it fails, the dictation is stopped with what was recorded, and says why.
   */
  openMicrophone?(status: DaemonStatus): MicrophoneCapture;
  /**
   * Reads the start request's fields (the frontmost app, its mode, its selection: Raycast takes a while to read a
   * selection) once the microphone is open, so that the first word does not wait for them; they replace the above.
   */
  startFields?(): Promise<StartFields>;
  onChange(state: DictationState): void;
  /** How often the daemon's model is asked for while the dictation runs. */
  modelPollMs?: number;
}

export class Dictation {
  state: DictationState = { ...initialDictation(), phase: "starting" };
  /** Settles once the session is known (started or followed), or the dictation could not begin. */
  readonly begun: Promise<void>;
  /** Settles with the final state: done, canceled or error. */
  readonly finished: Promise<DictationState>;
  private ending: "stop" | "cancel" | null = null;
  private endingSent = false;
  private captureFailure: string | null = null;
  /** The capture process opened for a dictation this client starts, before it starts. */
  private microphone: MicrophoneCapture | null = null;
  private markBegun!: () => void;

  constructor(
    private readonly client: DaemonClient,
    private readonly setup: DictationSetup,
  ) {
    this.begun = new Promise((resolve) => (this.markBegun = resolve));
    this.finished = this.run()
      .then(
        (event) => this.onEvent(event),
        (error: unknown) => this.update(failedDictation(this.state, error)),
      )
      .then(() => {
        this.markBegun();
        if (this.captureFailure && this.state.phase !== "canceled") {
          this.update({ ...this.state, phase: "error", error: { message: this.captureFailure } });
        }
        return this.state;
      });
  }

  /** Ends with a final pass over what was recorded (at once, or as soon as the session is known). */
  stop(): Promise<void> {
    return this.end("stop");
  }

  cancel(): Promise<void> {
    return this.end("cancel");
  }

  private async end(how: "stop" | "cancel"): Promise<void> {
    if (this.ending || isFinished(this.state.phase)) return;
    this.ending = how;
    if (how === "stop") this.update({ ...this.state, phase: "stopping" });
    await this.begun;
    const session = this.state.session;
    if (session && !isFinished(this.state.phase)) await this.sendEnding(session);
  }

  /**
   * Sends the stop or cancel asked for, once (it may be asked for before the session is known). A stop of the
   * dictation this client's capture records goes through the capture process, which stops it once it has sent what
   * it recorded (and, should it end without doing so, the stop is sent then).
   */
  private async sendEnding(session: string): Promise<void> {
    if (!this.ending || this.endingSent) return;
    this.endingSent = true;
    // The outcome reaches this client as a follower too; a failure here shows up there.
    const type = this.ending === "stop" ? "dictation.stop" : "dictation.cancel";
    const send = () => this.client.request({ type, session }).catch(() => undefined);
    if (type === "dictation.stop" && this.microphone?.stop()) {
      void this.microphone.exited.then(send); // once it is done, or in case it ended without stopping it
      return;
    }
    await send();
  }

  private update(state: DictationState): void {
    this.state = state;
    this.setup.onChange(state);
  }

  private onEvent = (event: Event) => {
    this.update(applyDictationEvent(this.state, event));
    if (event.type === "dictation.started") this.markBegun();
  };

  private async run(): Promise<Event> {
    const status = await this.client.status();
    const microphone = this.setup.source === "capture" ? (this.setup.openMicrophone?.(status) ?? null) : null;
    this.microphone = microphone;
    if (microphone) this.watch(microphone);
    this.update({ ...this.state, model: modelLine(status.model) });
    const poll = this.pollModel();
    try {
      const running = await runningDictation(this.client);
      if (running) return await this.follow(running.session, "follow", running.state === "stopping");
      const undelivered = this.setup.recover ? await undeliveredDictation(this.client) : null;
      if (undelivered) return await this.follow(undelivered, "recover", false);
      return await this.start();
    } finally {
      microphone?.abandon(); // it records into no dictation (given one, it goes on until that ends)
      clearInterval(poll);
    }
  }

  /** A capture that fails stops the dictation, with what it recorded, and says why. */
  private watch(microphone: MicrophoneCapture): void {
    void microphone.exited.then(({ code, message }) => {
      if (code === 0 || isFinished(this.state.phase) || this.endingSent) return; // asked to end, it ends
      this.captureFailure = `The microphone capture stopped (${message}).`;
      void this.stop();
    });
  }

  private follow(session: string, origin: "follow" | "recover", stopping: boolean): Promise<Event> {
    this.microphone?.abandon(); // another dictation's audio comes from its own capture
    this.update({
      ...this.state,
      session,
      origin,
      phase: stopping || this.ending === "stop" ? "stopping" : "recording",
    });
    this.markBegun();
    void this.sendEnding(session);
    return this.client.request({ type: "dictation.attach", session }, this.onEvent);
  }

  private async start(): Promise<Event> {
    const { source, options, autoStopSeconds, appBundleId, selection, pressedAt } = {
      ...this.setup,
      ...(await this.setup.startFields?.()),
    };
    const request = this.client.request(
      {
        type: "dictation.start",
        source,
        ...(options && Object.keys(options).length > 0 && { options }),
        ...(autoStopSeconds !== undefined && { autoStopSeconds }),
        ...(appBundleId && { appBundleId }),
        ...(selection && { selection }),
        ...(pressedAt !== undefined && { pressedAt }),
      },
      (event) => {
        this.onEvent(event);
        if (event.type === "dictation.started") this.started(event.session, event.readyMicrophone === true);
      },
    );
    try {
      return await request;
    } catch (error) {
      // Another client started one between the list and the start: follow it instead.
      if (!(error instanceof DaemonError && error.code === "busy") || this.state.session) throw error;
      const running = await runningDictation(this.client);
      if (!running) throw error;
      return this.follow(running.session, "follow", running.state === "stopping");
    }
  }

  private started(session: string, readyMicrophone: boolean): void {
    if (readyMicrophone) {
      // A microphone kept ready records it, from the keypress on: the one opened here closes. A stop goes to the
      // daemon, which has the ready one send what it read before it stops.
      this.microphone?.abandon();
      this.microphone = null;
    }
    // What the microphone recorded so far goes to the dictation, even when a stop was asked for before it began.
    else if (this.ending !== "cancel") this.microphone?.begin(session);
    if (this.ending) void this.sendEnding(session);
  }

  /** Keeps the model line current: a dictation asking for another model makes the daemon switch (load, download). */
  private pollModel(): NodeJS.Timeout {
    const timer = setInterval(() => {
      this.client.status().then(
        ({ model }) => {
          const line = modelLine(model);
          if (
            isFinished(this.state.phase) ||
            (line.id === this.state.model.id && line.loading === this.state.model.loading)
          )
            return;
          this.update({ ...this.state, model: line });
        },
        () => clearInterval(timer),
      );
    }, this.setup.modelPollMs ?? 1000);
    return timer;
  }
}
