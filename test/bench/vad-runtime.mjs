// Silero VAD v6.2 in the engine (native/src/engine/vad/, what the daemon runs) against ONNX Runtime running the
// release's own ONNX file: onnxruntime-node (native) and onnxruntime-web's WebAssembly build with V8's baseline tier
// only (how the daemon ran Silero v4 until issue 66). Each runs in its own process over the same frames of jfk.wav:
// load time, time per 32 ms frame, resident memory after, and how far its speech probabilities and decisions (> 0.5)
// are from onnxruntime-node's.
// Usage: npm install --no-save --ignore-scripts onnxruntime-node@1.30.0 onnxruntime-web@1.30.0 @ricky0123/vad-web@0.0.31
//        npx tsc -b && node test/bench/vad-runtime.mjs
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const wav = path.join(repoRoot, "test/fixtures/reference/jfk.wav");
const REPEATS = 6;

/** jfk.wav's 512-sample frames, REPEATS times over, as floats. */
function frames() {
  const bytes = readFileSync(wav);
  const at = bytes.indexOf("data") + 8;
  const pcm = new Int16Array(bytes.buffer.slice(bytes.byteOffset + at, bytes.byteOffset + bytes.length));
  const out = [];
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    for (let i = 0; i + 512 <= pcm.length; i += 512)
      out.push(Float32Array.from(pcm.subarray(i, i + 512), (s) => s / 32768));
  }
  return out;
}

async function onnx(runtime) {
  const ort = (await import(runtime)).default;
  if (runtime === "onnxruntime-web") ort.env.wasm.numThreads = 1;
  const model = require.resolve("@ricky0123/vad-web/dist/silero_vad_v6.onnx");
  let started = performance.now();
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const loadMs = performance.now() - started;
  // Silero's OnnxWrapper: each frame with the 64 samples before it, and the state the last frame left.
  const input = new Float32Array(576);
  let state = new ort.Tensor("float32", new Float32Array(256), [2, 1, 128]);
  const sr = new ort.Tensor("int64", BigInt64Array.from([16000n]));
  const probabilities = [];
  started = performance.now();
  for (const frame of frames()) {
    input.copyWithin(0, 512);
    input.set(frame, 64);
    const out = await session.run({ input: new ort.Tensor("float32", input, [1, 576]), state, sr });
    state = out.stateN;
    probabilities.push(out.output.data[0]);
  }
  return { loadMs, runMs: performance.now() - started, probabilities };
}

function engine() {
  const { VoiceDetector } = require(path.join(repoRoot, "native/dist/index.js"));
  let started = performance.now();
  const detector = new VoiceDetector();
  const loadMs = performance.now() - started;
  const probabilities = [];
  started = performance.now();
  for (const frame of frames()) probabilities.push(detector.probability(frame));
  return { loadMs, runMs: performance.now() - started, probabilities };
}

if (process.argv[2] === "--run") {
  const runtime = process.argv[3];
  const result = runtime === "engine" ? engine() : await onnx(runtime);
  const frameMs = result.runMs / result.probabilities.length;
  console.log(JSON.stringify({ ...result, frameMs, rssMB: process.memoryUsage.rss() / 1e6 }));
} else {
  const run = (runtime, flags = []) =>
    JSON.parse(execFileSync(process.execPath, [...flags, fileURLToPath(import.meta.url), "--run", runtime]).toString());
  const load = () =>
    os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(" ");
  const before = load();
  // Taking turns, twice, so that a busy moment does not fall on one runtime only.
  const rows = [];
  for (let round = 0; round < 2; round++) {
    rows.push(["the engine", run("engine")]);
    rows.push(["onnxruntime-node 1.30", run("onnxruntime-node")]);
    rows.push(["onnxruntime-web 1.30, --liftoff-only", run("onnxruntime-web", ["--liftoff-only"])]);
  }
  const reference = rows[1][1];
  console.log(
    `Silero VAD v6.2, ${reference.probabilities.length} frames of jfk.wav per run, two rounds; ` +
      `${os.cpus().length} cores, load average ${before} before, ${load()} after`,
  );
  console.log(
    "| runtime | load | per frame | per frame / onnxruntime-node's | memory after | max prob. difference | decisions differing |",
  );
  console.log("|---|---|---|---|---|---|---|");
  for (const [index, [name, result]] of rows.entries()) {
    const peer = rows[index - (index % 3) + 1][1]; // onnxruntime-node in the same round
    let maxDifference = 0;
    let differing = 0;
    result.probabilities.forEach((p, i) => {
      maxDifference = Math.max(maxDifference, Math.abs(p - reference.probabilities[i]));
      if (p > 0.5 !== reference.probabilities[i] > 0.5) differing++;
    });
    console.log(
      `| ${name} | ${result.loadMs.toFixed(1)} ms | ${result.frameMs.toFixed(3)} ms | ` +
        `${(result.frameMs / peer.frameMs).toFixed(2)} | ${result.rssMB.toFixed(0)} MB | ` +
        `${maxDifference.toExponential(1)} | ${differing} |`,
    );
  }
}
