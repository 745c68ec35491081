#!/usr/bin/env node
// The first word of a dictation (issue 61): how much of a sentence begun at the keypress the dictation loses. As a
// person who talks at once would: a private PulseAudio null sink is the microphone, kept running in real time by a
// low-latency playback stream (pacat --latency-msec=20) that this script feeds silence (an idle null sink renders
// 2 s at a time, ahead of the clock); at the keypress, `verbatim dictate` is launched and, in the same instant, a
// held-out sentence goes into that stream instead of silence. A reference recorder (parec on the sink's monitor,
// started first) hears everything the sink played, on one clock. The daemon keeps each dictation's recording
// (keepRecordings "always"); the sentence's start and the recording's first sample are both found in the reference
// by cross-correlation (the sentence by its first half second; the recording by its loudest second, which holds the
// same played audio), so the figures do not depend on how late the stream played what it was given:
//   - lost: milliseconds of the sentence before the recording's first sample (median and maximum over the runs);
//   - first sample: launch → the recording's first sample; and when the sentence began to play after the launch
//     (the feed's lead and the stream's latency: what "lost" leaves out of a true keypress);
//   - Node start and module load per process: `node` to its first line, and what each process loads before it does
//     its job (the CLI for `verbatim --help`; `dictate` before it starts the capture process; the capture process
//     before it opens the microphone), each in a fresh process, the median of --runs.
// `--path extension` drives the extension's start path (extension/src/lib/dictation-session.ts, with the capture
// command its lib starts) from this process, the Raycast host replaced by nothing: it imports no @raycast/api.
// `--checkout DIR` measures another checkout (e.g. one at the commit before) with its own daemon and CLI.
// Asserts nothing; prints one table. Run it on a quiet machine: a busy one delays the feed and stretches the figures.
//
// usage: npx tsc -b && node test/bench/first-words.mjs [--runs 5] [--path dictate|extension|both|none]
//          [--sentence test/fixtures/heldout/heldout-07.wav] [--checkout DIR]
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const { values: options } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    path: { type: "string", default: "both" },
    sentence: { type: "string", default: path.join(repoRoot, "test", "fixtures", "heldout", "heldout-07.wav") },
    checkout: { type: "string", default: repoRoot },
  },
});
const runs = Number(options.runs);
const checkout = path.resolve(options.checkout);
const require = createRequire(path.join(checkout, "package.json"));
const { DaemonClient } = require(path.join(checkout, "daemon/dist/client.js"));
const RATE = 16_000;
const SINK = "first_words";
/** A run counts when the sentence and the recording were both found this well, and the sentence began this close to
 * the launch (the feed's lead and the stream's latency, with room). */
const MIN_CORRELATION = 0.9;
const MAX_SENTENCE_DELAY_MS = 200;
/** The sentence's start is found in the reference by its first this many seconds. */
const SENTENCE_HEAD_SECONDS = 0.5;
/** How far ahead of the clock the feed keeps the playback stream (it must never run dry, even on a busy machine). */
const FEED_LEAD_MS = 60;
const STREAM_LATENCY_MS = 20;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** 16-bit PCM mono WAV at 16 kHz as floats (the held-out sentences and the daemon's recordings are so). */
function readWav(file) {
  const bytes = readFileSync(file);
  let at = 12;
  while (at < bytes.length - 8 && bytes.toString("ascii", at, at + 4) !== "data") at += 8 + bytes.readUInt32LE(at + 4);
  const data = bytes.subarray(at + 8, at + 8 + bytes.readUInt32LE(at + 4));
  const samples = new Float32Array(Math.floor(data.length / 2));
  for (let i = 0; i < samples.length; i++) samples[i] = data.readInt16LE(2 * i) / 32768;
  return samples;
}

function correlationAt(sound, recording, offset) {
  let dot = 0;
  let a = 0;
  let b = 0;
  for (let i = 0; i < sound.length; i++) {
    const r = recording[offset + i];
    dot += sound[i] * r;
    a += sound[i] * sound[i];
    b += r * r;
  }
  return a > 0 && b > 0 ? dot / Math.sqrt(a * b) : 0;
}

function blockMeans(samples, block) {
  const out = new Float32Array(Math.floor(samples.length / block));
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    for (let j = 0; j < block; j++) sum += samples[i * block + j];
    out[i] = sum / block;
  }
  return out;
}

/** Where `sound` starts in `recording` (seconds) and how well it matches there (as test/support/signal-match.ts). */
function findSound(sound, recording) {
  const coarse = 8;
  const search = (a, b, from, to) => {
    let best = [from, -Infinity];
    for (let offset = Math.max(0, from); offset <= Math.min(to, b.length - a.length); offset++) {
      const correlation = correlationAt(a, b, offset);
      if (correlation > best[1]) best = [offset, correlation];
    }
    return best;
  };
  const [rough] = search(blockMeans(sound, coarse), blockMeans(recording, coarse), 0, Infinity);
  const [offset, correlation] = search(sound, recording, (rough - 1) * coarse, (rough + 1) * coarse);
  return { offsetSeconds: offset / RATE, correlation };
}

/** A private PulseAudio server whose null sink's monitor is the default input (test/support/pulseaudio.ts). */
function startPulse() {
  const runtimeDir = mkdtempSync(path.join(os.tmpdir(), "pulse-bench-"));
  const socket = path.join(runtimeDir, "native");
  const env = { ...process.env, PULSE_SERVER: `unix:${socket}`, XDG_RUNTIME_DIR: runtimeDir };
  execFileSync(
    "pulseaudio",
    [
      "--daemonize=yes",
      "--exit-idle-time=-1",
      "--disallow-exit",
      "-n",
      `--load=module-native-protocol-unix socket=${socket} auth-anonymous=1`,
      `--load=module-null-sink sink_name=${SINK}`,
      "--load=module-always-sink",
      "--log-target=stderr",
      "--log-level=error",
    ],
    { env: { ...process.env, XDG_RUNTIME_DIR: runtimeDir }, stdio: "pipe" },
  );
  for (let i = 0; i < 100 && !existsSync(socket); i++) execFileSync("sleep", ["0.05"]);
  execFileSync("pactl", ["set-default-source", `${SINK}.monitor`], { env });
  return {
    env,
    stop: () => {
      spawnSync("pulseaudio", ["--kill"], { env: { ...process.env, XDG_RUNTIME_DIR: runtimeDir } });
      rmSync(runtimeDir, { recursive: true, force: true });
    },
  };
}

/**
 * The playback stream that keeps the sink in real time: silence, and a sound when asked, FEED_LEAD_MS ahead of what
 * the sink has played (`played()`: the reference recorder's count, the sink's own clock; a clock of this process
 * would drift from it on a busy machine, and the stream's delay would grow).
 */
function startFeed(env, played) {
  const player = spawn(
    "pacat",
    [
      "--playback",
      `--device=${SINK}`,
      `--latency-msec=${STREAM_LATENCY_MS}`,
      "--format=s16le",
      `--rate=${RATE}`,
      "--channels=1",
    ],
    { env, stdio: ["pipe", "ignore", "inherit"] },
  );
  player.stdin.on("error", () => undefined); // stopped while a write was under way
  const lead = (FEED_LEAD_MS * RATE) / 1000;
  const origin = played();
  let written = 0;
  let queued = null;
  const write = (samples) => {
    const bytes = Buffer.alloc(samples.length * 2);
    for (let i = 0; i < samples.length; i++) {
      bytes.writeInt16LE(Math.round(Math.max(-1, Math.min(1, samples[i])) * 32767), 2 * i);
    }
    player.stdin.write(bytes);
    written += samples.length;
  };
  const timer = setInterval(() => {
    const wanted = played() - origin + lead - written;
    if (wanted <= 0) return;
    const part = queued ? queued.subarray(0, wanted) : new Float32Array(0);
    queued = queued?.subarray(part.length) ?? null;
    write(part);
    if (part.length < wanted) write(new Float32Array(wanted - part.length));
  }, 5);
  return {
    play(samples) {
      queued = samples;
    },
    stop() {
      clearInterval(timer);
      player.kill();
    },
  };
}

async function startDaemon(home, env) {
  const daemon = spawn(process.execPath, [path.join(checkout, "daemon", "bin", "verbatimd.js")], {
    env,
    stdio: ["ignore", "ignore", "inherit"],
  });
  for (;;) {
    try {
      const client = await DaemonClient.connect(path.join(home, "verbatimd.sock"), { client: "first-words" });
      const status = await client.status();
      client.close();
      if (status.model.state === "ready") return daemon;
      if (status.model.state === "failed") throw new Error(`the model failed to load: ${status.model.error}`);
    } catch (error) {
      if (daemon.exitCode !== null) throw error;
    }
    await pause(100);
  }
}

/**
 * The reference recorder: everything the sink plays, from its monitor, on one clock. `position` is how many samples
 * it has received (the moment's place in `samples()`, less the stream's latency).
 */
function startReference(env) {
  const recorder = spawn(
    "parec",
    [
      `--device=${SINK}.monitor`,
      `--latency-msec=${STREAM_LATENCY_MS}`,
      "--format=s16le",
      `--rate=${RATE}`,
      "--channels=1",
    ],
    { env, stdio: ["ignore", "pipe", "inherit"] },
  );
  const chunks = [];
  let bytes = 0;
  recorder.stdout.on("data", (chunk) => {
    chunks.push(chunk);
    bytes += chunk.length;
  });
  return {
    position: () => Math.floor(bytes / 2) + (STREAM_LATENCY_MS * RATE) / 1000,
    samples() {
      const all = Buffer.concat(chunks);
      const samples = new Float32Array(Math.floor(all.length / 2));
      for (let i = 0; i < samples.length; i++) samples[i] = all.readInt16LE(2 * i) / 32768;
      return samples;
    },
    stop: () => recorder.kill(),
  };
}

/** `verbatim dictate --json` launched at the keypress: its session's recording, once it has ended. */
async function dictateOnce(env, feed, reference, sentence) {
  const launched = reference.position();
  feed.play(sentence); // the same instant
  const child = spawn(process.execPath, [path.join(checkout, "daemon", "bin", "verbatim.js"), "dictate", "--json"], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.on("exit", resolve));
  await pause((sentence.length / RATE) * 1000 + 1500);
  child.kill("SIGINT");
  await exited;
  const started = stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line))
    .find((event) => event.type === "started");
  if (!started) throw new Error(`dictate did not start a dictation: ${stderr}`);
  return { recording: started.recording, launched };
}

/**
 * The extension's start path: a Dictation (extension/src/lib/dictation-session.ts) whose microphone is opened the way
 * its host opens it (lib/capture-process.ts, with the capture command the daemon's status names), in this process,
 * stopped after the sentence.
 */
async function extensionOnce(extension, socket, logFile, feed, reference, sentence) {
  const launched = reference.position();
  feed.play(sentence); // the keypress
  const client = await extension.connect(socket); // the command opens the daemon connection first, as Raycast's do
  try {
    const dictation = new extension.Dictation(client, {
      source: "capture",
      ...(extension.openMicrophone
        ? { openMicrophone: (status) => extension.openMicrophone({ status, socket, logFile }) }
        : {
            // A checkout from before the microphone opened first: its host's startMicrophoneCapture, once started.
            startCapture: async (session, status) => {
              const exit = await extension.startCapture({ command: status.capture.command, session, socket, logFile })
                .exited;
              return exit.code === 0 ? null : exit.message;
            },
          }),
      onChange: () => undefined,
    });
    await dictation.begun;
    const session = dictation.state.session;
    await pause((sentence.length / RATE) * 1000 + 1500);
    await dictation.stop();
    const final = await dictation.finished;
    if (final.phase !== "done") throw new Error(`the dictation ended ${final.phase}: ${final.error?.message ?? ""}`);
    return { recording: session, launched }; // a dictation's recording has its session's id
  } finally {
    client.close();
  }
}

/** The extension's TypeScript modules, compiled as they load (the extension builds with Raycast's tools). */
function loadExtension() {
  const ts = require("typescript");
  const compile = (module, file) => {
    const output = ts.transpileModule(readFileSync(file, "utf8"), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      fileName: file,
    });
    module._compile(output.outputText, file);
  };
  require.extensions[".ts"] = compile;
  const lib = path.join(checkout, "extension", "src", "lib");
  const { connect } = require(path.join(lib, "daemon-connection.ts"));
  const { Dictation } = require(path.join(lib, "dictation-session.ts"));
  const { openMicrophone, startCapture } = require(path.join(lib, "capture-process.ts"));
  return { connect, Dictation, openMicrophone, startCapture };
}

/** The loudest `seconds` of `samples` (its start, in samples). */
function loudest(samples, seconds) {
  const width = seconds * RATE;
  let best = [0, -1];
  for (let start = 0; start + width <= samples.length; start += RATE / 20) {
    let energy = 0;
    for (let i = start; i < start + width; i += 4) energy += samples[i] * samples[i];
    if (energy > best[1]) best = [start, energy];
  }
  return best[0];
}

/**
 * Where, in the reference, the sentence began and the recording's first sample was (the launch at `launched`): how
 * much of the sentence was lost, when the recording began and when the sentence began after the launch (ms).
 */
function measure(recordingFile, reference, launched, sentence) {
  const window = reference.subarray(Math.max(0, launched - RATE), launched + sentence.length + 4 * RATE);
  const windowStart = Math.max(0, launched - RATE);
  const head = findSound(sentence.subarray(0, SENTENCE_HEAD_SECONDS * RATE), window);
  const sentenceAt = windowStart + head.offsetSeconds * RATE;
  const recorded = readWav(recordingFile);
  const from = loudest(recorded, 1);
  const part = findSound(recorded.subarray(from, from + RATE), window);
  const recordingAt = windowStart + part.offsetSeconds * RATE - from;
  const ms = (samples) => (samples / RATE) * 1000;
  return {
    lostMs: Math.max(0, ms(recordingAt - sentenceAt)),
    firstSampleMs: ms(recordingAt - launched),
    sentenceMs: ms(sentenceAt - launched),
    correlation: Math.min(head.correlation, part.correlation),
  };
}

/** Milliseconds from Node's start to its first line, and to the end of loading `modules` (fresh process, median). */
function moduleLoad(modules) {
  const script = `const t0 = performance.now(); for (const m of ${JSON.stringify(modules)}) require(m);
process.stdout.write(JSON.stringify([t0, performance.now() - t0]));`;
  const samples = [];
  for (let i = 0; i < runs; i++) {
    samples.push(JSON.parse(execFileSync(process.execPath, ["-e", script], { cwd: checkout, encoding: "utf8" })));
  }
  return { nodeStart: median(samples.map((s) => s[0])), load: median(samples.map((s) => s[1])) };
}

function moduleLoads() {
  const dist = (file) => path.join(checkout, "daemon", "dist", file);
  const lean = existsSync(path.join(checkout, "daemon", "bin", "verbatim-capture.js"));
  const floor = path.join(checkout, "native", "scripts", "node-floor.cjs");
  const rows = [["verbatim --help (the CLI's main module)", [dist("cli/main.js")]]];
  // Before: the capture process was `verbatim.js capture`, the whole CLI; dictate was loaded with it.
  if (lean) {
    rows.push(["dictate, before it starts the capture process", [dist("cli/main.js"), dist("cli/dictate-command.js")]]);
    rows.push(["capture process, before it opens the microphone", [floor, dist("cli/capture-command.js")]]);
    rows.push(["capture process, the daemon's client (after the microphone opens)", [dist("client.js")]]);
  } else {
    rows.push(["dictate, before it starts the capture process", [dist("cli/main.js")]]);
    rows.push(["capture process, before it opens the microphone", [dist("cli/main.js")]]);
  }
  return rows.map(([what, modules]) => ({ what, ...moduleLoad(modules) }));
}

async function main() {
  const sentence = readWav(options.sentence);
  const home = mkdtempSync(path.join(os.tmpdir(), "first-words-"));
  const model = path.join(repoRoot, "test", "fixtures", "models", "verbatim-tiny-en");
  writeFileSync(path.join(home, "config.json"), JSON.stringify({ model, threads: 2, keepRecordings: "always" }));
  const pulse = startPulse();
  const env = {
    ...pulse.env,
    VERBATIM_HOME: home,
    VERBATIM_SOCKET: path.join(home, "verbatimd.sock"),
    HF_HUB_OFFLINE: "1",
  };
  const reference = startReference(pulse.env);
  const feed = startFeed(pulse.env, () => reference.position());
  const daemon = await startDaemon(home, env);
  const recordings = path.join(home, "state", "recordings");
  const table = [];
  const dropped = new Map();
  try {
    const paths = { both: ["dictate", "extension"], none: [] }[options.path] ?? [options.path];
    for (const which of paths) {
      const extension = which === "extension" ? loadExtension() : null;
      if (extension) Object.assign(process.env, env); // the capture process it starts reaches this daemon and sink
      const results = [];
      for (let run = 0; run < runs; run++) {
        await pause(1000);
        const { recording, launched } = extension
          ? await extensionOnce(
              extension,
              env.VERBATIM_SOCKET,
              path.join(home, "capture.log"),
              feed,
              reference,
              sentence,
            )
          : await dictateOnce(env, feed, reference, sentence);
        const file = path.join(recordings, `${recording}.wav`);
        for (let i = 0; i < 50 && !existsSync(file); i++) await pause(100);
        const result = measure(file, reference.samples(), launched, sentence);
        // A run counts when both were found (correlation) and the sentence began at the keypress: a busy machine
        // can starve the feed, and a sentence that began late would measure nothing.
        const counts = result.correlation >= MIN_CORRELATION && Math.abs(result.sentenceMs) <= MAX_SENTENCE_DELAY_MS;
        if (counts) results.push(result);
        else dropped.set(which, (dropped.get(which) ?? 0) + 1);
        console.error(
          `${which} run ${run + 1}: lost ${result.lostMs.toFixed(0)} ms, first sample ` +
            `${result.firstSampleMs.toFixed(0)} ms after the launch, the sentence ${result.sentenceMs.toFixed(0)} ms ` +
            `after it (correlation ${result.correlation.toFixed(3)})${counts ? "" : ": not counted"}`,
        );
      }
      table.push({ which, results });
    }
  } finally {
    daemon.kill("SIGTERM");
    feed.stop();
    reference.stop();
    pulse.stop();
    await new Promise((resolve) => daemon.on("exit", resolve));
    rmSync(home, { recursive: true, force: true });
  }

  const loads = moduleLoads();
  const load = os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
  console.log(
    `\nfirst words, ${runs} dictations each, ${path.relative(repoRoot, options.sentence)}; load average ${load}`,
  );
  console.log(`checkout: ${checkout}`);
  console.log("path        lost median  lost max  first sample median  sentence median  runs");
  for (const { which, results } of table) {
    const column = (values, width) => `${(values.length ? median(values) : NaN).toFixed(0).padStart(width)} ms`;
    const lost = results.map((r) => r.lostMs);
    console.log(
      [
        which.padEnd(10),
        column(lost, 8),
        `${(lost.length ? Math.max(...lost) : NaN).toFixed(0).padStart(5)} ms`,
        column(
          results.map((r) => r.firstSampleMs),
          16,
        ),
        column(
          results.map((r) => r.sentenceMs),
          12,
        ),
        `${results.length} of ${results.length + (dropped.get(which) ?? 0)} counted`,
      ].join("  "),
    );
  }

  console.log("\nmodule load (fresh process each, median)               node start   load");
  for (const { what, nodeStart, load } of loads) {
    console.log(`${what.padEnd(66)}  ${nodeStart.toFixed(0).padStart(5)} ms  ${load.toFixed(0).padStart(5)} ms`);
  }
}

await main();
