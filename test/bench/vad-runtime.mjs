// Silero VAD v4 on two ONNX runtimes: onnxruntime-web's WebAssembly build (what the daemon uses, with V8's default
// tiers and with the baseline tier only) and onnxruntime-node (native; not a dependency any more). Each runs in its
// own process over the same frames of jfk.wav: load time, time per 32 ms frame, resident memory after, and how far
// its speech probabilities and decisions (> 0.5) are from onnxruntime-node's.
// Usage: npm install --no-save --ignore-scripts onnxruntime-node@1.30.0 && node test/bench/vad-runtime.mjs
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const model = path.join(repoRoot, "daemon/assets/vad/silero_vad_v4.onnx");
const wav = path.join(repoRoot, "test/fixtures/reference/jfk.wav");
const REPEATS = 6;

if (process.argv[2] === "--run") {
  const [runtime] = process.argv.slice(3);
  const ort = (await import(runtime === "node" ? "onnxruntime-node" : "onnxruntime-web")).default;
  if (runtime !== "node") ort.env.wasm.numThreads = 1;
  const bytes = readFileSync(wav);
  const pcm = new Int16Array(bytes.buffer, bytes.byteOffset + 44, (bytes.length - 44) >> 1);
  const frames = [];
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    for (let i = 0; i + 512 <= pcm.length; i += 512)
      frames.push(Float32Array.from(pcm.subarray(i, i + 512), (s) => s / 32768));
  }
  let started = performance.now();
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: "sequential",
  });
  const loadMs = performance.now() - started;
  let h = new ort.Tensor("float32", new Float32Array(128), [2, 1, 64]);
  let c = new ort.Tensor("float32", new Float32Array(128), [2, 1, 64]);
  const sr = new ort.Tensor("int64", BigInt64Array.from([16000n]));
  const probabilities = [];
  started = performance.now();
  for (const frame of frames) {
    const out = await session.run({ input: new ort.Tensor("float32", frame, [1, 512]), sr, h, c });
    h = out.hn;
    c = out.cn;
    probabilities.push(out.output.data[0]);
  }
  const runMs = performance.now() - started;
  console.log(
    JSON.stringify({ loadMs, frameMs: runMs / frames.length, rssMB: process.memoryUsage.rss() / 1e6, probabilities }),
  );
} else {
  const run = (runtime, flags = []) =>
    JSON.parse(execFileSync(process.execPath, [...flags, fileURLToPath(import.meta.url), "--run", runtime]).toString());
  const reference = run("node");
  const rows = [
    ["onnxruntime-node", reference],
    ["onnxruntime-web, default tiers", run("web")],
    ["onnxruntime-web, --liftoff-only", run("web", ["--liftoff-only"])],
  ];
  console.log(
    `Silero VAD v4, ${reference.probabilities.length} frames of jfk.wav; load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}`,
  );
  console.log("| runtime | load | per frame | memory after | max prob. difference | decisions differing |");
  console.log("|---|---|---|---|---|---|");
  for (const [name, result] of rows) {
    let maxDifference = 0;
    let differing = 0;
    result.probabilities.forEach((p, i) => {
      maxDifference = Math.max(maxDifference, Math.abs(p - reference.probabilities[i]));
      if (p > 0.5 !== reference.probabilities[i] > 0.5) differing++;
    });
    console.log(
      `| ${name} | ${result.loadMs.toFixed(0)} ms | ${result.frameMs.toFixed(3)} ms | ${result.rssMB.toFixed(0)} MB | ` +
        `${maxDifference.toExponential(1)} | ${differing} |`,
    );
  }
}
