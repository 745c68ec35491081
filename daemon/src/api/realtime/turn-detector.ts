// Turns of a Realtime transcription session, as the session's utterance ends: server VAD (the daemon's voice
// activity detector: speech starts, and enough silence after speech ends a turn) and the client's own commits and
// clears. Every end it reports has audio since the last one, so the dictation's n-th utterance is the n-th turn.
import type { VoiceActivityDetector } from "../../audio/voice-activity";
import type { UtteranceEnds } from "../../dictation/utterance-ends";

const SAMPLE_RATE = 16_000;
/** OpenAI refuses to commit less audio than this. */
const MIN_COMMIT_SAMPLES = SAMPLE_RATE / 10;

export interface ServerVad {
  silenceDurationMs: number;
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

export class TurnDetector implements UtteranceEnds {
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

  async push(pcm: Int16Array): Promise<number[]> {
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
    return ends;
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
      const speech = await detector.isSpeech(all.subarray(offset, offset + frame));
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
