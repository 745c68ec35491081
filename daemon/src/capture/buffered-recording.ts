// A microphone recording from the moment it opens: its frames are held in memory until `sendTo` says where they go
// (a dictation session, once the daemon has started it), then sent there, the held ones first. The capture process
// records so, and so does `verbatim dictate`, which opens the microphone as its first act (microphone-first.ts). A
// capture process kept ready between dictations holds only the newest frames (`holdRecent`, a PreRoll).
import type { DaemonClient } from "../client";
import type { AudioSource } from "./audio-source";
import { FRAME_MS } from "./microphone";
import { PreRoll } from "./pre-roll";

/**
 * What a microphone kept ready holds (128 KB): longer than a keypress precedes the daemon's handing it the dictation.
 * That took 0.45-0.9 s (the starter's Node start and load, the daemon's answer) on a 2-core Linux machine at load 9,
 * and past 2 s at load 12, when 2 s lost the sentence's first 0.5-2.1 s (test/bench/first-words.mjs --path ready).
 */
export const PRE_ROLL_MS = 4000;

/** The device's start is timed over its first second of frames. */
const TIMED_FRAMES = Math.round(1000 / FRAME_MS);

export class BufferedRecording {
  /** Settles when the recording ends: null once stopped, or the error that ended it (the microphone's, a send's). */
  readonly ended: Promise<unknown>;
  /**
   * The device's own start (CoreAudio, a Bluetooth microphone): milliseconds from its opening to its first audio,
   * once its first second was read (or it ended first); null if it gave none. Each frame read bounds when the device
   * began, its arrival less the audio up to its end: a frame read late (a busy event loop) bounds it less closely,
   * so the closest bound over many frames is taken, and a device that hands over audio from before its opening
   * counts 0.
   */
  readonly started: Promise<number | null>;
  private began = Infinity;
  private frames = 0;
  private timed!: (ms: number | null) => void;
  private readonly firstFrame: Promise<void>;
  private framed!: () => void;
  private readonly held: Uint8Array[] = [];
  private recent: PreRoll | null = null;
  private send: ((pcm: Uint8Array) => void) | null = null;

  constructor(private readonly microphone: AudioSource) {
    this.started = new Promise((resolve) => (this.timed = resolve));
    this.firstFrame = new Promise((resolve) => (this.framed = resolve));
    this.ended = this.record().then(
      () => null,
      (error: unknown) => {
        microphone.stop();
        return error;
      },
    );
    // Ended within its first second: what its frames said, if any.
    void this.ended.then(() => this.timed(this.frames > 0 ? Math.max(0, this.began - this.microphone.openedAt) : null));
  }

  /**
   * From now on every frame goes to `send`, the frames held so far first (held by `holdRecent`: those read after
   * `since`, epoch ms). A send that throws ends the recording.
   */
  sendTo(send: (pcm: Uint8Array) => void, since = -Infinity): void {
    for (const pcm of this.recent ? this.recent.takeSince(since) : this.held.splice(0)) send(pcm);
    this.recent = null;
    this.send = send;
  }

  /** Sends no more: from now on it holds only the newest PRE_ROLL_MS of frames, for the next `sendTo`. */
  holdRecent(): void {
    this.send = null;
    this.held.length = 0;
    this.recent ??= new PreRoll(PRE_ROLL_MS, FRAME_MS);
  }

  /** Ends the recording where it is (what was read is sent, or held); `ended` then settles. */
  stop(): void {
    this.microphone.stop();
  }

  /**
   * When its first sample was recorded (epoch ms), once a frame has been read; null if it ended without one. The
   * best bound so far of the device's start (see `started`), for placing its audio on a meeting's clock.
   */
  async recordedFrom(): Promise<number | null> {
    await Promise.race([this.firstFrame, this.ended]);
    return this.frames > 0 ? performance.timeOrigin + this.began : null;
  }

  private time(): void {
    this.frames++;
    this.began = Math.min(this.began, performance.now() - this.frames * FRAME_MS);
    if (this.frames === 1) this.framed();
    if (this.frames === TIMED_FRAMES) this.timed(Math.max(0, this.began - this.microphone.openedAt));
  }

  private async record(): Promise<void> {
    for await (const frame of this.microphone.frames()) {
      if (this.frames < TIMED_FRAMES) this.time();
      const pcm = new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength);
      if (this.send) this.send(pcm);
      else if (this.recent) this.recent.push(pcm, Date.now());
      else this.held.push(pcm);
    }
  }
}

/**
 * Tells the daemon the device's start for `session` once it is timed, to log with the dictation (`verbatim doctor`
 * reads it back). A daemon from before refuses the request, and a dictation over first cannot take it: nothing lost.
 */
export function reportStart(recording: BufferedRecording, client: DaemonClient, session: string): void {
  void recording.started
    .then((startMs) =>
      startMs === null ? undefined : client.request({ type: "dictation.microphone", session, startMs }),
    )
    .catch(() => undefined);
}
