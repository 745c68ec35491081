// `verbatim dictate`: a live dictation from the microphone (through the capture process) or from a file streamed at
// real-time pace; live text on the terminal, the final text on stdout (so `verbatim dictate | pbcopy` works). The
// microphone opens first, in this process, before the CLI loads or the daemon is asked (bin/verbatim.js,
// capture/microphone-first.ts), and what it recorded goes into the dictation once the daemon has started it.
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import path from "node:path";
import type { DaemonClient } from "../client";
import { transcriptJson } from "../formats";
import type { VerbatimPaths } from "../paths";
import {
  MAX_AUTO_STOP_SECONDS,
  type Event,
  type Request,
  type TranscriptData,
  type TranscriptionOptions,
} from "../protocol";
import { DECODING_FLAG_OPTIONS, decodingOptionsFromFlags } from "./decoding-flags";
import { EXIT, UsageError } from "./exit-codes";
import { parseCommandLine } from "./command-line";
import { LiveText } from "./live-text";
import { BufferedRecording, reportStart } from "../capture/buffered-recording";
import { Microphone, MicrophoneError } from "../capture/microphone";
import { CAPTURE_ENTRY } from "../capture/capture-entry";
import { microphoneOpenedFirst } from "../capture/microphone-first";
import { processStartedAt } from "./process-start";
import { TextSoFar } from "./text-so-far";

/** Audio per frame sent to the daemon: 100 ms of 16 kHz 16-bit mono. */
const FRAME_BYTES = 3200;
const FRAME_MS = 100;
/** Shown on a terminal once the dictation runs: the keys watchControls listens for. */
const KEYS_HINT = "Dictating: Enter stops and prints the text, Esc cancels.\n";

export interface DictateCommand {
  input: string | null;
  fast: boolean;
  json: boolean;
  device: string | undefined;
  autoStopSeconds: number | undefined;
  mode: string | undefined;
  options: TranscriptionOptions;
}

export function parseDictate(args: string[]): DictateCommand {
  const parsed = parseCommandLine({
    args,
    options: {
      input: { type: "string" },
      fast: { type: "boolean" },
      json: { type: "boolean" },
      device: { type: "string" },
      "auto-stop": { type: "string" },
      mode: { type: "string" },
      model: { type: "string" },
      language: { type: "string" },
      prompt: { type: "string" },
      ...DECODING_FLAG_OPTIONS,
    },
  });
  const { values } = parsed;
  if (values.fast && !values.input) throw new UsageError("--fast goes with --input FILE");
  if (values.device && values.input) throw new UsageError("--device is for the microphone, not with --input");
  const autoStop = values["auto-stop"] === undefined ? undefined : Number(values["auto-stop"]);
  if (autoStop !== undefined && !(autoStop >= 0 && autoStop <= MAX_AUTO_STOP_SECONDS)) {
    throw new UsageError(`--auto-stop must be seconds from 0 (never) to ${MAX_AUTO_STOP_SECONDS}`);
  }
  const options: TranscriptionOptions = decodingOptionsFromFlags(values);
  if (values.model) {
    // The daemon runs in another folder: a local model folder is sent as an absolute path.
    const folder = path.resolve(values.model);
    options.model = existsSync(path.join(folder, "config.json")) ? folder : values.model;
  }
  if (values.language) options.language = values.language;
  if (values.prompt) options.prompt = values.prompt;
  return {
    input: values.input ?? null,
    fast: Boolean(values.fast),
    json: Boolean(values.json),
    device: values.device,
    autoStopSeconds: autoStop,
    mode: values.mode,
    options,
  };
}

/** What the user asked for with the keyboard or a signal. */
type Ending = "stop" | "cancel";

/** Enter or Ctrl-C stops, Esc or Ctrl-\ cancels: keys on a terminal, signals otherwise. Returns the cleanup. */
function watchControls(end: (how: Ending) => void): () => void {
  const onStop = () => end("stop");
  const onCancel = () => end("cancel");
  process.on("SIGINT", onStop);
  process.on("SIGQUIT", onCancel);
  const stdin = process.stdin;
  const onKey = (data: Buffer) => {
    const key = data.toString("latin1");
    if (key === "\r" || key === "\n" || key === "\x03") end("stop");
    else if (key === "\x1b" || key === "\x1c") end("cancel"); // a lone Esc; arrow keys send longer sequences
  };
  if (stdin.isTTY) {
    stdin.setRawMode(true);
    stdin.on("data", onKey);
    stdin.resume();
  }
  return () => {
    process.off("SIGINT", onStop);
    process.off("SIGQUIT", onCancel);
    if (stdin.isTTY) {
      stdin.off("data", onKey);
      stdin.setRawMode(false);
      stdin.pause();
    }
  };
}

/** An event as a JSON line: its type without the "dictation." prefix, `at`, and its fields. */
function jsonLine(event: Event): string {
  const fields: Record<string, unknown> = { ...event };
  delete fields.id;
  delete fields.type;
  return JSON.stringify({ type: event.type.replace(/^dictation\./, ""), at: fields.at ?? null, ...fields });
}

/**
 * How the dictation is to end, once: the user's keys and signals (heard from the start, so that one pressed before
 * the dictation began acts once it has), the end of the file, or a failed capture.
 */
class Controls {
  ending: Ending | null = null;
  private act: ((how: Ending) => void) | null = null;
  readonly release = watchControls((how) => this.end(how));

  end(how: Ending): void {
    if (this.ending) return;
    this.ending = how;
    this.act?.(how);
  }

  /** From now on an ending goes to `act` (at once if one was asked for already). */
  onEnd(act: (how: Ending) => void): void {
    this.act = act;
    if (this.ending) act(this.ending);
  }
}

export async function runDictate(command: DictateCommand, paths: VerbatimPaths): Promise<number> {
  const controls = new Controls();
  const capture = command.input
    ? null
    : new Capture(openRecording(command.device), (message) => {
        process.stderr.write(`verbatim: ${message}\n`);
        controls.end("stop"); // the final text of whatever was recorded
      });
  try {
    const pcm = command.input ? await fileAudio(command.input) : null;
    const { ensureDaemon } = await import("../daemon-control.js");
    const client = await ensureDaemon(paths, command.options.model);
    try {
      return await dictate(client, pcm, command, controls, capture);
    } finally {
      client.close();
    }
  } finally {
    capture?.close();
    controls.release();
    if (capture?.leavesReady) leaveMicrophoneReady(command.device, paths);
  }
}

/**
 * keepMicrophoneReadyMinutes is on and this dictation recorded in this process: a capture process, detached, opens
 * the microphone and keeps it ready for the next dictation (`verbatim capture --ready`), so that the next `verbatim
 * dictate` (or Raycast's) loses nothing at its start. Its messages go to the log folder's capture.log.
 */
function leaveMicrophoneReady(device: string | undefined, paths: VerbatimPaths): void {
  mkdirSync(paths.logDir, { recursive: true });
  const log = openSync(path.join(paths.logDir, "capture.log"), "a");
  try {
    spawn(process.execPath, [CAPTURE_ENTRY, "--ready", ...(device === undefined ? [] : ["--device", device])], {
      detached: true,
      stdio: ["ignore", "ignore", log],
    }).unref();
  } finally {
    closeSync(log);
  }
}

/** The microphone's recording: the one bin/verbatim.js opened first, else one opened now. Exit 3 if it cannot open. */
function openRecording(device: string | undefined): BufferedRecording {
  try {
    return microphoneOpenedFirst() ?? new BufferedRecording(new Microphone(device));
  } catch (error) {
    // No microphone, or one that failed: an input problem, with what to do in the message.
    if (error instanceof MicrophoneError) throw new UsageError(error.message, EXIT.input);
    throw error;
  }
}

/** The file's audio as 16 kHz 16-bit PCM, to stream as if it were the microphone. */
async function fileAudio(file: string): Promise<Uint8Array> {
  const { loadAudio } = await import("../audio/index.js");
  const { toPcmBytes } = await import("../dictation/pcm.js");
  return toPcmBytes((await loadAudio(path.resolve(file))).samples);
}

async function dictate(
  client: DaemonClient,
  pcm: Uint8Array | null,
  command: DictateCommand,
  controls: Controls,
  capture: Capture | null,
): Promise<number> {
  const live = !command.json && process.stderr.isTTY ? new LiveText(process.stderr) : null;
  const soFar = new TextSoFar();
  const onEvent = (event: Event) => {
    soFar.push(event);
    if (event.type === "dictation.started" && live && process.stdin.isTTY) process.stderr.write(KEYS_HINT);
    if (command.json) process.stdout.write(jsonLine(event) + "\n");
    else if (live) live.show(event);
    else if (event.type === "dictation.microphone_silent" || event.type === "notice")
      process.stderr.write(`verbatim: ${event.message}\n`);
  };
  client.onStrayEvent = (event) => {
    if (event.type === "error") process.stderr.write(`verbatim: ${event.message}\n`);
  };

  let session: string | null = null;
  let recordsHere = true;
  let started!: () => void;
  const hasStarted = new Promise<void>((resolve) => (started = resolve));
  const request: Omit<Extract<Request, { type: "dictation.start" }>, "id"> = {
    type: "dictation.start",
    source: pcm ? "stream" : "capture",
    options: command.options,
  };
  if (command.device) request.device = command.device;
  if (command.autoStopSeconds !== undefined) request.autoStopSeconds = command.autoStopSeconds;
  if (command.mode !== undefined) request.mode = command.mode;
  // The keypress, as near as this process knows it: its own start. A microphone kept ready records from then on.
  if (capture) request.pressedAt = processStartedAt();
  let stopping = false;
  let finished = false;
  const outcome = client.request(request, (event) => {
    if (event.type === "dictation.started") {
      session = event.session;
      // A microphone kept ready records it (from this process's start): this one is not needed.
      if (event.readyMicrophone) capture?.close();
      else if (event.keepMicrophoneReady) capture?.leaveReadyAfter();
      recordsHere = !event.readyMicrophone;
      started();
    }
    if (event.type === "dictation.stopping") {
      stopping = true; // it stopped by itself, or as asked: no more audio to send
      capture?.close();
    }
    onEvent(event);
  });
  outcome.catch(() => started()); // refused: nothing to wait for
  void outcome.finally(() => (finished = true)).catch(() => undefined);

  try {
    await hasStarted;
    const id = session as string | null; // set by the started event
    // What the microphone recorded so far goes to the dictation, even when a stop was asked for before it began.
    const recording = recordsHere ? capture : null;
    if (id && controls.ending !== "cancel") recording?.begin(client, id);
    if (id) {
      const ask = (type: "dictation.stop" | "dictation.cancel") =>
        void client.request({ type, session: id }).catch(() => undefined); // the outcome says how it ended
      controls.onEnd((how) => {
        // A stop follows the last of the audio, so that it never outruns audio on its way to the daemon.
        if (how === "cancel") {
          capture?.close();
          ask("dictation.cancel");
        } else if (recording) recording.stop(() => ask("dictation.stop"));
        else ask("dictation.stop"); // a microphone kept ready sends what it read before it stops it (capture.flush)
      });
    }
    if (id && pcm)
      void streamFile(client, id, pcm, command.fast, () => controls.ending !== null || stopping || finished).then(
        (sentAll) => sentAll && controls.end("stop"),
      );
    let event: Event;
    try {
      event = await outcome;
    } catch (error) {
      // Refused at the start, or cancelled by the user: the error says it. Else it ended early: its text so far.
      if (!id || controls.ending === "cancel") throw error;
      live?.clear();
      const { reportEarlyEnd } = await import("./dictation-outcome.js");
      return reportEarlyEnd(error, id, soFar.text, !command.json);
    }
    if (event.type !== "dictation.done") throw new Error(`the daemon ended the dictation with ${event.type}`);
    live?.clear();
    if (event.transcript.noSpeech) {
      if (command.json) printTranscript(event.transcript, command);
      if (capture?.failed) return EXIT.input; // the microphone's message said why: nothing was heard
      process.stderr.write("verbatim: No speech detected\n");
      return EXIT.noSpeech;
    }
    printTranscript(event.transcript, command);
    return capture?.failed ? EXIT.input : EXIT.ok;
  } finally {
    live?.clear();
  }
}

function printTranscript(transcript: TranscriptData, command: DictateCommand): void {
  const { finishing } = transcript;
  if (finishing?.status === "client") {
    process.stderr.write(
      `verbatim: the mode ${finishing.mode} is finished by Raycast AI, which only Raycast runs: the spoken text ` +
        "is printed (verbatim modes edit to finish with a local model)\n",
    );
  }
  if (!command.json) {
    process.stdout.write(transcript.text + "\n");
    return;
  }
  const json = transcriptJson(command.input ?? "microphone", transcript);
  // As transcribe --format json prints it, with "finishing" when the mode finishes the text.
  const finishes = finishing !== undefined && finishing.status !== "off";
  process.stdout.write((finishes ? JSON.stringify({ ...JSON.parse(json), finishing }) : json) + "\n");
}

/**
 * Sends the file's PCM in 100 ms frames, at real-time pace unless `fast`, until it ends or the dictation ends (the
 * user, the daemon or the connection ended it). Resolves true when the whole file was sent.
 */
async function streamFile(
  client: DaemonClient,
  session: string,
  pcm: Uint8Array,
  fast: boolean,
  ended: () => boolean,
): Promise<boolean> {
  const { DaemonUnreachableError } = await import("../client.js");
  const start = performance.now();
  for (let offset = 0, frame = 1; offset < pcm.length; offset += FRAME_BYTES, frame++) {
    if (ended()) return false;
    try {
      client.sendAudio(session, pcm.subarray(offset, offset + FRAME_BYTES));
    } catch (error) {
      if (error instanceof DaemonUnreachableError) return false; // the dictation's outcome says what happened
      throw error;
    }
    const wait = fast ? 0 : start + frame * FRAME_MS - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  return true;
}

/**
 * The microphone's recording, opened before the dictation: `begin` sends the dictation what it recorded and, from
 * then on, what it records; `stop` ends the audio where it is; `close` closes the microphone. A microphone that fails
 * passes its message to `failing` (a send that fails is the daemon gone, which the dictation's outcome says).
 */
class Capture {
  /** Set when it failed (its message was passed to `failing`). */
  failed = false;
  /** Set when the daemon keeps the microphone ready after a dictation, so one is to be left behind at the end. */
  leavesReady = false;

  constructor(
    private readonly recording: BufferedRecording,
    failing: (message: string) => void,
  ) {
    void recording.ended.then((error) => {
      if (!(error instanceof MicrophoneError)) return;
      this.failed = true;
      failing(error.message);
    });
  }

  begin(client: DaemonClient, session: string): void {
    this.recording.sendTo((pcm) => client.sendAudio(session, pcm));
    reportStart(this.recording, client, session);
  }

  /** Ends the audio where it is; `sent` runs once all that was recorded has gone to the daemon. */
  stop(sent: () => void): void {
    this.recording.stop();
    void this.recording.ended.then(sent);
  }

  close(): void {
    this.recording.stop();
  }

  /** Once this dictation ends, a capture process is to keep the microphone ready (unless this one failed). */
  leaveReadyAfter(): void {
    this.leavesReady = true;
    void this.recording.ended.then((error) => {
      if (error) this.leavesReady = false;
    });
  }
}
