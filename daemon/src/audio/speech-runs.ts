// Which frames are speech, from a voice activity detector's probabilities: runs of frames the detector calls speech,
// and the runs that count. Shared by live dictation (dictation/speech-gate.ts) and files (speech-regions.ts).
//
// The figures (test/bench/speech-gate.mjs; test/bench/README.md has the tables):
// - A run is frames with a probability of 0.5 or more (Silero's own threshold). Letting a run go on down to 0.35 (as
//   Silero's get_speech_timestamps does) ended utterances 0.2 s later in brown noise, and split nothing less.
// - A run counts as speech once it has reached 0.8 and lasted 64 ms. On silence, white, pink and brown noise up to
//   -30 dBFS, clicks and hum Silero stays at 0.14 or less, but noise bursts (a bump, a breath: 100-400 ms at -20 dBFS),
//   beeps and a chirp reach 0.54-0.69 for up to 160 ms, while a fast one-syllable word ("Up." at 230 words a minute)
//   stays at 0.5 or more for only 96 ms: no minimum duration at 0.5 separates them. Every one of 80 such words (4
//   voices, 2 speeds) reached 0.87 or more. The 64 ms (two frames) keep a lone frame from counting.
// - Margins of 0.3 s before and after the speech: cut that way, the held-out sentences (in silence, and in brown
//   noise at -50 and -40 dBFS) most often give the clean recordings' text, at their WER, while 1.5 s of silence around
//   them made the test model's WER 54-59%.

export const SPEECH_RUNS = {
  probability: 0.5,
  confidentProbability: 0.8,
  minSpeechSeconds: 0.064,
  /** Audio kept before the first speech frame and after the last. */
  marginSeconds: 0.3,
} as const;

export type SpeechRunEvent =
  /** The run that began at frame `start` now counts as speech (it may go on). */
  | { kind: "speech"; start: number }
  /** A run that counted as speech ended; `end` is the frame after its last. */
  | { kind: "end"; end: number }
  | null;

/** Feed it each frame's probability in order; it says when a run begins to count as speech and when that run ends. */
export class SpeechRuns {
  private frame = 0;
  private start = -1;
  private peak = 0;
  private counted = false;
  private readonly minFrames: number;
  private readonly confident: number;

  /** `probability`: a frame at or above it is in a run (a Realtime session's threshold; Silero's own 0.5 otherwise). */
  constructor(
    frameSeconds: number,
    private readonly probability: number = SPEECH_RUNS.probability,
  ) {
    this.minFrames = Math.max(1, Math.round(SPEECH_RUNS.minSpeechSeconds / frameSeconds));
    this.confident = Math.max(probability, SPEECH_RUNS.confidentProbability);
  }

  /** Whether the last frame is inside a run that counts as speech. */
  get inSpeech(): boolean {
    return this.counted;
  }

  /** The first frame of the run the last frame is in (counted or not yet), null outside runs. */
  get runStart(): number | null {
    return this.start >= 0 ? this.start : null;
  }

  push(probability: number): SpeechRunEvent {
    const index = this.frame++;
    if (probability < this.probability) {
      const counted = this.counted;
      this.start = -1;
      this.counted = false;
      return counted ? { kind: "end", end: index } : null;
    }
    if (this.start < 0) {
      this.start = index;
      this.peak = 0;
    }
    this.peak = Math.max(this.peak, probability);
    if (!this.counted && this.peak >= this.confident && index + 1 - this.start >= this.minFrames) {
      this.counted = true;
      return { kind: "speech", start: this.start };
    }
    return null;
  }
}
