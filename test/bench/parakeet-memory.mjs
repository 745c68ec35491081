#!/usr/bin/env node
// Issue 40, "Long files" and "Memory": our Parakeet TDT's memory on a 30 s file and on an hour of audio, with the
// weights held as the file stores them (fp16) and packed to MLX affine 8 or 4 bits at load (config.json "quantize").
// Random weights of parakeet-tdt-0.6b-v3's shapes (the model parakeet.mjs writes, in the same bench cache); audio: the
// 20 held-out sentences repeated to length, as a file of float samples (what the daemon hands the engine: read a
// chunk at a time, never held whole). Every case is one child process under /usr/bin/time: its peak resident set
// (Node's own ~50 MB included), its resident set right after the load, the load and transcription times.
// Prints a table; asserts nothing.
//
// usage: node test/bench/parakeet-memory.mjs [--threads 2] [--lengths 30,3600] [--weights fp16,8bit[,4bit]]
//        [--per-chunk] (also the peak so far, the heaps' and the mapped files' resident pages and the C heap in use
//        after each chunk)
// Needs test/reference/.venv-parakeet (bash test/reference/parakeet-venv.sh) to write the model when the cache lacks
// it, /usr/bin/time, and the built addon (npm install / tsc -b). The cache (the 1.3 GB model, the audio: an hour of
// float samples is 230 MB) is $BENCH_CACHE or node_modules/.cache/verbatim-bench.
import { execFileSync, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
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
const RATE = 16000;

const { values: options } = parseArgs({
  options: {
    threads: { type: "string", default: "2" },
    lengths: { type: "string", default: "30,3600" },
    weights: { type: "string", default: "fp16,8bit" },
    // Also a table per case: the figures after each chunk.
    "per-chunk": { type: "boolean", default: false },
    // Internal: one transcription in this process, printing one JSON line.
    worker: { type: "boolean", default: false },
    model: { type: "string" },
    audio: { type: "string" },
  },
});

function log(message) {
  process.stderr.write(`${message}\n`);
}

// A figure of /proc/self/status in MiB: VmRSS (resident), VmHWM (its peak so far), RssAnon (the heaps), RssFile
// (the mapped weights among them).
function statusMiB(field = "VmRSS") {
  const match = readFileSync("/proc/self/status", "utf8").match(new RegExp(`^${field}:\\s*(\\d+) kB`, "m"));
  return match ? Number(match[1]) / 1024 : null;
}

async function worker() {
  const { ParakeetModel, engineMemory } = require(path.join(repoRoot, "native/dist/index.js"));
  const started = performance.now();
  const model = await ParakeetModel.load(options.model, { backend: "cpu", threads: Number(options.threads) }).promise;
  const loaded = performance.now();
  const afterLoad = statusMiB();
  // After each chunk (its progress event, seen a moment later on this thread): the peak so far, the heaps' resident
  // pages and the C heap in use (mallinfo2), in MiB.
  const perChunk = [];
  const result = await model.transcribe(options.audio, (event) => {
    if (event.type !== "progress") return;
    perChunk.push({
      peak: statusMiB("VmHWM"),
      anon: statusMiB("RssAnon"),
      file: statusMiB("RssFile"),
      heap: engineMemory().heapInUseBytes / 2 ** 20,
    });
  }).promise;
  const done = performance.now();
  console.log(
    JSON.stringify({
      load_ms: loaded - started,
      run_ms: done - loaded,
      after_load_mib: afterLoad,
      tokens: result.tokens.length,
      chunks: perChunk.length,
      per_chunk: perChunk,
    }),
  );
}

// The fp16 model (as parakeet.mjs writes it) and, for 8 and 4 bits, a folder beside it whose config.json asks for
// the packing at load and whose model.safetensors is a link to the same file.
function prepareModels() {
  const dir = path.join(cache, "parakeet");
  mkdirSync(dir, { recursive: true });
  const fp16 = path.join(dir, "v3-fp16");
  if (!existsSync(path.join(fp16, "model.safetensors"))) {
    if (!existsSync(venvPython)) throw new Error(`no ${venvPython}: run bash test/reference/parakeet-venv.sh`);
    log("writing random weights of parakeet-tdt-0.6b-v3's shapes (1.3 GB) …");
    rmSync(`${fp16}.tmp`, { recursive: true, force: true });
    execFileSync(venvPython, [
      path.join(repoRoot, "test/reference/parakeet_reference.py"),
      "make-model",
      "--config",
      "v3",
      "--dtype",
      "float16",
      "--out",
      `${fp16}.tmp`,
    ]);
    renameSync(`${fp16}.tmp`, fp16);
  }
  const models = { fp16 };
  for (const packing of ["8bit", "4bit"]) {
    const packed = path.join(dir, `v3-fp16-quantize-${packing}`);
    if (!existsSync(path.join(packed, "config.json"))) {
      mkdirSync(packed, { recursive: true });
      symlinkSync(path.join(fp16, "model.safetensors"), path.join(packed, "model.safetensors"));
      const config = JSON.parse(readFileSync(path.join(fp16, "config.json"), "utf8"));
      writeFileSync(path.join(packed, "config.json"), JSON.stringify({ ...config, quantize: packing }));
    }
    models[packing] = packed;
  }
  return models;
}

// The 20 held-out sentences (test/fixtures/heldout), one after another, repeated until `seconds`: float samples.
function speechOf(seconds) {
  const file = path.join(cache, "parakeet", `heldout-${seconds}s.f32`);
  if (existsSync(file)) return file;
  const heldout = path.join(repoRoot, "test/fixtures/heldout");
  const clips = JSON.parse(readFileSync(path.join(heldout, "heldout.json"), "utf8")).map((item) => {
    const bytes = readFileSync(path.join(heldout, item.file));
    const pcm = new Int16Array(bytes.buffer.slice(bytes.byteOffset + 44, bytes.byteOffset + bytes.length));
    return Float32Array.from(pcm, (sample) => sample / 32768);
  });
  const out = new Float32Array(seconds * RATE);
  for (let at = 0, i = 0; at < out.length; i++) {
    const clip = clips[i % clips.length].subarray(0, out.length - at);
    out.set(clip, at);
    at += clip.length;
  }
  writeFileSync(`${file}.part`, Buffer.from(out.buffer));
  renameSync(`${file}.part`, file);
  return file;
}

function run(model, audio) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "verbatim-parakeet-memory-"));
  const timeFile = path.join(dir, "time");
  const script = fileURLToPath(import.meta.url);
  const args = [script, "--worker", "--model", model, "--audio", audio, "--threads", options.threads];
  const started = performance.now();
  const result = spawnSync("/usr/bin/time", ["-f", "%M", "-o", timeFile, process.execPath, ...args], {
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  const wallMs = performance.now() - started;
  const peakKb = Number(readFileSync(timeFile, "utf8").trim().split("\n").pop());
  rmSync(dir, { recursive: true, force: true });
  if (result.status !== 0) throw new Error(`the worker failed (${result.status}):\n${result.stderr.slice(-4000)}`);
  return { ...JSON.parse(result.stdout.trim().split("\n").pop()), wall_ms: wallMs, peak_mib: peakKb / 1024 };
}

async function main() {
  const lengths = options.lengths.split(",").map(Number);
  const kinds = options.weights.split(",");
  const models = prepareModels();
  const rows = [];
  const startLoad = os.loadavg()[0];
  for (const seconds of lengths) {
    const audio = speechOf(seconds);
    for (const kind of kinds) {
      if (!models[kind]) throw new Error(`--weights takes fp16, 8bit and 4bit, not ${kind}`);
      log(`${seconds} s, ${kind} …`);
      const loadBefore = os.loadavg()[0];
      const result = run(models[kind], audio);
      rows.push({ seconds, kind, loadBefore, loadAfter: os.loadavg()[0], ...result });
    }
  }
  console.log(`\n${new Date().toISOString()}  ${os.cpus()[0].model}, ${os.cpus().length} hardware threads`);
  console.log(`threads ${options.threads}; load average ${startLoad.toFixed(1)} at start (per case below)`);
  console.log("weights: random, parakeet-tdt-0.6b-v3's shapes; chunks of 120 s overlapping by 15 s (the defaults)\n");
  const header = [
    "audio",
    "weights",
    "chunks",
    "tokens",
    "load s",
    "RSS after load MiB",
    "peak RSS MiB",
    "run s",
    "load avg",
  ];
  const lines = [header];
  for (const r of rows) {
    lines.push([
      r.seconds >= 3600 ? `${r.seconds / 3600} h` : `${r.seconds} s`,
      r.kind,
      String(r.chunks),
      String(r.tokens),
      (r.load_ms / 1000).toFixed(2),
      r.after_load_mib.toFixed(0),
      r.peak_mib.toFixed(0),
      (r.run_ms / 1000).toFixed(1),
      `${r.loadBefore.toFixed(1)} → ${r.loadAfter.toFixed(1)}`,
    ]);
  }
  printTable(lines);
  if (!options["per-chunk"]) return;
  for (const r of rows) {
    console.log(`\n${r.seconds} s, ${r.kind}: after each chunk, MiB`);
    const chunkLines = [["chunk", "peak RSS so far", "RssAnon", "RssFile", "C heap in use"]];
    r.per_chunk.forEach((c, i) => {
      chunkLines.push([String(i + 1), ...[c.peak, c.anon, c.file, c.heap].map((v) => v.toFixed(0))]);
    });
    printTable(chunkLines);
  }
}

function printTable(lines) {
  const widths = lines[0].map((_, column) => Math.max(...lines.map((line) => line[column].length)));
  for (const line of lines) console.log(line.map((cell, column) => cell.padStart(widths[column])).join("  "));
}

if (options.worker) {
  await worker();
} else {
  await main();
}
