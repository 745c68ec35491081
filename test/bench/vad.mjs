// How well the voice activity detector ends utterances: Silero VAD v6.2 (the engine's) against a plain energy
// threshold, on the held-out sentences joined by pauses and mixed with noise (WebRTC's VAD, measured here until
// issue 66: test/bench/README.md). An utterance end is right when it falls after a sentence's last word and
// before the next sentence starts.
// Usage: npx tsc -b && node test/bench/vad.mjs [--silence 0.6] [--gap 1.2]
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const require = createRequire(import.meta.url);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const { loadAudio } = require(path.join(repoRoot, "daemon/dist/audio/index.js"));
const { SileroVad } = require(path.join(repoRoot, "daemon/dist/audio/voice-activity.js"));
const { DetectedSpeechGate } = require(path.join(repoRoot, "daemon/dist/dictation/speech-gate.js"));
const { SPEECH_RUNS } = require(path.join(repoRoot, "daemon/dist/audio/speech-runs.js"));

const { values } = parseArgs({
  options: { silence: { type: "string", default: "0.6" }, gap: { type: "string", default: "1.2" } },
});
const silenceSeconds = Number(values.silence);
const gapSeconds = Number(values.gap);
const RATE = 16_000;

// The sentences joined by `gap` seconds of silence; true speech spans from the clean signal (the recordings have
// digital silence around the voice).
const heldoutDir = path.join(repoRoot, "test/fixtures/heldout");
const heldout = JSON.parse(readFileSync(path.join(heldoutDir, "heldout.json"), "utf8"));
const spans = [];
const parts = [];
let length = 0;
for (const item of heldout) {
  const samples = (await loadAudio(path.join(heldoutDir, item.file))).samples;
  const first = samples.findIndex((s) => Math.abs(s) > 1e-3);
  let last = samples.length - 1;
  while (last > first && Math.abs(samples[last]) <= 1e-3) last--;
  spans.push({ start: length + first, end: length + last });
  const gap = new Float32Array(Math.round(gapSeconds * RATE));
  parts.push(samples, gap);
  length += samples.length + gap.length;
}
const clean = new Float32Array(length);
for (let i = 0, offset = 0; i < parts.length; offset += parts[i++].length) clean.set(parts[i], offset);

function speechRms(signal) {
  let sum = 0;
  let n = 0;
  for (const { start, end } of spans) {
    for (let i = start; i <= end; i++) sum += signal[i] * signal[i];
    n += end - start + 1;
  }
  return Math.sqrt(sum / n);
}

// Deterministic noise: white, and brown (low-passed white, like room rumble).
function noise(kind, n, seed = 1) {
  let state = seed;
  const uniform = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  const out = new Float32Array(n);
  let brown = 0;
  for (let i = 0; i < n; i++) out[i] = kind === "white" ? uniform() : (brown = 0.98 * brown + 0.2 * uniform());
  return out;
}

function mix(kind, snrDb) {
  if (kind === "clean") return clean;
  const n = noise(kind, clean.length);
  const noiseRms = Math.sqrt(n.reduce((sum, x) => sum + x * x, 0) / n.length);
  const gain = speechRms(clean) / (noiseRms * 10 ** (snrDb / 20));
  return clean.map((s, i) => Math.max(-1, Math.min(1, s + gain * n[i])));
}

const toInt16 = (signal) => Int16Array.from(signal, (s) => Math.round(s * 32767));

// A plain energy threshold in the same gate: the baseline a detector must beat.
class EnergyDetector {
  frameSamples = 480;
  constructor(threshold) {
    this.threshold = threshold;
    this.name = `energy > ${Math.round(20 * Math.log10(threshold))} dBFS`;
  }
  async speechProbability(frame) {
    let sum = 0;
    for (const s of frame) sum += (s / 32768) ** 2;
    return Math.sqrt(sum / frame.length) > this.threshold ? 1 : 0;
  }
}

function score(ends) {
  const found = new Set();
  let falseSplits = 0;
  const delays = [];
  for (const { speechEndSample } of ends) {
    const k = spans.findIndex(
      (span, i) =>
        speechEndSample >= span.end - 0.3 * RATE && (i + 1 === spans.length || speechEndSample < spans[i + 1].start),
    );
    if (k >= 0 && !found.has(k)) {
      found.add(k);
      delays.push((speechEndSample + silenceSeconds * RATE - spans[k].end) / RATE); // announced after the silence
    } else {
      falseSplits++;
    }
  }
  delays.sort((a, b) => a - b);
  return { found: found.size, falseSplits, delay: delays[Math.floor(delays.length / 2)] };
}

const conditions = [
  ["clean", 0],
  ["white", 20],
  ["white", 10],
  ["white", 5],
  ["brown", 10],
  ["brown", 5],
];
const detectors = [
  () => SileroVad.create(),
  async () => new EnergyDetector(0.01),
  async () => new EnergyDetector(0.0316),
];

const load = os.loadavg().map((x) => x.toFixed(2));
console.log(
  `${spans.length} held-out sentences joined by ${gapSeconds} s pauses (${(clean.length / RATE).toFixed(1)} s); ` +
    `an utterance ends after ${silenceSeconds} s of non-speech; load average ${load.join(" ")}`,
);
const headings = conditions.map(([kind, snr]) => (kind === "clean" ? "clean" : `${kind} ${snr} dB`));
console.log(`| detector | ${headings.join(" | ")} | CPU time / audio |`);
console.log(`|---|${headings.map(() => "---").join("|")}|---|`);
for (const make of detectors) {
  const cells = [];
  let name = "";
  let seconds = 0;
  for (const [kind, snr] of conditions) {
    const detector = await make();
    name = detector.name;
    const gate = new DetectedSpeechGate(detector, silenceSeconds, (error) => {
      throw error;
    });
    // The gate ends an utterance a margin after its last speech.
    const margin = Math.round(Math.min(SPEECH_RUNS.marginSeconds, silenceSeconds) * RATE);
    const audio = toInt16(mix(kind, snr));
    const ends = [];
    let given = 0;
    const started = performance.now();
    for (let i = 0; i < audio.length; i += 1600) {
      for (const step of await gate.push(audio.subarray(i, i + 1600))) {
        if (step.kind === "audio") given = step.at + step.samples.length;
        else ends.push({ speechEndSample: given - margin });
      }
    }
    seconds += (performance.now() - started) / 1000;
    const s = score(ends);
    const delay = s.delay === undefined ? "" : `, ${s.delay.toFixed(2)} s`;
    cells.push(`${s.found}/${spans.length}, ${s.falseSplits} false${delay}`);
  }
  const cpu = (100 * seconds) / ((conditions.length * clean.length) / RATE);
  console.log(`| ${name} | ${cells.join(" | ")} | ${cpu.toFixed(2)}% |`);
}
console.log(
  "Each cell: sentence ends found, false ends (inside a sentence), median delay from the last word to the end.",
);
