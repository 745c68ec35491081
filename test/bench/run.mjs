#!/usr/bin/env node
// Benchmarks our engine's backends (the portable CPU backend, and MLX when the engine was built with it: set MLX_DIR
// if CMake does not find it) against whisper.cpp on this machine, in one run: the same random-weight models of real
// Whisper shapes (converted to ggml for whisper.cpp), the same audio, the same threads. Each engine runs in its own
// process per measurement, so peak memory is per engine. Prints absolute figures and ratios to whisper.cpp.
//
// usage: node test/bench/run.mjs [--models base,large-v3-turbo] [--threads 2] [--encode-runs 3]
//                                [--decode-tokens 64] [--rounds 1] [--peer-4bit q4_0,q4_1] [--peer-only]
// The cache (builds, models) is $BENCH_CACHE or node_modules/.cache/verbatim-bench.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { beamStepInt8Macs, decoderBytesPerToken, encoderFlops, WEIGHT_BYTES } from "./limits.mjs";

const benchDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(benchDir, "../..");
const cache = resolve(process.env.BENCH_CACHE ?? join(repoRoot, "node_modules/.cache/verbatim-bench"));
// The dev tools need numpy: Debian's interpreter has it, a pyenv one on PATH may not.
const python = process.env.BENCH_PYTHON ?? (existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
const audio = process.env.BENCH_AUDIO ?? resolve(repoRoot, "test/fixtures/reference/jfk.wav");
const jobs = process.env.BENCH_JOBS ?? "2";

const { values: options } = parseArgs({
  options: {
    models: { type: "string", default: "base,large-v3-turbo" },
    threads: { type: "string", default: "2" },
    "encode-runs": { type: "string", default: "3" },
    "decode-tokens": { type: "string", default: "64" },
    rounds: { type: "string", default: "1" },
    "peer-4bit": { type: "string", default: "q4_0,q4_1" },
    "peer-only": { type: "boolean", default: false },
  },
});

function log(message) {
  process.stderr.write(`${message}\n`);
}

// Runs a build or preparation step, showing its output; returns its stdout.
function step(command, args, env = {}) {
  return execFileSync(command, args, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, BENCH_CACHE: cache, BENCH_JOBS: jobs, ...env },
  });
}

function buildPeer() {
  log("building whisper.cpp (the peer) …");
  const bin = step(join(benchDir, "peer/build-whisper-cpp.sh"), []).trim().split("\n").pop();
  return { bench: join(bin, "whisper_cpp_bench"), quantize: join(bin, "whisper-quantize") };
}

function buildEngine() {
  log("building engine_bench …");
  const buildDir = join(cache, "build-engine");
  step("cmake", ["-S", benchDir, "-B", buildDir, "-DCMAKE_BUILD_TYPE=Release"]);
  step("cmake", ["--build", buildDir, "-j", jobs, "--target", "engine_bench", "machine_limits"]);
  const driver = join(buildDir, "engine_bench");
  const backends = step(driver, ["--list-backends"]).trim().split(" ");
  log(`engine_bench has the backends: ${backends.join(", ")}`);
  return { driver, backends, limits: join(buildDir, "machine_limits") };
}

// Random weights of the real shapes, written by the project's generator (test/reference/make_random_model.py).
const SHAPES = { base: "base", "large-v3-turbo": "turbo" };

function makeModel(folder, dims, extraArgs) {
  if (existsSync(join(folder, "config.json"))) return;
  log(`writing the random-weight model ${folder} …`);
  const generator = join(repoRoot, "test/reference/make_random_model.py");
  step(python, [generator, "--dims", dims, "--dtype", "float16", ...extraArgs, "--out", folder]);
}

// Our model folders (MLX layout) and whisper.cpp's files made from the same weights.
function prepareModels(shape, quantizeTool) {
  if (!(shape in SHAPES)) throw new Error(`unknown model shape ${shape}: use ${Object.keys(SHAPES).join(", ")}`);
  const modelsDir = join(cache, "models");
  const ggmlDir = join(cache, "ggml");
  mkdirSync(ggmlDir, { recursive: true });
  const ours = { fp16: join(modelsDir, `${SHAPES[shape]}-fp16`), q4: join(modelsDir, `${SHAPES[shape]}-4bit`) };
  makeModel(ours.fp16, SHAPES[shape], []);
  makeModel(ours.q4, SHAPES[shape], ["--quantize", "4", "--group-size", "64"]);
  const peer = { fp16: join(ggmlDir, `${shape}-fp16.bin`) };
  if (!existsSync(peer.fp16)) {
    log(`converting ${shape} to ggml …`);
    step(python, [join(benchDir, "to_ggml.py"), ours.fp16, peer.fp16]);
  }
  const comparisons = [{ label: `${shape} fp16`, ours: ours.fp16, peer: peer.fp16, peerFormat: "fp16" }];
  for (const type of options["peer-4bit"].split(",").filter(Boolean)) {
    peer[type] = join(ggmlDir, `${shape}-${type}.bin`);
    if (!existsSync(peer[type])) {
      log(`quantizing ${shape} to ${type} with whisper.cpp's tool …`);
      step(quantizeTool, [peer.fp16, peer[type], type]);
    }
    comparisons.push({ label: `${shape} 4-bit vs ${type}`, ours: ours.q4, peer: peer[type], peerFormat: type });
  }
  return comparisons;
}

// whisper.cpp's OpenMP threads spin at each barrier by default. On a machine with more runnable threads than cores,
// a spinning thread holds the core its partner needs, and a 10 ms decoder step takes seconds: there, let them sleep
// (OMP_WAIT_POLICY=passive), as our thread pool does after a short spin. An explicit OMP_WAIT_POLICY wins.
function peerEnvironment(startLoad) {
  if (process.env.OMP_WAIT_POLICY || startLoad <= os.cpus().length) return { env: process.env, note: "" };
  return {
    env: { ...process.env, OMP_WAIT_POLICY: "passive" },
    note: "; machine busy, so whisper.cpp ran with OMP_WAIT_POLICY=passive",
  };
}

// Our engine runs with OpenBLAS choosing its kernels for this CPU, as on a user's machine. An environment that pins
// them (OPENBLAS_CORETYPE: this project's VM sets Haswell, AVX2 only, on a CPU with AVX-512, which costs our encoder
// 40%) is left out; BENCH_OPENBLAS_CORETYPE pins a core type on purpose.
function engineEnvironment() {
  const { OPENBLAS_CORETYPE: inherited, ...env } = process.env;
  if (process.env.BENCH_OPENBLAS_CORETYPE) {
    return { env: { ...env, OPENBLAS_CORETYPE: process.env.BENCH_OPENBLAS_CORETYPE }, note: "" };
  }
  return {
    env,
    note: inherited ? `; OPENBLAS_CORETYPE=${inherited} unset for our engine (OpenBLAS detects the CPU)` : "",
  };
}

// One driver process; its last stdout line is the JSON report (bench_common.h).
function measure(driver, model, env = process.env, driverArgs = []) {
  const args = [...driverArgs, "--model", model, "--audio", audio, "--threads", options.threads];
  args.push("--encode-runs", options["encode-runs"], "--decode-tokens", options["decode-tokens"]);
  const result = spawnSync(driver, args, { encoding: "utf8", maxBuffer: 1 << 24, env });
  if (result.status !== 0) {
    const why = (result.stderr || result.error?.message || `exit ${result.status}`).trim();
    log(`  ${driver} on ${model} failed: ${why}`);
    return null;
  }
  return JSON.parse(result.stdout.trim().split("\n").pop());
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const BENCH_BEAMS = 5; // kBenchBeams in bench_common.h

const METRICS = [
  ["load_ms", "load (ms)"],
  ["first_encode_ms", "first encoder pass (ms)"],
  ["encode_ms", "encoder, 30 s (ms)"],
  ["decode_ms_per_token", "decoder (ms/token)"],
  ["beam_ms_per_step", "decoder, 5 beams (ms/step)"],
  ["prefix_ms", "forced 50-token prefix, one pass (ms)"],
  ["peak_rss_mib", "peak memory (MiB)"],
  ["mlx_peak_mib", "MLX allocator peak (MiB)"],
];

// A figure that moved more than this between rounds says more about the machine than the engine.
const UNSTABLE_SPREAD = 2;

// The median of each metric over the rounds (null for a metric the engine does not report), and which metrics
// varied more than UNSTABLE_SPREAD× between rounds; null when any round failed.
function combine(reports) {
  if (reports.length === 0 || reports.some((report) => report === null)) return null;
  const combined = { unstable: new Set() };
  for (const [key] of METRICS) {
    if (!(key in reports[0])) {
      combined[key] = null;
      continue;
    }
    const values = reports.map((report) => report[key]);
    combined[key] = median(values);
    if (Math.max(...values) > UNSTABLE_SPREAD * Math.min(...values)) combined.unstable.add(key);
  }
  return combined;
}

function format(value) {
  if (value === undefined || value === null) return "—";
  return value >= 100 ? value.toFixed(0) : value.toFixed(value >= 10 ? 1 : 2);
}

// A figure, marked "!" when it was unstable between rounds.
function formatFigure(figures, key) {
  return format(figures?.[key]) + (figures?.unstable.has(key) ? "!" : "");
}

// No ratio from an unstable figure: it would read as a result.
function ratio(a, b, key) {
  if (a?.unstable.has(key) || b?.unstable.has(key)) return "unstable";
  const [x, y] = [a?.[key], b?.[key]];
  return typeof x === "number" && typeof y === "number" ? (x / y).toFixed(2) : "—";
}

// Columns: each of our backends, whisper.cpp, each backend / whisper.cpp, and MLX / our CPU backend.
function printTable(rows, backends) {
  const header = ["model", "metric", ...backends.map((b) => `ours ${b}`), "whisper.cpp"];
  header.push(...backends.map((b) => `${b}/whisper.cpp`));
  if (backends.includes("mlx")) header.push("mlx/cpu");
  const lines = [header];
  for (const { label, ours, peer } of rows) {
    for (const [key, name] of METRICS) {
      if (key === "mlx_peak_mib" && !backends.includes("mlx")) continue;
      const line = [label, name, ...backends.map((b) => formatFigure(ours[b], key)), formatFigure(peer, key)];
      line.push(...backends.map((b) => ratio(ours[b], peer, key)));
      if (backends.includes("mlx")) line.push(ratio(ours.mlx, ours.cpu, key));
      lines.push(line);
    }
  }
  const widths = header.map((_, column) => Math.max(...lines.map((line) => line[column].length)));
  for (const line of lines) {
    console.log(
      line.map((cell, column) => (column < 2 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join("  "),
    );
  }
}

function main() {
  const startLoad = os.loadavg()[0];
  const peerTools = buildPeer();
  const engine = options["peer-only"] ? { driver: null, backends: [] } : buildEngine();
  const peerSetup = peerEnvironment(startLoad);
  const engineSetup = engineEnvironment();
  const comparisons = options.models.split(",").flatMap((shape) => prepareModels(shape.trim(), peerTools.quantize));

  const oursByModel = new Map();
  const peerByModel = new Map();
  const rounds = Number(options.rounds);
  for (let round = 0; round < rounds; ++round) {
    for (const [index, { label, ours, peer }] of comparisons.entries()) {
      log(`round ${round + 1}/${rounds}: ${label}`);
      // Alternate which engine goes first, so that neither always runs on a machine the other just warmed.
      const order = (round + index) % 2 === 0 ? ["peer", "ours"] : ["ours", "peer"];
      for (const side of order) {
        if (side === "peer") {
          peerByModel.set(peer, [...(peerByModel.get(peer) ?? []), measure(peerTools.bench, peer, peerSetup.env)]);
        } else {
          for (const backend of engine.backends) {
            // Our 4-bit model stands against both q4_0 and q4_1: measured once per round.
            const key = `${backend}:${ours}`;
            if ((oursByModel.get(key)?.length ?? 0) > round) continue;
            const report = measure(engine.driver, ours, engineSetup.env, ["--backend", backend]);
            oursByModel.set(key, [...(oursByModel.get(key) ?? []), report]);
          }
        }
      }
    }
  }

  console.log(`\n${new Date().toISOString()}  ${os.cpus()[0].model}, ${os.cpus().length} hardware threads`);
  console.log(
    `threads ${options.threads}, encoder median of ${options["encode-runs"]} after a warm-up, ` +
      `${options["decode-tokens"]} greedy decoder steps after the transcription prompt (and as many of 5 beams), ` +
      `${rounds} round(s); ` +
      `load average ${startLoad.toFixed(1)} at start, ${os.loadavg()[0].toFixed(1)} at end${peerSetup.note}${engineSetup.note}`,
  );
  console.log(
    `ratios: below 1 means the first named is faster or smaller; "!": the figure varied more than ` +
      `${UNSTABLE_SPREAD}× between rounds, so no ratio is given\n`,
  );
  const rows = comparisons.map(({ label, ours, peer, peerFormat }) => ({
    label,
    peerFormat,
    config: JSON.parse(readFileSync(join(ours, "config.json"), "utf8")),
    ours: Object.fromEntries(engine.backends.map((b) => [b, combine(oursByModel.get(`${b}:${ours}`) ?? [])])),
    peer: combine(peerByModel.get(peer) ?? []),
  }));
  printTable(rows, engine.backends);
  printBeamRatios(rows, engine.backends);
  if (engine.limits) printLimits(rows, engine.limits);
}

// A step of five beams reads the weights once for all of them; the goal is at most twice a greedy step's time.
function printBeamRatios(rows, backends) {
  console.log("\nbeam search: a step of 5 beams decoded together / a greedy step (goal: at most 2)");
  const seen = new Set();
  for (const { label, ours } of rows) {
    for (const backend of backends) {
      const figures = ours[backend];
      const name = `${label.replace(/ vs .*/, "")} ${backend}`;
      if (!figures?.beam_ms_per_step || seen.has(name)) continue;
      seen.add(name);
      const ratio = withinRatio(figures, "beam_ms_per_step", "decode_ms_per_token");
      console.log(
        `  ${name}: ${formatFigure(figures, "beam_ms_per_step")} / ${formatFigure(figures, "decode_ms_per_token")} ms = ${ratio}`,
      );
    }
  }
}

function withinRatio(figures, over, under) {
  if (figures.unstable.has(over) || figures.unstable.has(under)) return "unstable";
  return (figures[over] / figures[under]).toFixed(2);
}

// Each figure against the machine's limit for it, measured now (machine_limits): a decoder step cannot be faster
// than reading its bytes at the measured bandwidth, nor an encoder pass than its FLOPs at the FMA peak.
function printLimits(rows, limitsTool) {
  const result = spawnSync(limitsTool, ["--threads", options.threads], { encoding: "utf8" });
  if (result.status !== 0) {
    log(`machine_limits failed: ${(result.stderr || result.error?.message || "").trim()}`);
    return;
  }
  const machine = JSON.parse(result.stdout.trim());
  console.log(
    `\nlimits: read ${machine.read_gbps} GB/s, FMA ${machine.fma_gflops} GFLOP/s` +
      (machine.int8_gmacs ? ` and ${machine.int8_gmacs} G int8 MACs/s (vpdpbusd)` : "") +
      ` on ${machine.threads} ` +
      `thread(s) (machine_limits); both read the cross-attention cache as fp16; ours keeps the self-attention ` +
      `cache in fp32, whisper.cpp in fp16\n`,
  );
  const position = 4 + Number(options["decode-tokens"]) / 2; // the mean self-attention cache length
  const lines = [["model", "figure", "ours: work", "floor (ms)", "ours cpu", "×floor", "whisper.cpp: floor", "×floor"]];
  const encoders = new Set();
  for (const { label, ours, peer, peerFormat, config } of rows) {
    const groupSize = config.quantization?.group_size;
    const ourWeightBytes = groupSize ? WEIGHT_BYTES.mlx4(groupSize) : WEIGHT_BYTES.fp16();
    const ourBytes = decoderBytesPerToken(config, ourWeightBytes, { cross: 2, self: 4 }, position);
    // What a step read while the cross-attention cache was fp32 (before issue 46).
    const fp32CacheBytes = decoderBytesPerToken(config, ourWeightBytes, { cross: 4, self: 4 }, position);
    const peerBytes = decoderBytesPerToken(config, WEIGHT_BYTES[peerFormat](), { cross: 2, self: 2 }, position);
    const floor = (bytes) => bytes / (machine.read_gbps * 1e6);
    const decoder = ours.cpu?.decode_ms_per_token;
    const peerDecoder = peer?.decode_ms_per_token;
    lines.push([
      label,
      "decoder (ms/token)",
      `${(ourBytes / 1e6).toFixed(1)} MB (was ${(fp32CacheBytes / 1e6).toFixed(1)})`,
      format(floor(ourBytes)),
      format(decoder),
      decoder ? (decoder / floor(ourBytes)).toFixed(1) : "—",
      format(floor(peerBytes)),
      peerDecoder ? (peerDecoder / floor(peerBytes)).toFixed(1) : "—",
    ]);
    const beamStep = ours.cpu?.beam_ms_per_step;
    if (groupSize && beamStep && machine.int8_gmacs) {
      // A step of beams multiplies every 4-bit weight with each beam's digits of x: its floor is the larger of
      // reading the step's bytes and doing those multiply-adds.
      const macs = beamStepInt8Macs(config, BENCH_BEAMS);
      const beamFloor = Math.max(floor(ourBytes), macs / (machine.int8_gmacs * 1e6));
      lines.push([
        label,
        `decoder, ${BENCH_BEAMS} beams (ms/step)`,
        `${(macs / 1e9).toFixed(2)} G int8 MACs`,
        format(beamFloor),
        format(beamStep),
        (beamStep / beamFloor).toFixed(1),
        "—",
        "—",
      ]);
    }
    const shape = label.split(" ")[0];
    if (encoders.has(shape)) continue;
    encoders.add(shape);
    const flops = encoderFlops(config);
    const encoderFloor = flops / (machine.fma_gflops * 1e6);
    const encoder = ours.cpu?.encode_ms;
    lines.push([
      shape,
      "encoder, 30 s (ms)",
      `${(flops / 1e9).toFixed(1)} GFLOP`,
      format(encoderFloor),
      format(encoder),
      encoder ? (encoder / encoderFloor).toFixed(1) : "—",
      format(encoderFloor),
      peer?.encode_ms ? (peer.encode_ms / encoderFloor).toFixed(1) : "—",
    ]);
  }
  const widths = lines[0].map((_, column) => Math.max(...lines.map((line) => line[column].length)));
  for (const line of lines) {
    console.log(
      line.map((cell, column) => (column < 2 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join("  "),
    );
  }
}

main();
