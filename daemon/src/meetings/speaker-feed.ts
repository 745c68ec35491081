// The system track's speakers as it records: its samples, read back from its file in order (so the recording never
// waits on the speaker model, and the silence that aligns a capture process is in them), fed to one stream of the
// speaker model, one push at a time (what is written meanwhile goes in the next); the speakers' probabilities it
// returns are kept for the live utterances still to be labelled.
import type { SpeakerActivity, SpeakerStream } from "@verbatim/native";
import { SAMPLE_RATE, toFloat } from "../dictation/pcm";
import { readTrackInto } from "./track-span";

/** The most one push reads (a backlog, or the silence before a capture process that started late, goes in pieces). */
const PUSH_SAMPLES = 5 * SAMPLE_RATE;
/**
 * Frames kept behind the stream's head at most: a live utterance lasts 20 s at most and is labelled seconds after it
 * ends, unless the job queue is backed up, when its lines say "Others".
 */
const KEPT_SECONDS = 120;

/** Each speaker's probability over frames `first` to `first + probabilities.length / speakers` of the track. */
export interface SpeakerWindow {
  frameSeconds: number;
  speakers: number;
  first: number;
  probabilities: Float32Array;
}

/** Runs `work` on a stream of the speaker model (held while it runs); rejects saying why there is none. */
export type SpeakerStreamOpener = (work: (stream: SpeakerStream) => Promise<void>) => Promise<void>;

interface Waiter {
  /** Seconds of the track. */
  until: number;
  resolve: () => void;
}

export class SpeakerFeed {
  private stream: SpeakerStream | null = null;
  private pushing: Promise<void> | null = null;
  /** Samples in the track's file, and those pushed. */
  private written = 0;
  private fed = 0;
  private frameSeconds = 0;
  private speakers = 0;
  /** The frames the stream returned so far, and those kept: from frame `keptFirst` on, in the pushes' pieces. */
  private frames = 0;
  private keptFirst = 0;
  private kept: Float32Array[] = [];
  /** Frames before this one are no longer needed (their utterances are labelled). */
  private released = 0;
  private waiters: Waiter[] = [];
  /** The buffers each push reads and converts into (the stream copies what it is given): an hour's feed, two arrays. */
  private readonly samples = new Int16Array(PUSH_SAMPLES);
  private readonly floats = new Float32Array(PUSH_SAMPLES);
  private stopped = false;
  private stopping!: () => void;
  private readonly done: Promise<void>;
  /** Why the stream gives no speakers (none to load, or it failed); null while it does. */
  problem: string | null = null;

  constructor(
    private readonly file: string,
    open: SpeakerStreamOpener,
    private readonly failed: (why: string) => void,
  ) {
    const stopped = new Promise<void>((resolve) => (this.stopping = resolve));
    this.done = open(async (stream) => {
      this.stream = stream;
      this.pump();
      await stopped;
      await this.pushing;
      await stream.finish();
    }).catch((error: unknown) => this.fail(error));
  }

  /** The track's file now holds `samples` samples (a capture process attached, its silence written before it). */
  holds(samples: number): void {
    this.written = samples;
    this.pump();
  }

  /** `samples` more samples were appended to the track's file. */
  appended(samples: number): void {
    this.holds(this.written + samples);
  }

  /**
   * The probabilities from `start` to `end` seconds (and up to `margin` seconds either side that the stream has
   * given), once the stream has reached `end`; null when it has not within `waitMs`, has no speakers, or the span is
   * no longer kept.
   */
  async window(start: number, end: number, margin: number, waitMs: number): Promise<SpeakerWindow | null> {
    if (this.reached() < end) await this.reach(end, waitMs);
    if (this.problem !== null || this.stopped || this.reached() < end) return null;
    const from = Math.max(0, Math.floor((start - margin) / this.frameSeconds), this.keptFirst);
    const to = Math.min(this.frames, Math.ceil((end + margin) / this.frameSeconds));
    if (from > Math.floor(start / this.frameSeconds)) return null;
    return {
      frameSeconds: this.frameSeconds,
      speakers: this.speakers,
      first: from,
      probabilities: this.span(from, to),
    };
  }

  /** The probabilities before `seconds` are needed no more. */
  release(seconds: number): void {
    if (this.frameSeconds > 0) this.released = Math.max(this.released, Math.floor(seconds / this.frameSeconds));
  }

  /** Pushes nothing more; the stream is finished once its push under way ends. */
  stop(): Promise<void> {
    this.stopped = true;
    this.stopping();
    this.settleWaiters();
    return this.done;
  }

  private pump(): void {
    const stream = this.stream;
    if (this.pushing || !stream || this.stopped || this.problem !== null || this.fed >= this.written) return;
    this.pushing = this.pushAll(stream)
      .catch((error: unknown) => this.fail(error))
      .finally(() => {
        this.pushing = null;
        this.pump(); // what was written as the last push ended
      });
  }

  private async pushAll(stream: SpeakerStream): Promise<void> {
    while (!this.stopped && this.fed < this.written) {
      const wanted = this.samples.subarray(0, Math.min(this.written - this.fed, PUSH_SAMPLES));
      const read = readTrackInto(this.file, this.fed, wanted);
      if (read === 0) return;
      this.keep(await stream.push(toFloat(wanted.subarray(0, read), this.floats)));
      this.fed += read;
    }
  }

  private keep(activity: SpeakerActivity): void {
    this.frameSeconds = activity.frameSeconds;
    this.speakers = activity.speakers;
    if (activity.probabilities.length > 0) this.kept.push(activity.probabilities);
    this.frames += activity.probabilities.length / activity.speakers;
    const keepFrom = Math.max(this.released, this.frames - Math.ceil(KEPT_SECONDS / activity.frameSeconds));
    while (this.kept.length > 0 && this.keptFirst + this.kept[0].length / this.speakers <= keepFrom) {
      this.keptFirst += this.kept.shift()!.length / this.speakers;
    }
    this.settleWaiters();
  }

  /** Kept frames [from, to), which the caller has checked are kept. */
  private span(from: number, to: number): Float32Array {
    const out = new Float32Array(Math.max(0, to - from) * this.speakers);
    let first = this.keptFirst;
    for (const piece of this.kept) {
      const pieceFrames = piece.length / this.speakers;
      const lo = Math.max(from, first);
      const hi = Math.min(to, first + pieceFrames);
      if (hi > lo)
        out.set(
          piece.subarray((lo - first) * this.speakers, (hi - first) * this.speakers),
          (lo - from) * this.speakers,
        );
      first += pieceFrames;
    }
    return out;
  }

  /** Seconds of the track the stream has given probabilities for. */
  private reached(): number {
    return this.frames * this.frameSeconds;
  }

  /** Until the stream has reached `until` seconds, or `waitMs` passed, or it stopped or failed. */
  private reach(until: number, waitMs: number): Promise<void> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        until,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((other) => other !== waiter);
        resolve();
      }, waitMs);
      this.waiters.push(waiter);
    });
  }

  private settleWaiters(): void {
    const over = this.stopped || this.problem !== null;
    const settled = this.waiters.filter((waiter) => over || this.reached() >= waiter.until);
    this.waiters = this.waiters.filter((waiter) => !settled.includes(waiter));
    for (const waiter of settled) waiter.resolve();
  }

  private fail(error: unknown): void {
    if (this.stopped || this.problem !== null) return;
    this.problem = error instanceof Error ? error.message : String(error);
    this.kept = [];
    this.settleWaiters();
    this.failed(this.problem);
  }
}
