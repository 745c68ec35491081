// How often live dictation updates and how close to the newest audio it commits. At the engine's defaults
// (SimulStreaming's: an update per 1 s of new audio, a 25-frame threshold) the fixture model shows each word about
// 1.1 s after it ends; with 0.2 s updates and a 10-frame (0.2 s) threshold, 0.55 s, with the same live text
// (test/bench/stream.mjs; figures in test/bench/README.md). A 5-frame threshold commits words before they are heard.
// Updates never queue: one that takes longer than 0.2 s is followed by one over all the audio received by then, so on
// slower hardware the interval stretches to the update's own time.
// Parakeet has its own policy: a token is shown once its end is marginFrames (80 ms each) behind the newest audio and
// the update before decoded it too; 2 frames (0.16 s), the engine's default.
// Nemotron streams natively: it shows each chunk's tokens once the chunk is decoded, so its lag is about a chunk and
// its right context; 160 ms chunks (right context 1) by default, the goal of a quarter second behind speech.
// NVIDIA's model card gives 2.29% WER streaming at 1120 ms beside 2.31% offline, and FluidAudio 1.99% at 1120 ms and
// 2.12% at 560 ms: shorter chunks cost little accuracy, and the final text is the stream's own (config
// streamingChunkMs: 80, 160, 560 or 1120 ms).
import type { LivePolicy } from "../families";

export const LIVE_POLICY = {
  minChunkSeconds: 0.2,
  frameThreshold: 10,
  marginFrames: 2,
  rightContext: 1,
} as const satisfies LivePolicy;

/** A natively streaming model's encoder frame: its chunks are whole frames. */
export const CHUNK_FRAME_MS = 80;

/** The live policy with a natively streaming model's chunk of `chunkMs` (absent: the default 160 ms). */
export function livePolicy(chunkMs: number | undefined): LivePolicy {
  if (chunkMs === undefined) return LIVE_POLICY;
  return { ...LIVE_POLICY, rightContext: Math.round(chunkMs / CHUNK_FRAME_MS) - 1 };
}
