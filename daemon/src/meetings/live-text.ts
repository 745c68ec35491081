// A meeting's live text while it records: each track's utterances (LiveUtterances) transcribed one at a time as they
// end, ahead of file jobs, from a copy of the utterance's span of the track; the microphone's lines are You's, with
// the words that are the others heard through the speakers dropped (trackEcho), the system's lines each speaker's,
// as the speaker stream fed the system track tells them (SpeakerFeed), else the Others'. Keeps the latest lines only.
import { rmSync } from "node:fs";
import path from "node:path";
import { RecordingWriter } from "../dictation/recordings";
import type { SpeechGate } from "../dictation/speech-gate";
import { SAMPLE_RATE } from "../dictation/pcm";
import type { MeetingLiveLine, MeetingTrackName, TranscriptData, TranscriptionOptions } from "../protocol";
import { LiveSpeakers } from "./live-speakers";
import { LiveUtterances } from "./live-utterances";
import { SpeakerFeed, type SpeakerStreamOpener } from "./speaker-feed";
import { trackEcho } from "./track-echo";
import { copyTrackSpan } from "./track-span";

const KEPT_LINES = 20;
/** How long an utterance's transcript waits for the speaker stream to reach its end before its line is the Others'. */
const SPEAKERS_WAIT_MS = 4000;
/** Seconds of speaker probabilities either side of an utterance, for a word at its edge that no one's speech covers. */
const SPEAKERS_MARGIN_SECONDS = 1;

export interface LiveTextServices {
  /** An utterance's transcript, ahead of file jobs. */
  transcribe(job: string, file: string, options: TranscriptionOptions): Promise<TranscriptData>;
  cancel(job: string): void;
  speechGate(): SpeechGate;
  /** A live utterance could not be transcribed (the final transcript will be). */
  failed(error: unknown): void;
  /** A stream of the speaker model, for the system track's speakers. */
  speakerStream: SpeakerStreamOpener;
  /** Why the system track's live lines stay the Others' (no speaker model on disk, or its stream failed). */
  noSpeakers(why: string): void;
}

export class MeetingLiveText {
  private readonly utterances: Partial<Record<MeetingTrackName, LiveUtterances>> = {};
  private readonly isEcho: (start: number, end: number) => boolean;
  private readonly kept: MeetingLiveLine[] = [];
  private readonly speakerFeed: SpeakerFeed;
  private readonly speakers = new LiveSpeakers();
  /** The buffer each utterance's span is copied through (an hour of utterances, one buffer). */
  private readonly piece = new Int16Array(SAMPLE_RATE);
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
    this.speakerFeed = new SpeakerFeed(files.system, services.speakerStream, services.noSpeakers);
  }

  /**
   * A track's capture process sends audio from sample `at` on (its first, or after a gap one that ended left): its
   * utterances are found from there.
   */
  resume(track: MeetingTrackName, at: number): void {
    this.utterances[track]?.finish();
    this.utterances[track] = this.utterancesOf(track, at);
    if (track === "system") this.speakerFeed.holds(at);
  }

  /** A track's next samples (as written to its file, after resume). */
  push(track: MeetingTrackName, samples: Int16Array): void {
    this.utterances[track]?.push(samples);
    if (track === "system") this.speakerFeed.appended(samples.length);
  }

  get lines(): MeetingLiveLine[] {
    return [...this.kept];
  }

  /** Why the system track's lines are the Others' rather than named speakers; null while they are named. */
  get speakersProblem(): string | null {
    return this.speakerFeed.problem;
  }

  /**
   * The meeting stopped: nothing more is transcribed live, the utterance being transcribed is dropped, and the
   * speaker stream is finished.
   */
  stop(): void {
    this.stopped = true;
    void this.speakerFeed.stop();
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
      .then(() => this.line(track, from, to))
      .catch((error: unknown) => {
        if (!this.stopped) this.services.failed(error);
      });
  }

  /** The line (or lines, one per speaker) of samples [from, to) of a track. */
  private async line(track: MeetingTrackName, from: number, to: number): Promise<void> {
    if (this.stopped) return;
    const [start, end] = [from / SAMPLE_RATE, to / SAMPLE_RATE];
    const job = `${this.meeting}-live-${++this.count}`;
    const file = path.join(this.folder, `live-${track}.wav`);
    rmSync(file, { force: true });
    const copy = new RecordingWriter(job, file);
    try {
      copyTrackSpan(this.files[track], from, to, copy, this.piece);
    } finally {
      copy.close();
    }
    this.running = job;
    let transcript: TranscriptData;
    try {
      transcript = await this.services.transcribe(job, file, { wordTimestamps: true });
    } finally {
      this.running = null;
      rmSync(file, { force: true });
    }
    const lines =
      track === "system"
        ? await this.othersLines(transcript, start, end)
        : [{ speaker: "You", start, end, text: this.yours(transcript, start, end) }];
    if (this.stopped) return;
    this.kept.push(...lines.filter((line) => line.text !== ""));
    this.kept.splice(0, Math.max(0, this.kept.length - KEPT_LINES));
  }

  /** The system track's utterance as a line per speaker, once the speaker stream has reached its end; else the Others'. */
  private async othersLines(transcript: TranscriptData, start: number, end: number): Promise<MeetingLiveLine[]> {
    const window = await this.speakerFeed.window(start, end, SPEAKERS_MARGIN_SECONDS, SPEAKERS_WAIT_MS);
    this.speakerFeed.release(end - SPEAKERS_MARGIN_SECONDS);
    const named = window && this.speakers.lines(transcript, window, start);
    return named ?? [{ speaker: "Others", start, end, text: transcript.text.trim() }];
  }
}
