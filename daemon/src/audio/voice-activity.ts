// The voice activity detector: how likely each short frame of audio is speech. Live dictation gives the decoder only
// speech and ends utterances at pauses by it; `transcribe --vad` skips what is not speech in files.
// Silero VAD v6.2, run by the native engine (native/src/engine/vad/): on the held-out speech mixed with noise it finds
// every sentence end down to 5 dB SNR (test/bench/vad.mjs), where WebRTC's VAD heard speech throughout. Its weights
// (1.2 MB) are loaded once per process; each stream keeps its own state, and nothing is allocated per frame
// (daemon/README.md says what it replaced: ONNX Runtime's WebAssembly build, about 250 MB of the daemon's memory).
import { VoiceDetector } from "@verbatim/native";

export interface VoiceActivityDetector {
  readonly name: string;
  /** Samples each speechProbability() call takes. */
  readonly frameSamples: number;
  /** How likely the frame is speech, 0 to 1. Detectors keep state from frame to frame: give them a stream's frames in order. */
  speechProbability(frame: Int16Array): Promise<number>;
}

/** Silero VAD: a speech probability per 32 ms frame, for one stream. */
export class SileroVad implements VoiceActivityDetector {
  readonly frameSamples = VoiceDetector.frameSamples;
  private readonly detector = new VoiceDetector();
  readonly name = this.detector.name;

  /** A detector for one stream (the first loads the weights). */
  static create(): Promise<SileroVad> {
    return Promise.resolve().then(() => new SileroVad());
  }

  async speechProbability(frame: Int16Array): Promise<number> {
    return this.detector.probability(frame);
  }

  /**
   * Each next whole frame's probability, of `count` samples from sample `first` on of a file of 16 kHz float samples,
   * worked out and read off the event loop.
   */
  async fileProbabilities(samplesFile: string, first: number, count: number): Promise<Float32Array> {
    return this.detector.fileProbabilities(samplesFile, first, count).promise;
  }
}
