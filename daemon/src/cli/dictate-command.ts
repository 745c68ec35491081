// `verbatim dictate`: a live dictation from the microphone (through `verbatim capture`) or from a file streamed at
// real-time pace; live text on the terminal, the final text on stdout (so `verbatim dictate | pbcopy` works).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { loadAudio } from "../audio";
import { DaemonUnreachableError, type DaemonClient } from "../client";
import { toPcmBytes } from "../dictation/pcm";
import { transcriptJson } from "../formats";
import type { VerbatimPaths } from "../paths";
import {
  MAX_AUTO_STOP_SECONDS,
  type Event,
  type Request,
  type TranscriptData,
  type TranscriptionOptions,
} from "../protocol";
import { ensureDaemon } from "../daemon-control";
import { DECODING_FLAG_OPTIONS, decodingOptionsFromFlags } from "./decoding-flags";
import { reportEarlyEnd } from "./dictation-outcome";
import { EXIT, UsageError } from "./exit-codes";
import { parseCommandLine } from "./command-line";
import { LiveText } from "./live-text";
import { captureMessage } from "../capture/capture-output";
import { TextSoFar } from "./text-so-far";

const verbatimBin = path.join(__dirname, "..", "..", "bin", "verbatim.js");
/** Audio per frame sent to the daemon: 100 ms of 16 kHz 16-bit mono. */
const FRAME_BYTES = 3200;
const FRAME_MS = 100;
/** Shown on a terminal once the dictation runs: the keys watchControls listens for. */
const KEYS_HINT = "Dictating: Enter stops and prints the text, Esc cancels.\n";

export const DICTATE_USAGE = `  verbatim dictate [options]             live dictation from the microphone; Enter or Ctrl-C stops and prints
                                         the text, Esc or Ctrl-\\ cancels
      --input FILE           stream an audio file at real-time pace instead of the microphone
      --fast                 with --input: send the file as fast as the daemon takes it
      --device NAME|INDEX    microphone (see verbatim capture --list-devices)
      --auto-stop SECONDS    after speech, stop by itself once SECONDS pass without speech (default: config
                             autoStopSeconds; 0: only on Enter or Ctrl-C)
      --mode NAME            the mode (verbatim modes list): its model, language and finishing; default: the
                             default mode (Plain)
      --json                 every event as one JSON line, then the transcript as --format json prints it
                             (with "finishing" when the mode finishes it: the spoken and the finished text)
      --model, --language, --prompt   as for transcribe
      --accuracy, --beam-size, --best-of, --patience, --length-penalty, --…-threshold
                             as for transcribe: how the final text is decoded (live text is always greedy)
  Prints nothing and exits with status ${EXIT.noSpeech} when it heard no speech. A dictation that ends early
  (maxDictationSeconds, canceled by another client, the daemon stopped) prints its text so far and says why.
`;

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
  try {
    const pcm = command.input ? toPcmBytes((await loadAudio(path.resolve(command.input))).samples) : null;
    const client = await ensureDaemon(paths, command.options.model);
    try {
      return await dictate(client, pcm, command, controls);
    } finally {
      client.close();
    }
  } finally {
    controls.release();
  }
}

async function dictate(
  client: DaemonClient,
  pcm: Uint8Array | null,
  command: DictateCommand,
  controls: Controls,
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
  let captureFailed = false;
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
    if (id) {
      controls.onEnd((how) => {
        const type = how === "stop" ? "dictation.stop" : "dictation.cancel";
        client.request({ type, session: id }).catch(() => undefined); // the outcome says how it ended
      });
    }
    if (id && pcm)
      void streamFile(client, id, pcm, command.fast, () => controls.ending !== null || stopping || finished).then(
        (sentAll) => sentAll && controls.end("stop"),
      );
    else if (id && !controls.ending)
      startCapture(id, command.device, (message) => {
        process.stderr.write(`verbatim: ${message}\n`);
        captureFailed = true;
        controls.end("stop"); // the final text of whatever was recorded
      });
    let event: Event;
    try {
      event = await outcome;
    } catch (error) {
      // Refused at the start, or cancelled by the user: the error says it. Else it ended early: its text so far.
      if (!id || controls.ending === "cancel") throw error;
      live?.clear();
      return reportEarlyEnd(error, id, soFar.text, !command.json);
    }
    if (event.type !== "dictation.done") throw new Error(`the daemon ended the dictation with ${event.type}`);
    live?.clear();
    if (event.transcript.noSpeech) {
      if (command.json) printTranscript(event.transcript, command);
      if (captureFailed) return EXIT.input; // the microphone's message said why: nothing was heard
      process.stderr.write("verbatim: No speech detected\n");
      return EXIT.noSpeech;
    }
    printTranscript(event.transcript, command);
    return captureFailed ? EXIT.input : EXIT.ok;
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
 * Starts `verbatim capture` for the session, detached, so that the system asks for the microphone as this
 * terminal. The daemon stops the dictation when the capture process disconnects; if it fails before sending any
 * audio, `failed` hears why.
 */
function startCapture(session: string, device: string | undefined, failed: (message: string) => void): void {
  const args = [verbatimBin, "capture", "--session", session, ...(device ? ["--device", device] : [])];
  const child = spawn(process.execPath, args, { detached: true, stdio: ["ignore", "ignore", "pipe"] });
  let errors = "";
  child.stderr.on("data", (chunk: Buffer) => (errors += chunk.toString()));
  child.on("error", (error) => failed(`could not start the capture process: ${error.message}`));
  child.on("exit", (code) => {
    if (code !== 0) failed(captureMessage(errors) || `the microphone capture stopped (exit ${code}) without a message`);
  });
  child.unref();
}
