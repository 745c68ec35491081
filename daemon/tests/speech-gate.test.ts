// What live dictation gives the decoder, from the real voice activity detector: held-out speech joined by pauses,
// clean and in noise, and audio with no speech at all (test/support/no-speech.cjs).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadAudio } from "../src/audio";
import { repoRoot } from "../../test/support/fixtures";
import { makeNoSpeechSet } from "../../test/support/no-speech";

jest.setTimeout(60_000);

const RATE = 16_000;
const MARGIN = 0.3; // SPEECH_RUNS.marginSeconds
const files = ["heldout-00.wav", "heldout-01.wav", "heldout-02.wav"];
const sentences: Array<{ start: number; end: number }> = [];
let work: string;
let stream: string;

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), "speech-gate-"));
  const parts: Float32Array[] = [];
  let length = 0;
  for (const file of files) {
    const samples = (await loadAudio(path.join(repoRoot, "test", "fixtures", "heldout", file))).samples;
    const first = samples.findIndex((s) => Math.abs(s) > 1e-3);
    let last = samples.length - 1;
    while (last > 0 && Math.abs(samples[last]) <= 1e-3) last--;
    sentences.push({ start: (length + first) / RATE, end: (length + last + 1) / RATE });
    parts.push(samples, new Float32Array(RATE)); // a one-second pause
    length += samples.length + RATE;
  }
  // White noise 10 dB below the speech: WebRTC's VAD hears speech throughout at 5 dB (test/bench/vad.mjs).
  let state = 7;
  const noise = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 0.02;
  const pcm = new Int16Array(length);
  let offset = 0;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) pcm[offset + i] = Math.round((part[i] + noise()) * 32767);
    offset += part.length;
  }
  stream = path.join(work, "sentences.pcm");
  writeFileSync(stream, pcm);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Utterance {
  start: number;
  end: number;
  /** Each piece of audio began where the one before it ended. */
  contiguous: boolean;
}

/** The utterances a gate gives the decoder for a PCM file fed in 100 ms chunks, in plain Node on the built code. */
function utterances(detector: "SileroVad", pcmFile: string, silenceSeconds = 0.6): Utterance[] {
  const dist = path.join(repoRoot, "daemon", "dist");
  const script = `
    const { ${detector} } = require(${JSON.stringify(path.join(dist, "audio", "voice-activity.js"))});
    const { DetectedSpeechGate } = require(${JSON.stringify(path.join(dist, "dictation", "speech-gate.js"))});
    const bytes = require("fs").readFileSync(${JSON.stringify(pcmFile)});
    const audio = new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2);
    (async () => {
      const gate = new DetectedSpeechGate(await ${detector}.create(), ${silenceSeconds}, (e) => { throw e; });
      const out = [];
      let open = null;
      const take = (steps) => {
        for (const step of steps) {
          if (step.kind === "end") { out.push(open); open = null; continue; }
          if (!open) open = { start: step.at, end: step.at, contiguous: true };
          open.contiguous &&= step.at === open.end;
          open.end = step.at + step.samples.length;
        }
      };
      for (let i = 0; i < audio.length; i += 1600) take(await gate.push(audio.subarray(i, i + 1600)));
      take(gate.finish());
      if (open) out.push(open);
      console.log(JSON.stringify(out.map((u) => ({ ...u, start: u.start / 16000, end: u.end / 16000 }))));
    })();`;
  return JSON.parse(execFileSync(process.execPath, ["-e", script]).toString());
}

function expectOnePerSentence(found: Utterance[], margin = MARGIN): void {
  expect(found).toHaveLength(sentences.length);
  found.forEach((utterance, k) => {
    expect(utterance.contiguous).toBe(true);
    // The speech with its margins, and not much more: the onset is heard within 0.1 s, the end within 0.1 s.
    expect(utterance.start).toBeLessThanOrEqual(sentences[k].start);
    expect(utterance.start).toBeGreaterThanOrEqual(sentences[k].start - margin - 0.05);
    expect(utterance.end).toBeGreaterThanOrEqual(sentences[k].end);
    expect(utterance.end).toBeLessThanOrEqual(sentences[k].end + margin + 0.15);
  });
}

test("Silero VAD: one utterance per sentence, each its speech with 0.3 s before and after, the pauses dropped", () => {
  expectOnePerSentence(utterances("SileroVad", stream));
});

test("without utterance ends, one utterance from the first speech to the last, its pauses included", () => {
  const [only, ...more] = utterances("SileroVad", stream, 0);
  expect(more).toEqual([]);
  expect(only.contiguous).toBe(true);
  expect(only.start).toBeLessThanOrEqual(sentences[0].start);
  expect(only.start).toBeGreaterThanOrEqual(sentences[0].start - MARGIN - 0.05);
  expect(only.end).toBeGreaterThanOrEqual(sentences.at(-1)!.end);
  expect(only.end).toBeLessThanOrEqual(sentences.at(-1)!.end + MARGIN + 0.15);
});

test("without utterance ends, a pause longer than 30 s stays inside the one utterance", async () => {
  const sentence = (await loadAudio(path.join(repoRoot, "test", "fixtures", "heldout", files[0]))).samples;
  const pcm = new Int16Array(2 * sentence.length + 35 * RATE);
  pcm.set(Int16Array.from(sentence, (s) => Math.round(s * 32767)));
  pcm.set(
    Int16Array.from(sentence, (s) => Math.round(s * 32767)),
    sentence.length + 35 * RATE,
  );
  const file = path.join(work, "long-pause.pcm");
  writeFileSync(file, pcm);
  const [only, ...more] = utterances("SileroVad", file, 0);
  expect(more).toEqual([]);
  expect(only.contiguous).toBe(true);
  expect(only.end - only.start).toBeGreaterThan(35 + sentence.length / RATE);
});

test("audio with no speech gives the decoder nothing: silence, noise, clicks, bumps, beeps, hum", () => {
  const folder = path.join(work, "no-speech");
  execFileSync("mkdir", [folder]);
  for (const { name, file } of makeNoSpeechSet(folder)) {
    const pcm = path.join(folder, `${name}.pcm`);
    execFileSync("sox", [file, "-t", "raw", pcm]);
    expect({ name, utterances: utterances("SileroVad", pcm) }).toEqual({ name, utterances: [] });
  }
});
