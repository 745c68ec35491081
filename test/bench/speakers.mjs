#!/usr/bin/env node
// Issue 67's bench: the engine's speaker model at the real shapes of nvidia/Nemotron-3-Diarization (random weights,
// written once by test/reference/diarization_reference.py make-model --dims real) against transformers'
// Nemotron3DiarizationForAudioFrameClassification on the same weights and the same audio (the held-out
// conversations of test/fixtures/conversations, one after another, repeated to length), offline and in one streaming
// mode. Each run is a child process of its own, the two sides alternating; each side's time is its best of
// `--repeat` runs. Ours: SpeakerModel.diarize (offline) or a SpeakerStream fed 1 s at a time (streaming).
// transformers: diarization_reference.py bench (its processor, then one forward; streaming as the processor
// documents). Prints seconds per hour of audio, each process's peak resident set and our ratios; refuses to print
// figures when the two sides' segments differ (a broken run is never timed). Asserts nothing.
//
// usage: node test/bench/speakers.mjs [--threads 2] [--seconds 60] [--repeat 2] [--mode low_latency]
//        [--dtype float32|float16|bfloat16]
// Needs the reference Python (transformers 5.18, torch: bash test/reference/parakeet-venv.sh, or $BENCH_PYTHON) and
// the built addon. The cache (the model, 397 MB in fp32, and the audio) is $BENCH_CACHE or
// node_modules/.cache/verbatim-bench.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { readWav, writeWav } from "./wav.mjs";

const require = createRequire(import.meta.url);
const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(benchDir, "../..");
const cache = path.resolve(process.env.BENCH_CACHE ?? path.join(repoRoot, "node_modules/.cache/verbatim-bench"));
const python = process.env.BENCH_PYTHON ?? path.join(repoRoot, "test/reference/.venv-parakeet/bin/python");
const reference = path.join(repoRoot, "test/reference/diarization_reference.py");
const RATE = 16000;
// Segment edges may differ by a frame where a probability sits within float noise of a threshold.
const EDGE_SECONDS = 0.011;

const { values: options } = parseArgs({
  options: {
    threads: { type: "string", default: "2" },
    seconds: { type: "string", default: "60" },
    repeat: { type: "string", default: "2" },
    mode: { type: "string", default: "low_latency" },
    dtype: { type: "string", default: "float32" },
    // Internal: our side in this process (offline | the streaming mode), printing one JSON line.
    worker: { type: "string" },
    model: { type: "string" },
    audio: { type: "string" },
  },
});

// ---------------------------------------------------------------------------------------------------------------------
// Our side, in a child process

async function worker() {
  const { SpeakerModel } = require(path.join(repoRoot, "native/dist/index.js"));
  const model = await SpeakerModel.load(options.model, { backend: "cpu", threads: Number(options.threads) });
  const audio = readWav(options.audio);
  const started = performance.now();
  let segments;
  if (options.worker === "offline") {
    segments = (await model.diarize(audio)).segments;
  } else {
    const stream = model.stream({ mode: options.worker });
    for (let at = 0; at < audio.length; at += RATE) await stream.push(audio.subarray(at, at + RATE));
    segments = (await stream.finish()).segments;
  }
  const seconds = (performance.now() - started) / 1000;
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1000);
  console.log(JSON.stringify({ seconds, audio_seconds: audio.length / RATE, peak_rss_mb: peakRssMb, segments }));
  model.close();
}

// ---------------------------------------------------------------------------------------------------------------------
// The model and the audio, written once into the cache

function ensureModel(dtype) {
  const folder = path.join(cache, "speakers", `real-${dtype}`);
  if (existsSync(path.join(folder, "model.safetensors"))) return folder;
  if (!existsSync(python)) {
    throw new Error(`no reference Python at ${python}: run bash test/reference/parakeet-venv.sh or set BENCH_PYTHON`);
  }
  process.stderr.write(`writing a random model of Nemotron-3-Diarization's shapes (${dtype}) into ${folder} …\n`);
  const partial = `${folder}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(path.dirname(folder), { recursive: true });
  execFileSync(python, [reference, "make-model", "--dims", "real", "--dtype", dtype, "--out", partial], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  renameSync(partial, folder);
  return folder;
}

// The held-out conversations, one after another, repeated until `seconds`, cut there.
function conversationsOf(seconds) {
  const file = path.join(cache, "speakers", `conversations-${seconds}s.wav`);
  if (existsSync(file)) return file;
  mkdirSync(path.dirname(file), { recursive: true });
  const folder = path.join(repoRoot, "test/fixtures/conversations");
  const clips = readdirSync(folder)
    .filter((name) => name.endsWith(".wav"))
    .sort()
    .map((name) => {
      const bytes = readFileSync(path.join(folder, name));
      return new Int16Array(bytes.buffer.slice(bytes.byteOffset + 44, bytes.byteOffset + bytes.length));
    });
  const out = new Int16Array(seconds * RATE);
  for (let at = 0, i = 0; at < out.length; i++) {
    const clip = clips[i % clips.length].subarray(0, out.length - at);
    out.set(clip, at);
    at += clip.length;
  }
  writeWav(file, out);
  return file;
}

// ---------------------------------------------------------------------------------------------------------------------
// Measuring

function runChild(command, args) {
  const child = spawnSync(command, args, { encoding: "utf8", maxBuffer: 64 << 20 });
  if (child.status !== 0) throw new Error(`${path.basename(command)} ${args[1] ?? ""} failed:\n${child.stderr}`);
  return JSON.parse(child.stdout.trim().split("\n").at(-1));
}

function ours(mode, model, audio) {
  const args = [fileURLToPath(import.meta.url), "--worker", mode, "--model", model, "--audio", audio];
  return runChild(process.execPath, [...args, "--threads", options.threads]);
}

function transformers(mode, model, audio) {
  const args = [reference, "bench", "--model", model, "--audio", audio, "--mode", mode, "--repeat", "1"];
  return runChild(python, [...args, "--threads", options.threads]);
}

function sameSegments(a, b) {
  return (
    a.length === b.length &&
    a.every(
      (s, i) =>
        s.speaker === b[i].speaker &&
        Math.abs(s.start - b[i].start) <= EDGE_SECONDS &&
        Math.abs(s.end - b[i].end) <= EDGE_SECONDS,
    )
  );
}

function loadAverage() {
  return os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");
}

async function main() {
  if (options.worker) return worker();
  const model = ensureModel(options.dtype);
  const audio = conversationsOf(Number(options.seconds));
  console.log(
    `speaker model, Nemotron-3-Diarization's shapes (random ${options.dtype}), ${options.seconds} s of ` +
      `conversations, ${options.threads} threads, best of ${options.repeat}; load average ${loadAverage()}`,
  );
  const rows = [];
  for (const mode of ["offline", options.mode]) {
    const best = { ours: null, transformers: null };
    for (let run = 0; run < Number(options.repeat); run++) {
      for (const [side, measure] of [
        ["ours", ours],
        ["transformers", transformers],
      ]) {
        const result = measure(mode, model, audio);
        if (!best[side] || result.seconds < best[side].seconds) {
          best[side] = { ...result, peak_rss_mb: Math.max(result.peak_rss_mb, best[side]?.peak_rss_mb ?? 0) };
        } else {
          best[side].peak_rss_mb = Math.max(best[side].peak_rss_mb, result.peak_rss_mb);
        }
      }
    }
    if (!sameSegments(best.ours.segments, best.transformers.segments)) {
      throw new Error(
        `${mode}: the engine's segments differ from transformers' (${best.ours.segments.length} against ` +
          `${best.transformers.segments.length}): fix the engine before timing it`,
      );
    }
    rows.push({ mode, ...best });
  }
  const perHour = (side) => (side.seconds / side.audio_seconds) * 3600;
  console.log("| mode | ours s/hour | transformers s/hour | ratio | ours peak MB | transformers peak MB | ratio |");
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  for (const { mode, ours: o, transformers: t } of rows) {
    console.log(
      `| ${mode} | ${perHour(o).toFixed(0)} | ${perHour(t).toFixed(0)} | ${(perHour(o) / perHour(t)).toFixed(2)} | ` +
        `${o.peak_rss_mb} | ${t.peak_rss_mb} | ${(o.peak_rss_mb / t.peak_rss_mb).toFixed(2)} |`,
    );
  }
  console.log(
    `segments equal on both sides (${rows.map((r) => r.ours.segments.length).join(", ")}); load average ${loadAverage()}`,
  );
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
