// A meeting's live text while it records: each track's utterances (LiveUtterances) transcribed one at a time as they
// end, ahead of file jobs, from a copy of the utterance's span of the track; the microphone's lines are You's, with
// the words that are the others heard through the speakers dropped (trackEcho), the system's lines the Others' (told
// apart by speaker in the final transcript). Keeps the latest lines only.
import { rmSync } from "node:fs";
import path from "node:path";
import { RecordingWriter } from "../dictation/recordings";
import type { SpeechGate } from "../dictation/speech-gate";
import { SAMPLE_RATE } from "../dictation/pcm";
import type { MeetingLiveLine, MeetingTrackName, TranscriptData, TranscriptionOptions } from "../protocol";
import { LiveUtterances } from "./live-utterances";
import { trackEcho } from "./track-echo";
import { readTrackSpan } from "./track-span";

const KEPT_LINES = 20;

export interface LiveTextServices {
  /** An utterance's transcript, ahead of file jobs. */
  transcribe(job: string, file: string, options: TranscriptionOptions): Promise<TranscriptData>;
  cancel(job: string): void;
  speechGate(): SpeechGate;
  /** A live utterance could not be transcribed (the final transcript will be). */
  failed(error: unknown): void;
}

export class MeetingLiveText {
  private readonly utterances: Partial<Record<MeetingTrackName, LiveUtterances>> = {};
  private readonly isEcho: (start: number, end: number) => boolean;
  private readonly kept: MeetingLiveLine[] = [];
  private work: Promise<void> = Promise.resolve();
  private count = 0;
  private running: string | null = null;
  private stopped = false;

  constructor(
    private readonly meeting: string,
    private readonly folder: string,
    private readonly files: Record<MeetingTrackName, string>,
    private readonly services: LiveTextServices,
  ) {
    this.isEcho = trackEcho(files);
  }

  /**
   * A track's capture process sends audio from sample `at` on (its first, or after a gap one that ended left): its
   * utterances are found from there.
   */
  resume(track: MeetingTrackName, at: number): void {
    this.utterances[track]?.finish();
    this.utterances[track] = this.utterancesOf(track, at);
  }

  /** A track's next samples (as written to its file, after resume). */
  push(track: MeetingTrackName, samples: Int16Array): void {
    this.utterances[track]?.push(samples);
  }

  get lines(): MeetingLiveLine[] {
    return [...this.kept];
  }

  /** The meeting stopped: nothing more is transcribed live, and the utterance being transcribed is dropped. */
  stop(): void {
    this.stopped = true;
    for (const utterances of Object.values(this.utterances)) utterances?.stop();
    if (this.running) this.services.cancel(this.running);
  }

  /** The microphone's utterance (from `start` on the meeting's clock) without the words that are echo. */
  private yours(transcript: TranscriptData, start: number, end: number): string {
    const words = transcript.segments.flatMap((segment) => segment.words ?? []);
    if (words.length === 0) return this.isEcho(start, end) ? "" : transcript.text.trim();
    return words
      .filter((word) => !this.isEcho(start + word.start, start + word.end))
      .map((word) => word.word.trim())
      .join(" ");
  }

  /** Utterances of the track's audio from sample `origin` on. */
  private utterancesOf(track: MeetingTrackName, origin: number): LiveUtterances {
    return new LiveUtterances(this.services.speechGate(), (from, to) =>
      this.transcribe(track, origin + from, origin + to),
    );
  }

  private transcribe(track: MeetingTrackName, from: number, to: number): void {
    this.work = this.work
      .then(() => this.line(track, from / SAMPLE_RATE, to / SAMPLE_RATE))
      .catch((error: unknown) => {
        if (!this.stopped) this.services.failed(error);
      });
  }

  private async line(track: MeetingTrackName, start: number, end: number): Promise<void> {
    if (this.stopped) return;
    const job = `${this.meeting}-live-${++this.count}`;
    const file = path.join(this.folder, `live-${track}.wav`);
    rmSync(file, { force: true });
    const copy = new RecordingWriter(job, file);
    try {
      const samples = readTrackSpan(this.files[track], start, end);
      copy.append(new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength));
    } finally {
      copy.close();
    }
    this.running = job;
    let transcript: TranscriptData;
    try {
      transcript = await this.services.transcribe(job, file, { wordTimestamps: track === "microphone" });
    } finally {
      this.running = null;
      rmSync(file, { force: true });
    }
    const text = track === "system" ? transcript.text.trim() : this.yours(transcript, start, end);
    if (this.stopped || text === "") return;
    this.kept.push({ speaker: track === "microphone" ? "You" : "Others", start, end, text });
    if (this.kept.length > KEPT_LINES) this.kept.shift();
  }
}
