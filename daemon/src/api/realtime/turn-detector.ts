// Turns of a Realtime transcription session, as the gate of its dictation: all audio goes to the decoder, and a turn
// ends the utterance by server VAD (the daemon's voice activity detector: speech starts, and enough silence after
// speech ends a turn) or by the client's own commits and clears. Every end it reports has audio since the last one,
// so the dictation's n-th utterance is the n-th turn.
import type { VoiceActivityDetector } from "../../audio/voice-activity";
import type { GateStep, SpeechGate } from "../../dictation/speech-gate";

const SAMPLE_RATE = 16_000;
/** OpenAI refuses to commit less audio than this. */
const MIN_COMMIT_SAMPLES = SAMPLE_RATE / 10;

export interface ServerVad {
  silenceDurationMs: number;
  /** A frame whose speech probability reaches this is speech (the session's turn_detection.threshold). */
  threshold: number;
}

export type TurnEnd = "vad" | "commit" | "clear";

export interface TurnListener {
  /** Speech began at this sample of the dictation (server VAD only). */
  speechStarted(sample: number): void;
  /** A turn ended at this sample: the VAD heard it end, or the client committed or cleared the buffer. */
  turnEnded(sample: number, cause: TurnEnd): void;
  /** A commit or clear found (almost) no audio since the last turn: nothing was ended. */
  nothingToEnd(cause: Exclude<TurnEnd, "vad">): void;
}

export class TurnDetector implements SpeechGate {
  /** Turns end by the client or the VAD's silence setting; no auto-stop. */
  readonly silenceAfterSpeech = null;
  private pending = new Int16Array(0);
  /** Samples seen (pushed) so far, and where the current turn's audio starts in the session. */
  private seen = 0;
  private turnStart = 0;
  private processed = 0;
  private inSpeech = false;
  private silentFrames = 0;
  private requested: Array<Exclude<TurnEnd, "vad">> = [];

  /** `detector` resolving to null: no server VAD, turns end only when the client commits. */
  constructor(
    private readonly detector: Promise<VoiceActivityDetector | null>,
    private readonly vad: ServerVad,
    private readonly listener: TurnListener,
  ) {}

  /** The client's commit or clear: it ends the turn with the audio sent before it (at the next push). */
  request(cause: Exclude<TurnEnd, "vad">): void {
    this.requested.push(cause);
  }

  async push(pcm: Int16Array): Promise<GateStep[]> {
    const chunkStart = this.seen;
    this.seen += pcm.length;
    const ends: number[] = [];
    const end = (sample: number, cause: TurnEnd): boolean => {
      if (sample <= this.turnStart) return false;
      ends.push(sample);
      // The session gives the rest of this chunk, and anything after it, to the next utterance.
      this.turnStart = Math.max(sample, chunkStart);
      this.inSpeech = false;
      this.silentFrames = 0;
      this.listener.turnEnded(sample, cause);
      return true;
    };
    const detector = await this.detector;
    if (detector) await this.detect(detector, pcm, end);
    // Requests were made after the audio before this chunk; an empty push follows each one.
    for (const cause of this.requested.splice(0)) {
      const enough = chunkStart - this.turnStart >= MIN_COMMIT_SAMPLES;
      if (!enough || !end(chunkStart, cause)) this.listener.nothingToEnd(cause);
    }
    return this.steps(pcm, chunkStart, ends);
  }

  finish(): GateStep[] {
    return [];
  }

  /** This chunk's audio, cut at the turn ends (an end at or before the chunk's start comes before any of it). */
  private steps(pcm: Int16Array, chunkStart: number, ends: number[]): GateStep[] {
    const steps: GateStep[] = [];
    let offset = 0;
    for (const end of ends) {
      const cut = Math.min(Math.max(end - chunkStart, offset), pcm.length);
      if (cut > offset) steps.push({ kind: "audio", samples: pcm.subarray(offset, cut), at: chunkStart + offset });
      steps.push({ kind: "end" });
      offset = cut;
    }
    if (offset < pcm.length) steps.push({ kind: "audio", samples: pcm.subarray(offset), at: chunkStart + offset });
    return steps;
  }

  private async detect(
    detector: VoiceActivityDetector,
    pcm: Int16Array,
    end: (sample: number, cause: TurnEnd) => boolean,
  ): Promise<void> {
    const frame = detector.frameSamples;
    const framesToEnd = Math.max(1, Math.round((this.vad.silenceDurationMs / 1000) * (SAMPLE_RATE / frame)));
    const all = new Int16Array(this.pending.length + pcm.length);
    all.set(this.pending);
    all.set(pcm, this.pending.length);
    let offset = 0;
    for (; offset + frame <= all.length; offset += frame) {
      const speech = (await detector.speechProbability(all.subarray(offset, offset + frame))) >= this.vad.threshold;
      this.processed += frame;
      if (speech) {
        if (!this.inSpeech) this.listener.speechStarted(this.processed - frame);
        this.inSpeech = true;
        this.silentFrames = 0;
      } else if (this.inSpeech && ++this.silentFrames >= framesToEnd) {
        if (!end(this.processed - this.silentFrames * frame, "vad")) {
          this.inSpeech = false; // speech already ended by a commit: this turn goes on
          this.silentFrames = 0;
        }
      }
    }
    this.pending = all.slice(offset);
  }
}
