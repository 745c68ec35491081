#!/usr/bin/env node
// Issue 64, proof 3: our Nemotron streaming at the real shapes of nvidia/nemotron-speech-streaming-en-0.6b (random
// weights, written once by test/reference/nemotron_reference.py make-model --dims en-0.6b) against transformers'
// NemotronAsrStreamingForRNNT streaming the same weights and the same audio (held-out speech, concatenated to
// length), chunk by chunk, for each chunk size. Ours: a live session (NemotronModel.startStream) fed one chunk at a
// time, each chunk timed from its push to the engine's update event. Theirs: test/bench/nemotron_transformers.py,
// each chunk timed from its features to its last token. Each side runs in a child process of its own. Prints per
// chunk the median and p90 compute, the real-time factor (compute / audio) and our ratio to transformers; with
// --minutes N, our resident memory over an N-minute stream. Asserts nothing.
//
// usage: node test/bench/nemotron.mjs [--threads 2] [--seconds 30] [--chunks 80,160,560,1120]
//        [--dtype float16|float32|bfloat16] [--quantize 8bit|4bit] [--no-peer] [--minutes N]
// Needs the reference Python (transformers 5.18, torch: bash test/reference/parakeet-venv.sh, or $BENCH_PYTHON) and
// the built addon (npm install / tsc -b). The cache (the models, 1.2 GB in fp16, 2.4 GB in fp32, and the audio) is
// $BENCH_CACHE or node_modules/.cache/verbatim-bench.
import { execFileSync, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const require = createRequire(import.meta.url);
const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(benchDir, "../..");
const cache = path.resolve(process.env.BENCH_CACHE ?? path.join(repoRoot, "node_modules/.cache/verbatim-bench"));
const venvPython = path.join(repoRoot, "test/reference/.venv-parakeet/bin/python");
const python = process.env.BENCH_PYTHON ?? venvPython;
const RATE = 16000;
const HOP = 160;
// NVIDIA's supported chunks: right context R encoder frames of 80 ms, a chunk of R + 1 frames.
const RIGHT_CONTEXT = { 80: 0, 160: 1, 560: 6, 1120: 13 };

const { values: options } = parseArgs({
  options: {
    threads: { type: "string", default: "2" },
    seconds: { type: "string", default: "30" },
    chunks: { type: "string", default: "80,160,560,1120" },
    dtype: { type: "string", default: "float16" },
    quantize: { type: "string" },
    peer: { type: "boolean", default: true },
    minutes: { type: "string", default: "0" },
    // Internal: our side in this process (chunks | memory), printing one JSON line.
    worker: { type: "string" },
    model: { type: "string" },
    audio: { type: "string" },
    "right-context": { type: "string" },
  },
  allowNegative: true,
});

function log(message) {
  process.stderr.write(`${message}\n`);
}

// ---------------------------------------------------------------------------------------------------------------------
// Our side, in a child process

function readWav(file) {
  const bytes = readFileSync(file);
  const pcm = new Int16Array(bytes.buffer, bytes.byteOffset + 44, (bytes.length - 44) / 2);
  return Float32Array.from(pcm, (sample) => sample / 32768);
}

// Loads the model and checks that a `quantize` key in its config.json was honoured: packing the weights at load
// puts at least bits/16 of the stored fp16 bytes on the C heap. An engine that ignores the key would otherwise be
// measured at fp16 under a 4-bit label.
async function loadOurs(lib, folder, threads) {
  const before = lib.engineMemory();
  const started = performance.now();
  const model = await lib.NemotronModel.load(folder, { backend: "cpu", threads }).promise;
  const loadMs = performance.now() - started;
  const after = lib.engineMemory();
  const heapGrowth = (after?.heapInUseBytes ?? 0) - (before?.heapInUseBytes ?? 0);
  const config = JSON.parse(readFileSync(path.join(folder, "config.json"), "utf8"));
  if (config.quantize) {
    const bits = { "8bit": 8, "4bit": 4 }[config.quantize];
    const stored = weightBytes(folder);
    const storedBits = config.torch_dtype === "float32" || config.dtype === "float32" ? 32 : 16;
    const packed = (stored * bits) / storedBits;
    if (after?.heapInUseBytes == null || heapGrowth < 0.8 * packed) {
      throw new Error(
        `the engine did not pack the weights to ${config.quantize} (C heap grew ${mb(heapGrowth)} MB at load, ` +
          `packing needs about ${mb(packed)} MB): this engine ignores config.json's "quantize" for Nemotron; ` +
          `update the engine`,
      );
    }
  }
  return { model, loadMs, heapGrowth };
}

function weightBytes(folder) {
  return statSync(path.join(folder, "model.safetensors")).size;
}

// Pushes `samples` to a live session a chunk at a time, waiting for the update each push gives; `each(i, ms)` sees
// every push's time from the push to its update event.
async function streamChunks(model, rightContext, samples, each) {
  const chunkSamples = 8 * (rightContext + 1) * HOP;
  let settle = null;
  let tokens = 0;
  const session = model.startStream({ rightContext }, (event) => {
    if (event.type === "error") settle?.reject(event.error);
    if (event.type === "committed") {
      tokens += event.tokens.length;
      settle?.resolve();
    }
  });
  // Whole chunks only: a shorter rest waits in the session's inbox for finish(), which flushes it untimed.
  const whole = samples.length - (samples.length % chunkSamples);
  for (let at = 0, i = 0; at < whole; at += chunkSamples, i++) {
    const piece = samples.subarray(at, at + chunkSamples);
    const updated = new Promise((resolve, reject) => (settle = { resolve, reject }));
    const started = performance.now();
    session.push(piece);
    await updated;
    each(i, performance.now() - started);
  }
  session.push(samples.subarray(whole));
  await session.finish();
  return tokens;
}

async function worker() {
  const lib = require(path.join(repoRoot, "native/dist/index.js"));
  const threads = Number(options.threads);
  const { model, loadMs, heapGrowth } = await loadOurs(lib, options.model, threads);
  const rightContext = Number(options["right-context"]);
  const audio = readWav(options.audio);
  if (options.worker === "chunks") {
    const chunkMs = [];
    const tokens = await streamChunks(model, rightContext, audio, (i, ms) => chunkMs.push(ms));
    console.log(
      JSON.stringify({
        load_ms: loadMs,
        heap_growth_mb: mb(heapGrowth),
        chunk_ms: chunkMs,
        tokens,
        audio_seconds: audio.length / RATE,
      }),
    );
    return;
  }
  // memory: the audio over and over for `minutes`, one stream; the resident set after each minute of audio.
  const minutes = Number(options.minutes);
  const long = new Float32Array(minutes * 60 * RATE);
  for (let at = 0; at < long.length; at += audio.length) long.set(audio.subarray(0, long.length - at), at);
  const chunkSeconds = (8 * (rightContext + 1) * HOP) / RATE;
  const rssMb = [mb(process.memoryUsage().rss)];
  const started = performance.now();
  await streamChunks(model, rightContext, long, (i) => {
    const audioSeconds = (i + 1) * chunkSeconds;
    if (Math.floor(audioSeconds / 60) > Math.floor((audioSeconds - chunkSeconds) / 60)) {
      rssMb.push(mb(process.memoryUsage().rss));
    }
  });
  console.log(JSON.stringify({ rss_mb: rssMb, wall_s: (performance.now() - started) / 1000 }));
}

function mb(bytes) {
  return Math.round(bytes / 1e6);
}

// ---------------------------------------------------------------------------------------------------------------------
// The model and the audio, written once into the cache

function ensureModel(dtype) {
  const folder = path.join(cache, "nemotron", `en-0.6b-${dtype}`);
  if (existsSync(path.join(folder, "model.safetensors"))) return folder;
  if (!existsSync(python)) {
    throw new Error(`no reference Python at ${python}: run bash test/reference/parakeet-venv.sh or set BENCH_PYTHON`);
  }
  log(`writing a random model of nemotron-speech-streaming-en-0.6b's shapes (${dtype}) into ${folder} …`);
  const partial = `${folder}.partial`;
  rmSync(partial, { recursive: true, force: true });
  execFileSync(
    python,
    ["nemotron_reference.py", "make-model", "--dims", "en-0.6b", "--dtype", dtype, "--out", partial],
    { cwd: path.join(repoRoot, "test/reference"), stdio: ["ignore", "inherit", "inherit"] },
  );
  renameSync(partial, folder);
  return folder;
}

// The model's files linked into a folder of their own whose config.json asks the engine to pack the weights at load
// (`"quantize": "8bit" | "4bit"`, read by the engine's Nemotron loader).
function quantizedCopy(folder, quantize) {
  const copy = `${folder}-${quantize}`;
  mkdirSync(copy, { recursive: true });
  for (const name of readdirSync(folder)) {
    if (name === "config.json" || existsSync(path.join(copy, name))) continue;
    symlinkSync(path.join(folder, name), path.join(copy, name));
  }
  const config = JSON.parse(readFileSync(path.join(folder, "config.json"), "utf8"));
  writeFileSync(path.join(copy, "config.json"), `${JSON.stringify({ ...config, quantize }, null, 2)}\n`);
  return copy;
}

function writeWav(file, samples) {
  const header = Buffer.alloc(44);
  header.write("RIFF", 0);
  header.writeUInt32LE(36 + samples.length * 2, 4);
  header.write("WAVEfmt ", 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(RATE, 24);
  header.writeUInt32LE(RATE * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36);
  header.writeUInt32LE(samples.length * 2, 40);
  writeFileSync(file, Buffer.concat([header, Buffer.from(samples.buffer, samples.byteOffset, samples.length * 2)]));
}

// The held-out sentences (test/fixtures/heldout), one after another, repeated until `seconds`, cut there.
function speechOf(seconds) {
  const file = path.join(cache, "nemotron", `heldout-${seconds}s.wav`);
  if (existsSync(file)) return file;
  mkdirSync(path.dirname(file), { recursive: true });
  const heldout = path.join(repoRoot, "test/fixtures/heldout");
  const clips = JSON.parse(readFileSync(path.join(heldout, "heldout.json"), "utf8")).map((item) => {
    const bytes = readFileSync(path.join(heldout, item.file));
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

// Our engine runs with OpenBLAS choosing its kernels for this CPU (see run.mjs: this VM pins Haswell).
function engineEnvironment() {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  if (process.env.BENCH_OPENBLAS_CORETYPE) env.OPENBLAS_CORETYPE = process.env.BENCH_OPENBLAS_CORETYPE;
  return env;
}

function lastJsonLine(command, args, env) {
  const child = spawnSync(command, args, {
    encoding: "utf8",
    maxBuffer: 1 << 26,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.status !== 0) {
    throw new Error(`${path.basename(command)} ${args.join(" ")} failed (${child.status}):\n${child.stderr}`);
  }
  return JSON.parse(child.stdout.trim().split("\n").pop());
}

function runOurs(kind, model, audio, rightContext, extra = []) {
  const args = [fileURLToPath(import.meta.url), "--worker", kind, "--model", model, "--audio", audio];
  args.push("--right-context", String(rightContext), "--threads", options.threads, ...extra);
  return lastJsonLine(process.execPath, args, engineEnvironment());
}

// transformers computes in float32 on the CPU (its fp16 matrix products there are far slower): the stored fp16
// weights are widened at load, the same values.
function runTransformers(model, audio, rightContext) {
  const args = [path.join(benchDir, "nemotron_transformers.py"), "--model", model, "--audio", audio];
  args.push("--lookahead", String(rightContext), "--threads", options.threads);
  return lastJsonLine(python, args, process.env);
}

function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function summary(result) {
  const total = result.chunk_ms.reduce((sum, ms) => sum + ms, 0);
  return {
    median: quantile(result.chunk_ms, 0.5),
    p90: quantile(result.chunk_ms, 0.9),
    rtf: total / 1000 / result.audio_seconds,
  };
}

function loadAverage() {
  return os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");
}

async function main() {
  if (options.quantize && !["8bit", "4bit"].includes(options.quantize)) {
    throw new Error(`--quantize takes 8bit or 4bit, not ${options.quantize}`);
  }
  const stored = ensureModel(options.dtype);
  const ours = options.quantize ? quantizedCopy(stored, options.quantize) : stored;
  const audio = speechOf(Number(options.seconds));
  const chunks = options.chunks.split(",").map(Number);
  for (const ms of chunks) {
    if (!(ms in RIGHT_CONTEXT))
      throw new Error(`--chunks takes ${Object.keys(RIGHT_CONTEXT).join(", ")} (ms), not ${ms}`);
  }
  console.log(
    `Nemotron en-0.6b shapes, random weights ${options.dtype}${options.quantize ? ` packed ${options.quantize} (ours)` : ""}, ` +
      `${options.seconds} s of held-out speech, ${options.threads} threads, ${os.cpus().length} CPUs, load ${loadAverage()}`,
  );
  console.log("chunk    | ours median  p90      RTF   | transformers median  p90      RTF   | ours/transformers (RTF)");
  for (const ms of chunks) {
    const R = RIGHT_CONTEXT[ms];
    const mine = runOurs("chunks", ours, audio, R);
    const a = summary(mine);
    let peer = "";
    if (options.peer) {
      const b = summary(runTransformers(stored, audio, R));
      peer = `${fmt(b.median)} ${fmt(b.p90)} ${b.rtf.toFixed(3).padStart(6)} | ${(a.rtf / b.rtf).toFixed(2)}`;
    }
    console.log(
      `${String(ms).padStart(4)} ms  | ${fmt(a.median)} ${fmt(a.p90)} ${a.rtf.toFixed(3).padStart(6)} | ${peer}`,
    );
    log(`  (${ms} ms: ours loaded in ${Math.round(mine.load_ms)} ms, ${mine.tokens} tokens; load ${loadAverage()})`);
  }
  const minutes = Number(options.minutes);
  if (minutes > 0) {
    const R = RIGHT_CONTEXT[chunks.includes(160) ? 160 : chunks[0]];
    const result = runOurs("memory", ours, audio, R, ["--minutes", String(minutes)]);
    const growth = result.rss_mb.at(-1) - result.rss_mb[1];
    const perMinute = minutes > 1 ? growth / (minutes - 1) : 0;
    console.log(
      `RSS over a ${minutes}-minute stream (R = ${R}): ${result.rss_mb.join(", ")} MB at load and after each minute; ` +
        `growth after the first minute ${growth} MB (${perMinute.toFixed(1)} MB/min); ${result.wall_s.toFixed(0)} s; load ${loadAverage()}`,
    );
  }
}

function fmt(ms) {
  return `${ms.toFixed(1).padStart(7)} ms`;
}

if (options.worker) await worker();
else await main();
