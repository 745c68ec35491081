// The engine's voice detector: Silero VAD v6.2 (native/src/engine/vad/), how likely each 32 ms frame of 16 kHz audio
// is speech. Each VoiceDetector is one stream with its own state; every stream in the process shares one copy of
// the weights (1.2 MB, native/assets/vad/).
import path from "node:path";
import { addon, type RawJob, type RawVoiceDetector } from "./addon";
import { typed, typedError } from "./errors";
import type { Job } from "./types";

/** The weights the package ships (its README gives their source and licence). */
export const VOICE_DETECTOR_WEIGHTS = path.join(__dirname, "..", "assets", "vad", "silero_vad_v6.safetensors");

export class VoiceDetector {
  static readonly sampleRate = 16_000;
  /** Samples in a frame: 32 ms. */
  static readonly frameSamples = 512;
  readonly name = "Silero VAD v6.2";
  private readonly raw: RawVoiceDetector;

  /** A new stream, from silence. Throws ModelFormatError when the weights file cannot be used. */
  constructor(weights: string = VOICE_DETECTOR_WEIGHTS) {
    const RawClass = addon().VoiceDetector;
    this.raw = typed(() => new RawClass(weights));
  }

  /** How likely the next frame (512 samples: floats from -1 to 1, or 16-bit PCM) is speech, 0 to 1. */
  probability(frame: Float32Array | Int16Array): number {
    return typed(() => this.raw.probability(frame));
  }

  /**
   * The next whole frames' probabilities: `sampleCount` samples from `firstSample` on of a file of 32-bit float samples
   * (what the daemon decodes audio to), read and worked out on a thread of their own (samples after the last whole
   * frame are not heard). The stream takes no other call until the job ends.
   */
  fileProbabilities(samplesFile: string, firstSample: number, sampleCount: number): Job<Float32Array> {
    return typedJob(typed(() => this.raw.fileProbabilities(samplesFile, firstSample, sampleCount)));
  }

  /** Starts the stream again, from silence. */
  reset(): void {
    typed(() => this.raw.reset());
  }
}

function typedJob(job: RawJob<Float32Array>): Job<Float32Array> {
  return {
    promise: job.promise.catch((error: unknown) => {
      throw typedError(error);
    }),
    cancel: () => job.cancel(),
  };
}
