// Utterance ends from the real voice activity detectors on held-out speech joined by pauses, clean and in noise.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { loadAudio } from "../src/audio";
import { repoRoot } from "../../test/support/fixtures";

jest.setTimeout(60_000);

const RATE = 16_000;
const files = ["heldout-00.wav", "heldout-01.wav", "heldout-02.wav"];
let stream: Int16Array;
const sentenceEnds: number[] = [];

beforeAll(async () => {
  const parts: Float32Array[] = [];
  let length = 0;
  for (const file of files) {
    const samples = (await loadAudio(path.join(repoRoot, "test", "fixtures", "heldout", file))).samples;
    let last = samples.length - 1;
    while (last > 0 && Math.abs(samples[last]) <= 1e-3) last--;
    sentenceEnds.push(length + last);
    parts.push(samples, new Float32Array(RATE)); // a one-second pause
    length += samples.length + RATE;
  }
  // White noise 10 dB below the speech: WebRTC's VAD hears speech throughout at 5 dB (test/bench/vad.mjs).
  let state = 7;
  const noise = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 0.02;
  stream = new Int16Array(length);
  let offset = 0;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) stream[offset + i] = Math.round((part[i] + noise()) * 32767);
    offset += part.length;
  }
});

/**
 * Utterance ends from a detector run in plain Node on the built code: libfvad is an ES module and ONNX Runtime
 * makes its tensors in Node's own realm, neither of which Jest's sandbox can host.
 */
function utteranceEnds(detector: "SileroVad" | "WebRtcVad", audio: Int16Array): number[] {
  const script = `
    const vad = require(${JSON.stringify(path.join(repoRoot, "daemon", "dist", "audio", "voice-activity.js"))});
    const audio = Int16Array.from(JSON.parse(require("fs").readFileSync(0, "utf8")));
    (async () => {
      const segmenter = new vad.UtteranceSegmenter(await vad.${detector}.create(), 0.6);
      const ends = [];
      for (let i = 0; i < audio.length; i += 1000) {
        for (const end of await segmenter.push(audio.subarray(i, i + 1000))) ends.push(end.speechEndSample);
      }
      console.log(JSON.stringify({ ends, inUtterance: segmenter.inUtterance }));
    })();`;
  const out = execFileSync(process.execPath, ["-e", script], { input: JSON.stringify(Array.from(audio)) });
  return JSON.parse(out.toString()).ends;
}

function expectOneEndPerPause(ends: number[]): void {
  expect(ends).toHaveLength(files.length);
  ends.forEach((end, k) => {
    expect(end).toBeGreaterThanOrEqual(sentenceEnds[k] - 0.2 * RATE);
    expect(end).toBeLessThan(sentenceEnds[k] + 0.5 * RATE);
  });
}

test("Silero VAD ends each utterance in the pause after it", () => {
  expectOneEndPerPause(utteranceEnds("SileroVad", stream));
});

test("WebRTC's VAD (the fallback when ONNX Runtime cannot be loaded) does the same in this noise", () => {
  expectOneEndPerPause(utteranceEnds("WebRtcVad", stream));
});

test("a silent stream has no utterance to end", () => {
  expect(utteranceEnds("SileroVad", new Int16Array(3 * RATE))).toEqual([]);
});
