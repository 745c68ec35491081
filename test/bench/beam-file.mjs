#!/usr/bin/env node
// Whole files decoded greedily and with beam search (beam 5, best_of 5, openai's command-line defaults), by our
// engine and by whisper.cpp (whisper-cli -bs 5 -bo 5) on the same trained fixture models and the same held-out
// sentences (test/fixtures/heldout), one process per engine and setting, 2 threads each. Prints each side's time to
// transcribe all the files (model loading excluded), the ratio ours / whisper.cpp, and the word error rate of each.
// The fp16 model is the same weights in both engines; whisper.cpp's 4-bit file is its own q4_0 quantization of them.
//
// usage: npx tsc -b && node test/bench/beam-file.mjs [--threads 2] [--files 20]
// The cache (whisper.cpp's build, the ggml files) is $BENCH_CACHE or node_modules/.cache/verbatim-bench.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const require = createRequire(import.meta.url);
const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(benchDir, "../..");
const { wordErrorRate } = require(path.join(repoRoot, "test/support/words.cjs"));
const cache = path.resolve(process.env.BENCH_CACHE ?? path.join(repoRoot, "node_modules/.cache/verbatim-bench"));
const python = process.env.BENCH_PYTHON ?? (existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3");

const { values: options } = parseArgs({
  options: {
    threads: { type: "string", default: "2" },
    files: { type: "string", default: "20" },
    // Internal: run our engine on one model and setting, print one JSON line.
    "ours-worker": { type: "string" },
    beam: { type: "boolean", default: false },
  },
});

const heldout = path.join(repoRoot, "test/fixtures/heldout");
const sentences = JSON.parse(readFileSync(path.join(heldout, "heldout.json"), "utf8")).slice(0, Number(options.files));
const BEAM = { beamSize: 5, bestOf: 5 };

function log(message) {
  process.stderr.write(`${message}\n`);
}

async function oursWorker(modelFolder) {
  const { WhisperModel } = require(path.join(repoRoot, "native/dist/index.js"));
  const { loadAudio } = require(path.join(repoRoot, "daemon/dist/audio/index.js"));
  const { loadTokenizer } = require(path.join(repoRoot, "daemon/dist/tokenizer/index.js"));
  const tokenizer = await loadTokenizer({ nVocab: 51864 });
  const model = await WhisperModel.load(modelFolder, { threads: Number(options.threads), backend: "cpu" }).promise;
  model.setVocabulary(tokenizer.tokenBytesTable());
  const audio = [];
  for (const { file } of sentences) audio.push((await loadAudio(path.join(heldout, file))).samples);
  const settings = { suppressTokens: tokenizer.suppressTokens(), ...(options.beam ? BEAM : {}) };
  const texts = [];
  const start = performance.now();
  for (const samples of audio) {
    const result = await model.transcribe(samples, settings).promise;
    texts.push(result.segments.map((segment) => tokenizer.decode(segment.tokens)).join(""));
  }
  console.log(JSON.stringify({ ms: performance.now() - start, texts }));
}

function buildPeer() {
  log("building whisper.cpp (the peer) …");
  const bin = execFileSync(path.join(benchDir, "peer/build-whisper-cpp.sh"), [], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, BENCH_CACHE: cache },
  });
  return bin.trim().split("\n").pop();
}

function ggmlModels(bin) {
  const dir = path.join(cache, "ggml");
  mkdirSync(dir, { recursive: true });
  const fp16 = path.join(dir, "verbatim-tiny-en-f16.bin");
  const q4 = path.join(dir, "verbatim-tiny-en-q4_0.bin");
  if (!existsSync(fp16)) {
    execFileSync(python, [
      path.join(benchDir, "to_ggml.py"),
      path.join(repoRoot, "test/fixtures/models/verbatim-tiny-en"),
      fp16,
    ]);
  }
  if (!existsSync(q4)) execFileSync(path.join(bin, "whisper-quantize"), [fp16, q4, "q4_0"], { stdio: "ignore" });
  return { fp16, q4 };
}

function runOurs(model, beam) {
  const args = [fileURLToPath(import.meta.url), "--ours-worker", model, "--threads", options.threads];
  args.push("--files", options.files, ...(beam ? ["--beam"] : []));
  const result = spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 1 << 24 });
  if (result.status !== 0) throw new Error(`our engine failed on ${model}: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split("\n").pop());
}

// whisper-cli on each file in turn (its output does not mark where one file's text ends when given several); the
// time is the sum of its own timings of the work (mel, sampling, encoder, decoder, batched decoder, prompt), so that
// neither loading nor each process's setup counts against it.
function runPeer(bin, model, beam) {
  let ms = 0;
  const texts = [];
  for (const { file } of sentences) {
    const args = ["-m", model, "-t", options.threads, "-nt", "-bs", beam ? "5" : "1", "-bo", beam ? "5" : "1"];
    const result = spawnSync(path.join(bin, "whisper-cli"), [...args, "-f", path.join(heldout, file)], {
      encoding: "utf8",
      maxBuffer: 1 << 24,
    });
    if (result.status !== 0) throw new Error(`whisper-cli failed on ${model}: ${result.stderr}`);
    const timing = (name) => Number(new RegExp(`${name} time =\\s*([\\d.]+) ms`).exec(result.stderr)?.[1]);
    ms += ["mel", "sample", "encode", "decode", "batchd", "prompt"].reduce((sum, name) => sum + (timing(name) || 0), 0);
    texts.push(result.stdout.replace(/\s+/g, " ").trim());
  }
  return { ms, texts };
}

function wer(texts) {
  return wordErrorRate(sentences.map(({ text }, i) => ({ reference: text, hypothesis: texts[i] ?? "" })));
}

function main() {
  const startLoad = os.loadavg()[0];
  const bin = buildPeer();
  const peerModels = ggmlModels(bin);
  const models = [
    { label: "fp16", ours: path.join(repoRoot, "test/fixtures/models/verbatim-tiny-en"), peer: peerModels.fp16 },
    {
      label: "4-bit vs q4_0",
      ours: path.join(repoRoot, "test/fixtures/models/verbatim-tiny-en-4bit"),
      peer: peerModels.q4,
    },
  ];
  const lines = [
    ["model", "decoding", "ours (ms)", "whisper.cpp (ms)", "ours/whisper.cpp", "WER ours", "WER whisper.cpp"],
  ];
  for (const { label, ours, peer } of models) {
    for (const beam of [false, true]) {
      log(`${label}, ${beam ? "beam 5, best_of 5" : "greedy"} …`);
      const mine = runOurs(ours, beam);
      const theirs = runPeer(bin, peer, beam);
      lines.push([
        label,
        beam ? "beam 5, best_of 5" : "greedy",
        mine.ms.toFixed(0),
        theirs.ms.toFixed(0),
        (mine.ms / theirs.ms).toFixed(2),
        `${(wer(mine.texts) * 100).toFixed(1)}%`,
        `${(wer(theirs.texts) * 100).toFixed(1)}%`,
      ]);
    }
  }
  console.log(`\n${new Date().toISOString()}  ${os.cpus()[0].model}, ${os.cpus().length} hardware threads`);
  console.log(
    `${sentences.length} held-out sentences, ${options.threads} threads, transcription time without model loading (whisper.cpp: the sum of its own mel, sample, encode, decode, batchd and prompt timings); ` +
      `load average ${startLoad.toFixed(1)} at start, ${os.loadavg()[0].toFixed(1)} at end\n`,
  );
  const widths = lines[0].map((_, column) => Math.max(...lines.map((line) => line[column].length)));
  for (const line of lines) {
    console.log(
      line.map((cell, column) => (column < 2 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join("  "),
    );
  }
}

if (options["ours-worker"]) await oursWorker(options["ours-worker"]);
else main();
