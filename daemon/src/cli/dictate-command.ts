// `verbatim dictate`: a live dictation from the microphone (through the capture process) or from a file streamed at
// real-time pace; live text on the terminal, the final text on stdout (so `verbatim dictate | pbcopy` works). The
// microphone opens first: the capture process starts before anything else loads or the daemon is asked, and records
// into the dictation from the keypress.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
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
import { CAPTURE_ENTRY } from "../capture/capture-entry";
import { captureMessage } from "../capture/capture-output";
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
    : new Capture(command.device, (message) => {
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
    capture?.abandon(); // no dictation came of it: it closes the microphone (once it has a session, nothing)
    controls.release();
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
  let stopping = false;
  let finished = false;
  const outcome = client.request(request, (event) => {
    if (event.type === "dictation.started") {
      session = event.session;
      started();
    }
    if (event.type === "dictation.stopping") stopping = true; // it stopped by itself: no more audio to send
    onEvent(event);
  });
  outcome.catch(() => started()); // refused: nothing to wait for
  void outcome.finally(() => (finished = true)).catch(() => undefined);

  try {
    await hasStarted;
    const id = session as string | null; // set by the started event
    // What the microphone recorded so far goes to the dictation, even when a stop was asked for before it began.
    if (id && controls.ending !== "cancel") capture?.begin(id);
    if (id) {
      const ask = (type: "dictation.stop" | "dictation.cancel") =>
        void client.request({ type, session: id }).catch(() => undefined); // the outcome says how it ended
      controls.onEnd((how) => {
        // A stop goes through the capture process, so that it never outruns audio on its way to the daemon.
        if (how === "cancel") ask("dictation.cancel");
        else if (!capture?.stop(() => ask("dictation.stop"))) ask("dictation.stop");
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
 * The capture process, started before the dictation (detached, so that the system asks for the microphone as this
 * terminal): it records from its start, `begin` names the session to send it to (what it recorded first included),
 * `abandon` closes it when no dictation came of it, `stop` ends the audio. The daemon stops the dictation when the
 * capture process disconnects; if it fails, `failing` hears why.
 */
class Capture {
  /** Set when it failed (its message was passed to `failing`). */
  failed = false;
  private readonly child;
  private named = false;
  private abandoned = false;
  private stopping = false;

  constructor(device: string | undefined, failing: (message: string) => void) {
    const args = [CAPTURE_ENTRY, "--session", "-", ...(device ? ["--device", device] : [])];
    const child = spawn(process.execPath, args, { detached: true, stdio: ["pipe", "ignore", "pipe"] });
    let errors = "";
    const fail = (message: string) => {
      this.failed = true;
      failing(message);
    };
    child.stderr.on("data", (chunk: Buffer) => (errors += chunk.toString()));
    child.on("error", (error) => fail(`could not start the capture process: ${error.message}`));
    child.on("exit", (code, signal) => {
      // Abandoned before its session came, it exits saying that it recorded nothing; stopped, it may have been
      // stopped before it could hear the signal: both as asked.
      if (code === 0 || (this.abandoned && code === EXIT.interrupted) || (this.stopping && signal === "SIGINT")) return;
      fail(captureMessage(errors) || `the microphone capture stopped (exit ${code ?? signal}) without a message`);
    });
    child.stdin.on("error", () => undefined); // it exited first (no microphone): its exit says why
    child.unref();
    this.child = child;
  }

  begin(session: string): void {
    if (this.named) return;
    this.named = true;
    this.child.stdin.end(`${session}\n`);
  }

  abandon(): void {
    if (this.named) return;
    this.named = this.abandoned = true;
    this.child.stdin.end();
  }

  /**
   * Ends the audio where it is: the capture process sends what it recorded, then stops the dictation itself. `exited`
   * runs once it has exited (to stop the dictation in case it could not). False when it records into no session.
   */
  stop(exited: () => void): boolean {
    const child = this.child;
    if (!this.named || this.abandoned || this.stopping || child.exitCode !== null || child.signalCode !== null) {
      return false;
    }
    this.stopping = true;
    child.once("exit", exited);
    child.kill("SIGINT");
    return true;
  }
}
