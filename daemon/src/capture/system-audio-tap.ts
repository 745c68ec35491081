// The system's audio output on a Mac (macOS 14.2 and later) through a Core Audio process tap, without a loopback
// driver: the `audiotee` package's helper (MIT; one universal arm64 + x86_64 binary) taps every process's output and
// writes it to its stdout as PCM (16 kHz mono 16-bit, as asked), and JSON lines to its stderr (the stream's format,
// its start and stop, errors). macOS asks for System Audio Recording as the app that started the capture process
// (Raycast, Terminal); where that is refused the tap records silence, not an error.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { SAMPLE_RATE } from "../dictation/pcm";
import type { AudioSource } from "./audio-source";
import { FRAME_SAMPLES } from "./microphone";

export class SystemAudioError extends Error {
  override name = "SystemAudioError";
}

const STOP_GRACE_MS = 2000;

/** The helper the audiotee package ships (its package exports only its JavaScript, so the path is built from it). */
export function audioteeBinary(): string {
  return path.join(path.dirname(require.resolve("audiotee")), "..", "bin", "audiotee");
}

interface HelperMessage {
  message_type?: string;
  data?: {
    message?: string;
    sample_rate?: number;
    channels_per_frame?: number;
    bits_per_channel?: number;
    is_float?: boolean;
  };
}

export class SystemAudioTap implements AudioSource {
  readonly openedAt = performance.now();
  readonly deviceName = "the system's audio (Core Audio tap)";
  private readonly helper: ChildProcess;
  private readonly exited: Promise<string>;
  /** The first thing the helper said went wrong, or a format it should not have sent. */
  private problem: string | null = null;
  private lastLine = "";
  private stopped = false;

  constructor(binary: string = audioteeBinary()) {
    this.helper = spawn(binary, ["--sample-rate", String(SAMPLE_RATE), "--chunk-duration", "0.032"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.exited = new Promise((resolve) => {
      this.helper.once("error", (error) => resolve(`could not be started (${binary}): ${error.message}`));
      this.helper.once("close", (code, signal) => resolve(signal ? `was ended by ${signal}` : `exited with ${code}`));
    });
    createInterface({ input: this.helper.stderr! }).on("line", (line) => this.heard(line));
  }

  async *frames(): AsyncGenerator<Int16Array> {
    const frameBytes = FRAME_SAMPLES * 2;
    let pending: Buffer = Buffer.alloc(0);
    for await (const chunk of this.helper.stdout! as AsyncIterable<Buffer>) {
      if (this.problem) break;
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let offset = 0;
      for (; offset + frameBytes <= pending.length; offset += frameBytes) {
        const frame = new Int16Array(FRAME_SAMPLES);
        Buffer.from(frame.buffer).set(pending.subarray(offset, offset + frameBytes));
        if (!this.stopped) yield frame;
      }
      pending = pending.subarray(offset);
    }
    const ending = await this.exited;
    if (this.stopped && !this.problem) return;
    this.stop();
    const said = this.problem ?? this.lastLine;
    throw new SystemAudioError(
      `The system's audio stopped: the Core Audio tap's helper ${said ? `said "${said}" and ` : ""}${ending}. ` +
        "Check that this app may record the system's audio in System Settings > Privacy & Security > Screen & System " +
        "Audio Recording (System Audio Recording Only).",
    );
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.helper.kill("SIGTERM");
    // It stops its tap on SIGTERM; one that hangs there must not hold the capture process.
    setTimeout(() => this.helper.kill("SIGKILL"), STOP_GRACE_MS).unref();
  }

  private heard(line: string): void {
    if (line.trim() === "") return;
    let message: HelperMessage;
    try {
      message = JSON.parse(line) as HelperMessage;
    } catch {
      this.lastLine = line.trim(); // its argument errors are plain text
      return;
    }
    const data = message.data ?? {};
    if (message.message_type === "error") this.fail(data.message ?? line);
    else if (message.message_type === "metadata") {
      const { sample_rate: rate, channels_per_frame: channels, bits_per_channel: bits, is_float: float } = data;
      if (rate !== SAMPLE_RATE || channels !== 1 || bits !== 16 || float !== false) {
        this.fail(`it sends ${rate} Hz, ${channels} channel(s), ${bits}-bit ${float ? "float" : "integer"} audio`);
      }
    } else if (data.message) this.lastLine = data.message;
  }

  private fail(problem: string): void {
    this.problem ??= problem;
    this.helper.kill("SIGTERM");
  }
}
