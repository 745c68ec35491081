#!/usr/bin/env node
// Issue 40, proof 3: our Parakeet TDT against whisper.cpp 1.9.1's own (parakeet-cli, built natively from the sources
// the npm package nodejs-whisper 0.3.1 ships, in the Whisper peer's build folder with its flags), on the same weights
// (random, of parakeet-tdt-0.6b-v3's real shapes) and the same audio (held-out speech, concatenated to length); and
// our Parakeet against our Whisper large-v3-turbo 4-bit on the same 30 s. Every case is one child process, timed from
// spawn to exit, with its peak resident memory from /usr/bin/time. Prints figures and ratios; asserts nothing.
//
// usage: node test/bench/parakeet.mjs [--threads 2] [--no-long] [--no-turbo]
// Needs test/reference/.venv-parakeet (bash test/reference/parakeet-venv.sh: torch, librosa, PyYAML) to write the
// model, its .nemo archive and whisper.cpp's ggml file, /usr/bin/time, and the built addon (npm install / tsc -b).
// The cache (builds, the 1.3 GB model, the .nemo and ggml files, the audio) is $BENCH_CACHE or
// node_modules/.cache/verbatim-bench.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
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
const jobs = process.env.BENCH_JOBS ?? "2";
const venvPython = path.join(repoRoot, "test/reference/.venv-parakeet/bin/python");
const systemPython = process.env.BENCH_PYTHON ?? (existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
const RATE = 16000;

const { values: options } = parseArgs({
  options: {
    threads: { type: "string", default: "2" },
    long: { type: "boolean", default: true },
    turbo: { type: "boolean", default: true },
    // Internal: one of our engines in this process (parakeet | whisper), printing one JSON line.
    worker: { type: "string" },
    model: { type: "string" },
    audio: { type: "string" },
  },
  allowNegative: true,
});

function log(message) {
  process.stderr.write(`${message}\n`);
}

function step(command, args, env = {}) {
  return execFileSync(command, args, {
    encoding: "utf8",
    maxBuffer: 1 << 26,
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, BENCH_CACHE: cache, BENCH_JOBS: jobs, ...env },
  });
}

// ---------------------------------------------------------------------------------------------------------------------
// Our side, in a child process

async function worker() {
  const threads = Number(options.threads);
  const { ParakeetModel, WhisperModel } = require(path.join(repoRoot, "native/dist/index.js"));
  const started = performance.now();
  if (options.worker === "parakeet") {
    const model = await ParakeetModel.load(options.model, { backend: "cpu", threads }).promise;
    const loaded = performance.now();
    const result = await model.transcribe(readWav(options.audio)).promise;
    const done = performance.now();
    const tokens = result.tokens.map((t) => t.id);
    const frames = result.tokens.map((t) => Math.round(t.start / 0.08));
    console.log(JSON.stringify({ load_ms: loaded - started, run_ms: done - loaded, tokens, frames }));
    return;
  }
  const { loadTokenizer } = require(path.join(repoRoot, "daemon/dist/tokenizer/index.js"));
  const model = await WhisperModel.load(options.model, { backend: "cpu", threads }).promise;
  const loaded = performance.now();
  const tokenizer = await loadTokenizer({ nVocab: model.info().dims.nVocab });
  model.setVocabulary(tokenizer.tokenBytesTable());
  // One 30 s window decoded greedily: no timestamps (random weights' timestamp tokens make transcribe() seek back and
  // encode the window again and again), no temperature fallback, English given (no detection pass). Random weights
  // repeat a token up to the 224-token limit, where real speech of 30 s takes about 100.
  const settings = { language: "en", timestamps: false, temperatures: [0], suppressTokens: tokenizer.suppressTokens() };
  const runStart = performance.now();
  const result = await model.transcribe(readWav(options.audio), settings).promise;
  const done = performance.now();
  const tokens = result.segments.flatMap((segment) => segment.tokens);
  console.log(JSON.stringify({ load_ms: loaded - started, run_ms: done - runStart, tokens, frames: [] }));
}

// ---------------------------------------------------------------------------------------------------------------------
// Preparation: whisper.cpp's parakeet-cli, the weights in both formats, the audio

function buildPeer() {
  const buildDir = path.join(cache, "build-whisper-cpp");
  if (!existsSync(path.join(buildDir, "CMakeCache.txt"))) {
    log("building whisper.cpp (the Whisper peer's build folder and flags) …");
    step(path.join(benchDir, "peer/build-whisper-cpp.sh"), []);
  }
  log("building whisper.cpp's parakeet-cli …");
  step("cmake", ["--build", buildDir, "-j", jobs, "--target", "parakeet-cli"], {
    GIT_CEILING_DIRECTORIES: path.join(cache, "nodejs-whisper-0.3.1"),
  });
  const source = path.join(cache, "nodejs-whisper-0.3.1/package/cpp/whisper.cpp");
  return {
    cli: path.join(buildDir, "bin/parakeet-cli"),
    converter: path.join(source, "models/convert-parakeet-to-ggml.py"),
  };
}

function prepareModels(peer) {
  if (!existsSync(venvPython)) throw new Error(`no ${venvPython}: run bash test/reference/parakeet-venv.sh`);
  const dir = path.join(cache, "parakeet");
  mkdirSync(dir, { recursive: true });
  // float16, so that both engines hold exactly the same values (whisper.cpp's converter writes f16 matrices; ours
  // keeps an fp16 file's matrices as fp16, and turns fp32 into bf16).
  const ours = path.join(dir, "v3-fp16");
  if (!existsSync(path.join(ours, "model.safetensors"))) {
    log("writing random weights of parakeet-tdt-0.6b-v3's shapes (1.3 GB) …");
    rmSync(`${ours}.tmp`, { recursive: true, force: true });
    step(venvPython, [
      path.join(repoRoot, "test/reference/parakeet_reference.py"),
      "make-model",
      "--config",
      "v3",
      "--dtype",
      "float16",
      "--out",
      `${ours}.tmp`,
    ]);
    renameSync(`${ours}.tmp`, ours);
  }
  const nemo = path.join(dir, "v3-fp16.nemo");
  if (!existsSync(nemo)) {
    log("writing the .nemo archive …");
    step(venvPython, [path.join(benchDir, "parakeet_nemo.py"), ours, nemo]);
  }
  const ggml = path.join(dir, "ggml-v3-f16.bin");
  if (!existsSync(ggml)) {
    log("converting to ggml with whisper.cpp's convert-parakeet-to-ggml.py …");
    const converted = spawnSync(
      venvPython,
      [peer.converter, "--model", nemo, "--out-dir", dir, "--out-name", "ggml-v3-f16.bin.part"],
      { encoding: "utf8", maxBuffer: 1 << 26 },
    );
    if (converted.status !== 0) throw new Error(`the converter failed:\n${converted.stdout}\n${converted.stderr}`);
    renameSync(`${ggml}.part`, ggml);
  }
  let turbo = null;
  if (options.turbo) {
    // As run.mjs makes it: random weights of large-v3-turbo's shapes, MLX affine 4-bit, groups of 64.
    turbo = path.join(cache, "models/turbo-4bit");
    if (!existsSync(path.join(turbo, "config.json"))) {
      log("writing the random-weight large-v3-turbo 4-bit model …");
      step(systemPython, [
        path.join(repoRoot, "test/reference/make_random_model.py"),
        "--dims",
        "turbo",
        "--dtype",
        "float16",
        "--quantize",
        "4",
        "--group-size",
        "64",
        "--out",
        turbo,
      ]);
    }
  }
  return { ours, ggml, turbo };
}

// The 20 held-out sentences (test/fixtures/heldout, 68.7 s), one after another, repeated until `seconds`, cut there.
function speechOf(seconds) {
  const file = path.join(cache, "parakeet", `heldout-${seconds}s.wav`);
  if (existsSync(file)) return file;
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

// whisper.cpp's OpenMP threads spin at barriers: on a machine busier than its cores they sleep instead (run.mjs).
function peerEnvironment(startLoad) {
  if (process.env.OMP_WAIT_POLICY || startLoad <= os.cpus().length) return { env: process.env, passive: false };
  return { env: { ...process.env, OMP_WAIT_POLICY: "passive" }, passive: true };
}

// One child under /usr/bin/time: wall time from spawn to exit and its peak resident set.
function timed(command, args, env) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "verbatim-parakeet-bench-"));
  const timeFile = path.join(dir, "time");
  const started = performance.now();
  const result = spawnSync("/usr/bin/time", ["-f", "%M", "-o", timeFile, command, ...args], {
    encoding: "utf8",
    maxBuffer: 1 << 26,
    env,
  });
  const wallMs = performance.now() - started;
  const maxRssKb = Number(readFileSync(timeFile, "utf8").trim().split("\n").pop());
  rmSync(dir, { recursive: true, force: true });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed (${result.status}):\n${result.stderr.slice(-4000)}`);
  }
  return { wall_ms: wallMs, peak_mib: maxRssKb / 1024, stdout: result.stdout, stderr: result.stderr };
}

function runOurs(kind, model, audio) {
  const script = fileURLToPath(import.meta.url);
  const args = [script, "--worker", kind, "--model", model, "--audio", audio, "--threads", options.threads];
  const run = timed(process.execPath, args, engineEnvironment());
  const report = JSON.parse(run.stdout.trim().split("\n").pop());
  return { ...report, wall_ms: run.wall_ms, peak_mib: run.peak_mib };
}

// parakeet-cli prints its load and total time (parakeet_print_timings) and, with -ps, every token with its frame.
function runPeer(cli, model, audio, env) {
  const run = timed(cli, ["-t", options.threads, "-m", model, "-f", audio, "-ps"], env);
  const figure = (name) => {
    const match = run.stderr.match(new RegExp(`${name} time =\\s*([0-9.]+) ms`));
    if (!match) throw new Error(`parakeet-cli printed no ${name} time:\n${run.stderr.slice(-2000)}`);
    return Number(match[1]);
  };
  const tokens = [];
  const frames = [];
  for (const match of run.stderr.matchAll(/id=\s*(\d+) frame=\s*(\d+)/g)) {
    tokens.push(Number(match[1]));
    frames.push(Number(match[2]));
  }
  const load = figure("load");
  return {
    load_ms: load,
    run_ms: figure("total") - load,
    tokens,
    frames,
    wall_ms: run.wall_ms,
    peak_mib: run.peak_mib,
  };
}

// How far two greedy token sequences agree: the common prefix (and whether its frames are equal), and the token edit
// distance (insertions, deletions and substitutions turning ours into whisper.cpp's).
function agreement(a, b) {
  let prefix = 0;
  while (prefix < a.tokens.length && prefix < b.tokens.length && a.tokens[prefix] === b.tokens[prefix]) prefix++;
  const framesEqual = a.frames.slice(0, prefix).every((frame, i) => frame === b.frames[i]);
  const identical = prefix === a.tokens.length && prefix === b.tokens.length;
  return {
    ours: a.tokens.length,
    peer: b.tokens.length,
    prefix,
    framesEqual,
    identical,
    edits: editDistance(a.tokens, b.tokens),
  };
}

function editDistance(a, b) {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    previous = row;
  }
  return previous[b.length];
}

function describeAgreement(label, result) {
  if (result.identical) {
    return `${label}: identical (${result.ours} tokens${result.framesEqual ? ", same frames" : ", frames differ"})`;
  }
  return (
    `${label}: ours ${result.ours} tokens, whisper.cpp ${result.peer}; the first ${result.prefix} equal` +
    `${result.prefix && result.framesEqual ? " (same frames)" : ""}; token edit distance ${result.edits} ` +
    `(${((100 * result.edits) / Math.max(1, result.peer)).toFixed(0)}% of whisper.cpp's tokens)`
  );
}

function format(value) {
  if (value === undefined || value === null) return "—";
  return value >= 100 ? value.toFixed(0) : value.toFixed(value >= 10 ? 1 : 2);
}

function printTable(rows) {
  const header = ["case", "figure", "ours", "other", "ours/other"];
  const lines = [header];
  for (const { label, ours, other, figures } of rows) {
    for (const [key, name] of figures) {
      const ratio = ours && other ? (ours[key] / other[key]).toFixed(2) : "—";
      lines.push([label, name, format(ours?.[key]), format(other?.[key]), ratio]);
    }
  }
  const widths = header.map((_, column) => Math.max(...lines.map((line) => line[column].length)));
  for (const line of lines) {
    console.log(
      line.map((cell, column) => (column < 2 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join("  "),
    );
  }
}

const FIGURES = [
  ["load_ms", "load (ms, engine's own)"],
  ["run_ms", "transcription after load (ms)"],
  ["wall_ms", "end to end, process (ms)"],
  ["peak_mib", "peak memory (MiB, max RSS)"],
];

// The addon this checkout built (native/build): a rebuild during the run would mix two engines in one table.
function addonStamp() {
  const file = path.join(repoRoot, "native/build/Release/verbatim.node");
  return existsSync(file) ? statSync(file).mtimeMs : null;
}

async function main() {
  const startLoad = os.loadavg()[0];
  const addonAtStart = addonStamp();
  const peer = buildPeer();
  const models = prepareModels(peer);
  const short = path.join(repoRoot, "test/fixtures/heldout/heldout-00.wav");
  const audio30 = speechOf(30);
  const audio300 = options.long ? speechOf(300) : null;
  const peerSetup = peerEnvironment(startLoad);
  const measureLoad = os.loadavg()[0];

  log("short clip (heldout-00, 3.9 s): whisper.cpp, ours …");
  const shortPeer = runPeer(peer.cli, models.ggml, short, peerSetup.env);
  const shortOurs = runOurs("parakeet", models.ours, short);
  log("30 s: ours, whisper.cpp …");
  const ours30 = runOurs("parakeet", models.ours, audio30);
  const peer30 = runPeer(peer.cli, models.ggml, audio30, peerSetup.env);
  let turbo30 = null;
  if (models.turbo) {
    log("30 s: our Whisper large-v3-turbo 4-bit …");
    turbo30 = runOurs("whisper", models.turbo, audio30);
  }
  let ours300 = null;
  let peer300 = null;
  if (audio300) {
    log("5 min: whisper.cpp, ours …");
    peer300 = runPeer(peer.cli, models.ggml, audio300, peerSetup.env);
    ours300 = runOurs("parakeet", models.ours, audio300);
  }
  const endLoad = os.loadavg()[0];
  if (addonStamp() !== addonAtStart) log("warning: native/build/Release/verbatim.node was rebuilt during the run");

  console.log(`\n${new Date().toISOString()}  ${os.cpus()[0].model}, ${os.cpus().length} hardware threads`);
  console.log(
    `threads ${options.threads}, 1 round; load average ${startLoad.toFixed(1)} at start, ${measureLoad.toFixed(1)} ` +
      `when measuring began, ${endLoad.toFixed(1)} at end` +
      (peerSetup.passive ? "; machine busy, so whisper.cpp ran with OMP_WAIT_POLICY=passive" : ""),
  );
  console.log(
    "weights: random, parakeet-tdt-0.6b-v3's shapes, float16 (ours: parakeet-mlx folder; whisper.cpp: the same " +
      "values through a .nemo archive and its converter, f16)\nratios below 1: ours is faster or smaller\n",
  );
  const rows = [
    { label: "Parakeet 30 s, vs whisper.cpp", ours: ours30, other: peer30, figures: FIGURES },
    ...(peer300 ? [{ label: "Parakeet 5 min, vs whisper.cpp", ours: ours300, other: peer300, figures: FIGURES }] : []),
    ...(turbo30
      ? [{ label: "Parakeet 30 s, vs our turbo 4-bit", ours: ours30, other: turbo30, figures: FIGURES }]
      : []),
  ];
  printTable(rows);

  console.log("\ngreedy tokens, ours against whisper.cpp (same weights):");
  console.log(`  ${describeAgreement("heldout-00 (3.9 s)", agreement(shortOurs, shortPeer))}`);
  console.log(`  ${describeAgreement("30 s", agreement(ours30, peer30))}`);
  if (peer300) console.log(`  ${describeAgreement("5 min", agreement(ours300, peer300))}`);
  if (turbo30) console.log(`turbo 4-bit decoded ${turbo30.tokens.length} tokens on the 30 s (one window, greedy)`);

  console.log(
    "\ngoals (issue 40): end to end at most 0.8 of whisper.cpp's time, at least 4x faster than our turbo 4-bit",
  );
  const goal = (name, ratio, limit, better) =>
    console.log(`  ${name}: ${ratio.toFixed(2)} (${better(ratio, limit) ? "met" : "not met"})`);
  goal("30 s, ours/whisper.cpp end to end", ours30.wall_ms / peer30.wall_ms, 0.8, (r, l) => r <= l);
  if (peer300) goal("5 min, ours/whisper.cpp end to end", ours300.wall_ms / peer300.wall_ms, 0.8, (r, l) => r <= l);
  if (turbo30) {
    goal("30 s, turbo 4-bit / ours end to end", turbo30.wall_ms / ours30.wall_ms, 4, (r, l) => r >= l);
    goal("30 s, turbo 4-bit / ours after load", turbo30.run_ms / ours30.run_ms, 4, (r, l) => r >= l);
  }
}

if (options.worker) {
  await worker();
} else {
  await main();
}
