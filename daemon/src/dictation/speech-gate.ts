// What of a dictation's audio the decoder gets: only speech, as the voice activity detector hears it, with a margin
// before and after (audio/speech-runs.ts says why these figures), cut into utterances at pauses. Audio with no
// speech in it never reaches the decoder, so silence and noise cannot become words. Each piece of audio carries its
// place in the recording, so that times stay on the recording's own clock.
import { SileroVad, type VoiceActivityDetector } from "../audio/voice-activity";
import { SPEECH_RUNS, SpeechRuns } from "../audio/speech-runs";
import { SAMPLE_RATE } from "./pcm";

export type GateStep =
  /** Audio for the decoder; `at`: its first sample's place in the recording (samples since the start). */
  | { kind: "audio"; samples: Int16Array; at: number }
  /** The current utterance ends after the audio given so far. */
  | { kind: "end" };

export interface SpeechGate {
  /** Looks at the next chunk of 16 kHz PCM; answers what the decoder gets of it (and of audio held back earlier). */
  push(pcm: Int16Array): Promise<GateStep[]>;
  /** The stream has ended: the rest of the current utterance, if one is open. */
  finish(): GateStep[];
  /** Seconds without speech since the last speech; null until speech was heard (the auto-stop's clock). */
  readonly silenceAfterSpeech: number | null;
}

/** Audio held back before an utterance begins, at most this long (a run that has not counted yet keeps its end). */
const MAX_HELD_SAMPLES = 30 * SAMPLE_RATE;

/** What a Realtime session's turns ask of the gate beyond a dictation's: their padding and threshold, and their ends. */
export interface TurnSettings {
  /** Audio kept before the first speech (prefix_padding_ms), instead of the speech margin. */
  paddingSeconds: number;
  /** A frame whose probability reaches this is speech (the session's threshold). */
  threshold: number;
  /** An utterance's first audio goes to the decoder, from recording sample `from`. */
  opened(from: number): void;
  /** The pause after its speech ended an utterance, at recording sample `at` (where that pause became long enough). */
  closed(at: number): void;
}

/**
 * Speech only, cut into utterances: one ends once `utteranceSilenceSeconds` (0: only the end of the stream, or a
 * cut) of non-speech follow speech. An utterance is contiguous audio from `marginSeconds` (a Realtime turn: its
 * padding) before its first speech to `marginSeconds` after its last (never past the pause that ends it), pauses
 * inside it included. If the detector fails, `failed` hears why and everything from then on goes to the decoder:
 * nothing is lost.
 */
export class DetectedSpeechGate implements SpeechGate {
  private readonly runs: SpeechRuns;
  private readonly marginBefore: number;
  private readonly marginAfter: number;
  private readonly silenceToEnd: number;
  /** Audio not yet given to the decoder: `heldLength` samples of `buffer`, from recording sample `heldFrom`. */
  private buffer = new Int16Array(SAMPLE_RATE);
  private heldLength = 0;
  private heldFrom = 0;
  private analysed = 0;
  private utteranceOpen = false;
  /** Whether the open utterance has given the decoder audio yet. */
  private utteranceGiven = false;
  /** Up to where the decoder has audio (in an open utterance), or where the last utterance ended. */
  private given = 0;
  private lastSpeechEnd = -1;
  private detectorFailed = false;

  constructor(
    private readonly detector: VoiceActivityDetector,
    utteranceSilenceSeconds: number,
    private readonly failed: (error: Error) => void,
    private readonly turns?: TurnSettings,
  ) {
    this.runs = new SpeechRuns(detector.frameSamples / SAMPLE_RATE, turns?.threshold);
    this.silenceToEnd = Math.round(utteranceSilenceSeconds * SAMPLE_RATE);
    const margin = Math.round(SPEECH_RUNS.marginSeconds * SAMPLE_RATE);
    this.marginAfter = this.silenceToEnd > 0 ? Math.min(margin, this.silenceToEnd) : margin;
    this.marginBefore = turns ? Math.round(turns.paddingSeconds * SAMPLE_RATE) : this.marginAfter;
  }

  get silenceAfterSpeech(): number | null {
    if (this.lastSpeechEnd < 0 || this.detectorFailed) return null;
    return this.runs.inSpeech ? 0 : (this.analysed - this.lastSpeechEnd) / SAMPLE_RATE;
  }

  async push(pcm: Int16Array): Promise<GateStep[]> {
    this.hold(pcm);
    const steps: GateStep[] = [];
    const frame = this.detector.frameSamples;
    while (!this.detectorFailed && this.analysed + frame <= this.received) {
      const at = this.analysed - this.heldFrom;
      let probability: number;
      try {
        probability = await this.detector.speechProbability(this.buffer.subarray(at, at + frame));
      } catch (error) {
        this.detectorFailed = true;
        this.failed(error as Error);
        if (!this.utteranceOpen) this.given = Math.max(this.given, this.heldFrom);
        this.utteranceOpen = true;
        break;
      }
      const event = this.runs.push(probability);
      this.analysed += frame;
      if (event?.kind === "speech" && !this.utteranceOpen) {
        this.utteranceOpen = true;
        this.given = Math.max(this.given, this.heldFrom, event.start * frame - this.marginBefore);
      }
      if (this.runs.inSpeech) this.lastSpeechEnd = this.analysed;
      if (!this.utteranceOpen) continue;
      this.give(Math.min(this.analysed, this.lastSpeechEnd + this.marginAfter), steps);
      if (this.silenceToEnd > 0 && !this.runs.inSpeech && this.analysed - this.lastSpeechEnd >= this.silenceToEnd) {
        this.endUtterance(steps);
        this.turns?.closed(this.analysed);
      }
    }
    // What arrived after the last whole frame, when it is within the margin of the speech: at once, not a frame later.
    if (this.detectorFailed) this.give(this.received, steps);
    else if (this.utteranceOpen) this.give(this.utteranceEnd, steps);
    this.forget();
    return steps;
  }

  finish(): GateStep[] {
    const steps: GateStep[] = [];
    if (this.utteranceOpen && !this.detectorFailed) this.give(this.utteranceEnd, steps);
    this.utteranceOpen = false;
    this.utteranceGiven = false;
    return steps;
  }

  /**
   * Ends the open utterance at the audio received so far, however short the pause after it (a Realtime client's
   * commit or clear); speech that goes on begins the next. False, ending nothing, when no utterance has audio yet.
   */
  cut(steps: GateStep[]): boolean {
    if (!this.utteranceOpen) return false;
    this.give(this.detectorFailed ? this.received : this.utteranceEnd, steps);
    if (!this.utteranceGiven) return false;
    this.endUtterance(steps);
    this.given = this.received;
    this.utteranceOpen = this.detectorFailed || this.runs.inSpeech;
    return true;
  }

  /** Audio received so far begins no utterance (a Realtime client's clear, with none open). */
  drop(): void {
    if (!this.utteranceOpen) this.given = Math.max(this.given, this.received);
  }

  /** Where the open utterance's audio ends for now: the margin after its last speech, or what was received. */
  private get utteranceEnd(): number {
    return Math.min(this.received, this.lastSpeechEnd + this.marginAfter);
  }

  private endUtterance(steps: GateStep[]): void {
    steps.push({ kind: "end" });
    this.utteranceOpen = false;
    this.utteranceGiven = false;
  }

  /** The end of what was received, in recording samples. */
  private get received(): number {
    return this.heldFrom + this.heldLength;
  }

  private hold(pcm: Int16Array): void {
    if (this.heldLength + pcm.length > this.buffer.length) {
      const grown = new Int16Array(Math.max(2 * this.buffer.length, this.heldLength + pcm.length));
      grown.set(this.buffer.subarray(0, this.heldLength));
      this.buffer = grown;
    }
    this.buffer.set(pcm, this.heldLength);
    this.heldLength += pcm.length;
  }

  /** Gives the decoder the held audio up to recording sample `end`. */
  private give(end: number, steps: GateStep[]): void {
    if (end <= this.given) return;
    if (!this.utteranceGiven) this.turns?.opened(this.given);
    this.utteranceGiven = true;
    const samples = this.buffer.slice(this.given - this.heldFrom, end - this.heldFrom);
    steps.push({ kind: "audio", samples, at: this.given });
    this.given = end;
  }

  /**
   * Drops held audio no utterance can take any more: before what was given in an open utterance (whose audio must stay
   * contiguous), else before the next one's margin (at most 30 s of it); never what the detector has yet to hear.
   */
  private forget(): void {
    const frame = this.detector.frameSamples;
    const runStart = this.runs.runStart;
    const nextStart = (runStart === null ? this.analysed : runStart * frame) - this.marginBefore;
    const keepFrom = this.utteranceOpen
      ? this.given
      : Math.max(this.given, nextStart, this.received - MAX_HELD_SAMPLES);
    const from = Math.min(keepFrom, this.analysed);
    if (from <= this.heldFrom) return;
    this.buffer.copyWithin(0, from - this.heldFrom, this.heldLength);
    this.heldLength -= from - this.heldFrom;
    this.heldFrom = from;
  }
}

/** Everything goes to the decoder, cut only at the end: where no voice activity detector could be had. */
export class PassThroughGate implements SpeechGate {
  private received = 0;
  readonly silenceAfterSpeech = null;

  push(pcm: Int16Array): Promise<GateStep[]> {
    const at = this.received;
    this.received += pcm.length;
    return Promise.resolve(pcm.length > 0 ? [{ kind: "audio", samples: pcm, at }] : []);
  }

  finish(): GateStep[] {
    return [];
  }
}

/**
 * The gate of a new dictation. A detector that cannot be made (or fails) is reported through `notice` and leaves
 * the dictation going with all of its audio, as one utterance up to the stop: nothing is lost.
 */
export function speechGate(utteranceSilenceSeconds: number, notice: (message: string) => void): SpeechGate {
  let current: SpeechGate | null = null;
  const ready = SileroVad.create().then(
    (detector) => {
      current = new DetectedSpeechGate(detector, utteranceSilenceSeconds, (error) =>
        notice(
          `The voice activity detector failed (${error.message}); the rest of the dictation is recognized, silence included.`,
        ),
      );
    },
    (error: unknown) => {
      notice(
        `No voice activity detector could be loaded (${(error as Error).message}); the whole dictation is recognized, silence included.`,
      );
      current = new PassThroughGate();
    },
  );
  return {
    async push(pcm) {
      await ready;
      return current!.push(pcm);
    },
    finish: () => current?.finish() ?? [],
    get silenceAfterSpeech() {
      return current?.silenceAfterSpeech ?? null;
    },
  };
}
