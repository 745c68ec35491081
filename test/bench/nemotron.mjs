#!/usr/bin/env node
// Issue 64, proof 3: our Nemotron streaming at the real shapes of nvidia/nemotron-speech-streaming-en-0.6b (random
// weights, written once by test/reference/nemotron_reference.py make-model --dims en-0.6b) against two peers
// streaming the same weights and the same audio (held-out speech, concatenated to length), chunk by chunk, for each
// chunk size: transformers' NemotronAsrStreamingForRNNT and nemotron-asr.cpp (GGML). Ours: a live session
// (NemotronModel.startStream) fed one chunk at a time, each chunk timed from its push to the engine's update event.
// transformers: test/bench/nemotron_transformers.py, each chunk timed from its features to its last token.
// nemotron-asr.cpp: test/bench/peer/nemotron_asr_cpp_bench.cpp (built by peer/build-nemotron-asr-cpp.sh) on a GGUF
// of the same weights (nemotron_nemo.py writes the .nemo its converter reads), each push of a chunk's samples timed.
// Each side runs in a child process of its own. Prints per chunk the median and p90 compute, the real-time factor
// (compute / audio) and our ratio to each peer and to the faster one; on stderr, the tokens each side emitted and
// whether they agree; with --minutes N, our resident memory over an N-minute stream. Asserts nothing.
//
// usage: node test/bench/nemotron.mjs [--threads 2] [--seconds 30] [--chunks 80,160,560,1120]
//        [--dtype float16|float32|bfloat16] [--quantize 8bit|4bit] [--no-peer | --no-transformers | --no-ggml]
//        [--minutes N] [--model FOLDER]
// --model: a Nemotron folder in transformers' layout instead of the random 0.6B one, e.g. the trained fixture
// (test/fixtures/models/nemotron-trained-en): there the tokens are words, so whether the three sides emit the same ones
// says whether they compute the same network.
// Needs the reference Python (transformers 5.18, torch, PyYAML: bash test/reference/parakeet-venv.sh, or
// $BENCH_PYTHON), the built addon (npm install / tsc -b), and for nemotron-asr.cpp cmake, a C++ compiler and git
// (its sources are cloned from $NEMOTRON_ASR_CPP_GIT, default GitHub's). The cache (the models, 1.2 GB in fp16,
// 2.4 GB in fp32, their .nemo and GGUF copies, the peer's build, and the audio) is $BENCH_CACHE or
// node_modules/.cache/verbatim-bench.
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
import { readWav, writeWav } from "./wav.mjs";

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
    transformers: { type: "boolean", default: true },
    ggml: { type: "boolean", default: true },
    minutes: { type: "string", default: "0" },
    model: { type: "string" },
    // Internal: our side in this process (chunks | memory), printing one JSON line.
    worker: { type: "string" },
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
  const tokens = [];
  const session = model.startStream({ rightContext }, (event) => {
    if (event.type === "error") settle?.reject(event.error);
    if (event.type === "committed") {
      tokens.push(...event.tokens);
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
  const copy = path.join(cache, "nemotron", `${path.basename(folder)}-${quantize}`);
  mkdirSync(copy, { recursive: true });
  for (const name of readdirSync(folder)) {
    if (name === "config.json" || existsSync(path.join(copy, name))) continue;
    symlinkSync(path.join(folder, name), path.join(copy, name));
  }
  const config = JSON.parse(readFileSync(path.join(folder, "config.json"), "utf8"));
  writeFileSync(path.join(copy, "config.json"), `${JSON.stringify({ ...config, quantize }, null, 2)}\n`);
  return copy;
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

// nemotron-asr.cpp: built once into the cache (peer/build-nemotron-asr-cpp.sh prints the folder holding its driver
// and its converter), its weights converted from the same folder: transformers' layout → .nemo (nemotron_nemo.py) →
// GGUF (its scripts/convert_to_gguf.py, which quantizes the encoder layers' matrices to the type asked and keeps the
// rest in float32).
let ggmlBin = null;
function ggmlPeer() {
  ggmlBin ??= execFileSync("bash", [path.join(benchDir, "peer/build-nemotron-asr-cpp.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
  return ggmlBin;
}

// Our weights' form → the converter's --quantize: fp16 as stored, 8-bit as Q8_0, 4-bit as Q4_0 (ggml's nearest).
const GGML_TYPE = { float16: "f16", bfloat16: "f16", float32: null, "8bit": "q8_0", "4bit": "q4_0" };

function ensureGguf(stored) {
  const type = GGML_TYPE[options.quantize ?? options.dtype];
  const inCache = path.join(cache, "nemotron", path.basename(stored));
  const gguf = `${inCache}-${type ?? "f32"}.gguf`;
  if (existsSync(gguf)) return gguf;
  const nemo = `${inCache}.nemo`;
  if (!existsSync(nemo)) {
    log(`writing ${nemo} (NeMo's names, for nemotron-asr.cpp's converter) …`);
    execFileSync(python, [path.join(benchDir, "nemotron_nemo.py"), stored, nemo], {
      stdio: ["ignore", "ignore", "inherit"],
    });
  }
  log(`converting ${nemo} to ${gguf} …`);
  const args = [path.join(ggmlPeer(), "convert_to_gguf.py"), nemo, `${gguf}.partial`];
  if (type) args.push("--quantize", type);
  execFileSync(python, args, { stdio: ["ignore", "ignore", "inherit"] });
  renameSync(`${gguf}.partial`, gguf);
  return gguf;
}

// ggml's OpenMP threads spin at each barrier: on a machine busier than its cores they sleep instead (as in run.mjs
// and parakeet.mjs; an explicit OMP_WAIT_POLICY wins).
function ggmlEnvironment() {
  if (process.env.OMP_WAIT_POLICY || os.loadavg()[0] <= os.cpus().length) return process.env;
  log("  (machine busy: nemotron-asr.cpp runs with OMP_WAIT_POLICY=passive)");
  return { ...process.env, OMP_WAIT_POLICY: "passive" };
}

function runGgml(gguf, audio, rightContext) {
  const args = [gguf, audio, "--right-context", String(rightContext), "--threads", options.threads];
  return lastJsonLine(path.join(ggmlPeer(), "nemotron_asr_cpp_bench"), args, ggmlEnvironment());
}

// How far two token sequences agree: "same" or the length of their common start.
function agreement(a, b) {
  let same = 0;
  while (same < a.length && same < b.length && a[same] === b[same]) same++;
  return same === a.length && same === b.length ? "same" : `first ${same} same`;
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
  const stored = options.model ? path.resolve(options.model) : ensureModel(options.dtype);
  const ours = options.quantize ? quantizedCopy(stored, options.quantize) : stored;
  const audio = speechOf(Number(options.seconds));
  const chunks = options.chunks.split(",").map(Number);
  for (const ms of chunks) {
    if (!(ms in RIGHT_CONTEXT))
      throw new Error(`--chunks takes ${Object.keys(RIGHT_CONTEXT).join(", ")} (ms), not ${ms}`);
  }
  const useTransformers = options.peer && options.transformers;
  const gguf = options.peer && options.ggml ? ensureGguf(stored) : null;
  const weights = options.model ? path.basename(stored) : `en-0.6b shapes, random weights ${options.dtype}`;
  console.log(
    `Nemotron ${weights}${options.quantize ? ` packed ${options.quantize} (ours)` : ""}` +
      `${gguf ? `, nemotron-asr.cpp ${path.basename(gguf)}` : ""}, ${options.seconds} s of held-out speech, ` +
      `${options.threads} threads, ${os.cpus().length} CPUs, load ${loadAverage()}`,
  );
  console.log(
    "chunk    | ours median  p90      RTF   | transformers median  p90      RTF   | nemotron-asr.cpp median  p90  " +
      "    RTF   | ours/transformers  ours/nemotron-asr.cpp  ours/faster peer (RTF)",
  );
  for (const ms of chunks) {
    const R = RIGHT_CONTEXT[ms];
    const mine = runOurs("chunks", ours, audio, R);
    const a = summary(mine);
    const peers = [];
    const tokens = [`ours ${mine.tokens.length}`];
    if (useTransformers) {
      const theirs = runTransformers(stored, audio, R);
      peers.push({ name: "transformers", ...summary(theirs) });
      tokens.push(`transformers ${theirs.tokens.length} (${agreement(theirs.tokens, mine.tokens)} as ours)`);
    }
    if (gguf) {
      const theirs = runGgml(gguf, audio, R);
      peers.push({ name: "nemotron-asr.cpp", ...summary(theirs) });
      tokens.push(`nemotron-asr.cpp ${theirs.tokens.length} (${agreement(theirs.tokens, mine.tokens)} as ours)`);
    }
    const column = (name) => {
      const b = peers.find((peer) => peer.name === name);
      return b ? `${fmt(b.median)} ${fmt(b.p90)} ${b.rtf.toFixed(3).padStart(6)}` : " ".repeat(28);
    };
    const ratio = (b) => (b ? (a.rtf / b.rtf).toFixed(2) : "-");
    const faster = peers.reduce((best, peer) => (best && best.rtf <= peer.rtf ? best : peer), null);
    console.log(
      `${String(ms).padStart(4)} ms  | ${fmt(a.median)} ${fmt(a.p90)} ${a.rtf.toFixed(3).padStart(6)} | ` +
        `${column("transformers")} | ${column("nemotron-asr.cpp")} | ` +
        `${ratio(peers.find((peer) => peer.name === "transformers")).padStart(17)}  ` +
        `${ratio(peers.find((peer) => peer.name === "nemotron-asr.cpp")).padStart(21)}  ` +
        `${ratio(faster)}${faster ? ` (${faster.name})` : ""}`,
    );
    log(
      `  (${ms} ms: ours loaded in ${Math.round(mine.load_ms)} ms; tokens ${tokens.join(", ")}; load ${loadAverage()})`,
    );
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
