// Where one track's utterances begin and end, as its audio arrives: the voice activity detector's speech gate (as a
// dictation's), whose audio steps carry their place in the track. An utterance that goes on without a pause (the
// others talking for a long time) is cut every MAX_UTTERANCE_SECONDS, so that its live text is not held back.
// Holds only places: the audio is on disk.
import type { GateStep, SpeechGate } from "../dictation/speech-gate";
import { SAMPLE_RATE } from "../dictation/pcm";

const MAX_UTTERANCE_SECONDS = 20;

export class LiveUtterances {
  private work: Promise<void> = Promise.resolve();
  /** The open utterance: from this sample to `end`; null between utterances. */
  private start: number | null = null;
  private end = 0;
  private stopped = false;

  /** `utterance(from, to)`: samples [from, to) of the track are an utterance. */
  constructor(
    private readonly gate: SpeechGate,
    private readonly utterance: (from: number, to: number) => void,
  ) {}

  /** The track's next samples, in order. */
  push(samples: Int16Array): void {
    this.work = this.work.then(async () => {
      if (!this.stopped) this.take(await this.gate.push(samples));
    });
  }

  /** No more audio: the open utterance ends where it is. */
  finish(): void {
    this.work = this.work.then(() => {
      if (!this.stopped) this.take(this.gate.finish());
      this.stopped = true;
    });
  }

  /** Drops what is not yet looked at (the meeting stopped: its final transcript takes over). */
  stop(): void {
    this.stopped = true;
  }

  private take(steps: GateStep[]): void {
    for (const step of steps) {
      if (step.kind === "end") {
        this.close();
        continue;
      }
      this.start ??= step.at;
      this.end = step.at + step.samples.length;
      if (this.end - this.start >= MAX_UTTERANCE_SECONDS * SAMPLE_RATE) {
        const end = this.end;
        this.close();
        this.start = end;
      }
    }
  }

  private close(): void {
    if (this.start !== null && this.end > this.start) this.utterance(this.start, this.end);
    this.start = null;
  }
}
