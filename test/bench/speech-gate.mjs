#!/usr/bin/env node
// The figures behind the speech detector's settings (daemon/src/audio/speech-runs.ts), with Silero VAD v4:
//   1. the no-speech set (test/support/no-speech.cjs): the highest speech probability on each file, its longest run
//      at 0.5 or more, and whether live dictation's gate gives the decoder anything;
//   2. sounds near the edge, one at a time after silence: noise bursts (a bump, a breath), beeps, a chirp, and
//      one-syllable words from espeak-ng (4 voices, 175 and 230 words a minute): peak probability and run length;
//   3. the held-out sentences with pauses, in silence and in brown noise: where the detected speech starts and ends
//      against where the signal does;
//   4. the margin kept before and after speech: the held-out sentences with 1.5 s of silence or noise around them,
//      cut by the gate with each margin and transcribed by the engine (the dictation's final pass), against the
//      clean recordings (0.3 s of silence around the speech) and against no cut at all.
//
// usage: npx tsc -b && node test/bench/speech-gate.mjs [--model verbatim-tiny-en] [--threads 2]
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { normalizeWords, wordErrorRate } from "../support/words.cjs";
import { makeNoSpeechSet, surround } from "../support/no-speech.cjs";

const require = createRequire(import.meta.url);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const dist = (file) => require(path.join(repoRoot, "daemon/dist", file));
const { WhisperModel } = require(path.join(repoRoot, "native/dist/index.js"));
const { loadAudio } = dist("audio/index.js");
const { loadTokenizer } = dist("tokenizer/index.js");
const { SileroVad } = dist("audio/voice-activity.js");
const { SPEECH_RUNS } = dist("audio/speech-runs.js");
const { DetectedSpeechGate } = dist("dictation/speech-gate.js");

const { values } = parseArgs({
  options: { model: { type: "string", default: "verbatim-tiny-en" }, threads: { type: "string", default: "2" } },
});
const RATE = 16_000;
const FRAME = 512;
const fixtures = path.join(repoRoot, "test/fixtures");
const work = mkdtempSync(path.join(os.tmpdir(), "speech-gate-bench-"));
const toInt16 = (samples) => Int16Array.from(samples, (s) => Math.max(-32768, Math.min(32767, Math.round(s * 32768))));
const fmt = (x, digits = 2) => x.toFixed(digits);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Silero's probability for every 32 ms frame. */
async function probabilities(samples) {
  const detector = await SileroVad.create();
  const pcm = toInt16(samples);
  const out = [];
  for (let at = 0; at + FRAME <= pcm.length; at += FRAME)
    out.push(await detector.speechProbability(pcm.subarray(at, at + FRAME)));
  return out;
}

const longestRun = (probs, threshold = SPEECH_RUNS.probability) => {
  let best = 0;
  let current = 0;
  for (const p of probs) best = Math.max(best, (current = p >= threshold ? current + 1 : 0));
  return (best * FRAME * 1000) / RATE;
};

/** What the live gate gives the decoder: [{start, end}] in samples, one per utterance. */
async function gateCut(samples, silenceSeconds = 0.6) {
  const gate = new DetectedSpeechGate(await SileroVad.create(), silenceSeconds, (error) => {
    throw error;
  });
  const pcm = toInt16(samples);
  const cuts = [];
  let open = null;
  const take = (steps) => {
    for (const step of steps) {
      if (step.kind === "end") {
        cuts.push(open);
        open = null;
      } else {
        open ??= { start: step.at, end: step.at };
        open.end = step.at + step.samples.length;
      }
    }
  };
  for (let at = 0; at < pcm.length; at += 1600) take(await gate.push(pcm.subarray(at, at + 1600)));
  take(gate.finish());
  if (open) cuts.push(open);
  return cuts;
}

/** From the first utterance's start to the last one's end. */
const whole = (cuts) => ({ start: cuts[0].start, end: cuts.at(-1).end });

const wav = (file) => loadAudio(file).then((audio) => audio.samples);
function sox(...args) {
  execFileSync("sox", ["-R", ...args], { stdio: "ignore" });
}

console.log(
  `# speech detector settings; load average ${os
    .loadavg()
    .map((x) => fmt(x))
    .join(" ")}`,
);

// 1. The no-speech set.
console.log(
  "\n## 1. No-speech set\n\n| file | max probability | longest run at >= 0.5 | given to the decoder |\n|---|---|---|---|",
);
for (const { name, file } of makeNoSpeechSet(work)) {
  const samples = await wav(file);
  const probs = await probabilities(samples);
  const cuts = await gateCut(samples);
  console.log(
    `| ${name} | ${fmt(Math.max(...probs))} | ${fmt(longestRun(probs), 0)} ms | ${cuts.length ? "yes" : "nothing"} |`,
  );
}

// 2. Sounds near the edge, and short words.
console.log("\n## 2. Sounds near the edge, and one-syllable words\n");
console.log("| sound | max probability | longest run at >= 0.5 | counts as speech |\n|---|---|---|---|");
const edge = path.join(work, "edge.wav");
const sounds = [
  ...["pinknoise", "brownnoise"].flatMap((noise) =>
    [0.1, 0.2, 0.4].map((seconds) => [`${noise} burst ${seconds * 1000} ms, -20 dBFS peak`, [seconds, noise, -20]]),
  ),
  ["beep 440 Hz 300 ms, -10 dBFS", [0.3, "sine", "440", -10]],
  ["beep 440 Hz 1 s, -10 dBFS", [1, "sine", "440", -10]],
  ["chirp 200-2000 Hz 1 s, -10 dBFS", [1, "sine", "200-2000", -10]],
];
for (const [label, [seconds, ...synth]] of sounds) {
  const peak = synth.pop();
  sox(
    "-R",
    "-n",
    "-r",
    "16000",
    "-c",
    "1",
    "-b",
    "16",
    edge,
    "synth",
    String(seconds),
    ...synth,
    "gain",
    "-n",
    String(peak),
    "pad",
    "0.5",
    "0.5",
  );
  const samples = await wav(edge);
  const probs = await probabilities(samples);
  const counts = (await gateCut(samples)).length > 0;
  console.log(`| ${label} | ${fmt(Math.max(...probs))} | ${fmt(longestRun(probs), 0)} ms | ${counts ? "yes" : "no"} |`);
}
const words = [];
for (const voice of ["en-us", "en-gb+f3", "en-us+m3", "en-gb-x-rp+f4"]) {
  for (const speed of [175, 230]) {
    for (const word of ["Yes", "No", "OK", "Hi", "Go", "Up", "It", "Eh", "Oh", "Two"]) {
      execFileSync("espeak-ng", ["-v", voice, "-s", String(speed), "-w", path.join(work, "word.wav"), `${word}.`]);
      sox(path.join(work, "word.wav"), "-r", "16000", edge, "pad", "0.5", "0.5");
      const samples = await wav(edge);
      const probs = await probabilities(samples);
      words.push({
        label: `${word} (${voice}, ${speed})`,
        peak: Math.max(...probs),
        run: longestRun(probs),
        counts: (await gateCut(samples)).length > 0,
      });
    }
  }
}
words.sort((a, b) => a.peak - b.peak);
console.log(
  `\n${words.length} words: peak probability ${fmt(words[0].peak)} (${words[0].label}) to ${fmt(words.at(-1).peak)}; ` +
    `runs at >= 0.5 from ${fmt(Math.min(...words.map((w) => w.run)), 0)} ms; counted as speech: ${words.filter((w) => w.counts).length}/${words.length}`,
);

// 3 and 4: held-out sentences with pauses.
const heldout = JSON.parse(readFileSync(path.join(fixtures, "heldout/heldout.json"), "utf8"));
const model = await WhisperModel.load(path.join(fixtures, "models", values.model), { threads: Number(values.threads) })
  .promise;
const tokenizer = await loadTokenizer({ nVocab: model.info().dims.nVocab });
model.setVocabulary(tokenizer.tokenBytesTable());
const options = { suppressTokens: tokenizer.resolveSuppressTokens("-1") };
const transcribe = async (samples) =>
  tokenizer.decode((await model.transcribe(samples, options).promise).segments.flatMap((s) => s.tokens)).trim();

const PAD = 1.5;
const sentences = [];
for (const item of heldout) {
  const samples = await wav(path.join(fixtures, "heldout", item.file));
  const first = samples.findIndex((s) => Math.abs(s) > 1e-3);
  let last = samples.length - 1;
  while (last > first && Math.abs(samples[last]) <= 1e-3) last--;
  sentences.push({ ...item, samples, first, last: last + 1, clean: await transcribe(samples) });
}
const conditions = [
  ["silence", null],
  ["brown noise -50 dBFS", -50],
  ["brown noise -40 dBFS", -40],
];
/** The sentence with PAD seconds around it, in silence or brown noise at `noiseDb` dBFS (RMS). */
async function padded(sentence, noiseDb) {
  const clean = path.join(work, "sentence.wav");
  const out = path.join(work, "padded.wav");
  sox(path.join(fixtures, "heldout", sentence.file), clean);
  surround(clean, out, { before: PAD, after: PAD, noiseDb });
  return wav(out);
}

console.log(
  `\n## 3. Where the detected speech starts and ends (the held-out sentences, ${PAD} s before and after)\n\n` +
    "| condition | start: detected - true, median (min to max) | end: detected - true, median (min to max) |\n|---|---|---|",
);
const margin = SPEECH_RUNS.marginSeconds;
const runs = new Map();
for (const [label, noiseDb] of conditions) {
  const starts = [];
  const ends = [];
  const audio = [];
  for (const sentence of sentences) {
    const samples = await padded(sentence, noiseDb);
    audio.push(samples);
    const cut = whole(await gateCut(samples));
    const offset = PAD * RATE;
    starts.push((cut.start + margin * RATE - offset - sentence.first) / RATE);
    ends.push((cut.end - margin * RATE - offset - sentence.last) / RATE);
  }
  runs.set(label, audio);
  const range = (xs) => `${fmt(median(xs))} s (${fmt(Math.min(...xs))} to ${fmt(Math.max(...xs))})`;
  console.log(`| ${label} | ${range(starts)} | ${range(ends)} |`);
}

const cleanWer = wordErrorRate(sentences.map((s) => ({ reference: s.text, hypothesis: s.clean })));
console.log(
  `\n## 4. Margins: the sentences cut by the gate, transcribed (${values.model}; clean recordings: WER ${fmt(100 * cleanWer, 1)}%)\n\n` +
    "| condition | margin | WER | same text as the clean recording | words more than the clean recording's |\n|---|---|---|---|---|",
);
for (const [label] of conditions) {
  for (const m of [0.1, 0.2, 0.3, 0.5, null]) {
    SPEECH_RUNS.marginSeconds = m ?? 0;
    const pairs = [];
    let same = 0;
    let more = 0;
    for (const [i, sentence] of sentences.entries()) {
      const samples = runs.get(label)[i];
      const cut = m === null ? { start: 0, end: samples.length } : whole(await gateCut(samples));
      const text = await transcribe(samples.subarray(cut.start, cut.end));
      pairs.push({ reference: sentence.text, hypothesis: text });
      if (text === sentence.clean) same++;
      more += Math.max(0, normalizeWords(text).length - normalizeWords(sentence.clean).length);
    }
    console.log(
      `| ${label} | ${m === null ? `none (${PAD} s around)` : `${m} s`} | ${fmt(100 * wordErrorRate(pairs), 1)}% | ${same}/${sentences.length} | ${more} |`,
    );
  }
}
SPEECH_RUNS.marginSeconds = margin;
model.free();
rmSync(work, { recursive: true, force: true });
console.log(
  `\n# load average after: ${os
    .loadavg()
    .map((x) => fmt(x))
    .join(" ")}`,
);
