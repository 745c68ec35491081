// How often live dictation updates and how close to the newest audio it commits. At the engine's defaults
// (SimulStreaming's: an update per 1 s of new audio, a 25-frame threshold) the fixture model shows each word about
// 1.1 s after it ends; with 0.2 s updates and a 10-frame (0.2 s) threshold, 0.55 s, with the same live text
// (test/bench/stream.mjs; figures in test/bench/README.md). A 5-frame threshold commits words before they are heard.
// Updates never queue: one that takes longer than 0.2 s is followed by one over all the audio received by then, so on
// slower hardware the interval stretches to the update's own time.
// Parakeet has its own policy: a token is shown once its end is marginFrames (80 ms each) behind the newest audio and
// the update before decoded it too; 2 frames (0.16 s), the engine's default.
import type { LivePolicy } from "../families";

export const LIVE_POLICY = { minChunkSeconds: 0.2, frameThreshold: 10, marginFrames: 2 } as const satisfies LivePolicy;
