#!/usr/bin/env node
// The first word of a dictation (issue 61): how much of a sentence begun at the keypress the dictation loses. As a
// person who talks at once would: a private PulseAudio null sink (16 kHz mono, so nothing is resampled) is the
// microphone, kept running in real time by a low-latency playback stream of quiet pink noise (sox into pacat
// --latency-msec=20, paced by PulseAudio itself, not by this script: an idle null sink renders 2 s at a time, ahead
// of the clock); at the keypress, `verbatim dictate` is launched and, in the same instant, a held-out sentence is
// written whole into a second low-latency stream, idle until then, so that it starts playing within that stream's
// latency of the launch on every run. A reference recorder (parec on the sink's monitor, started first) hears
// everything the sink played, on the sink's clock. The daemon keeps each dictation's recording (keepRecordings
// "always"). On the reference's one clock:
//   - the sentence's start, found by cross-correlation with the sentence's first half second;
//   - the recording's first sample (its first that is not zero), found by cross-correlation with the recording's
//     first half second (the noise under the sentence makes every stretch of the reference unique);
//   - the launch: the reference's sample count at the moment of the spawn, from the times its chunks arrived (the
//     earliest-arriving chunks bound it, so a busy event loop that reads them late does not move it).
// It prints, per run and as medians over the runs that count:
//   - lost: milliseconds of the sentence before the recording's first sample (median and maximum);
//   - first sample: launch → the recording's first sample (what a sentence begun exactly at the keypress loses);
//   - sentence: launch → the sentence's start (the second stream's latency; a run counts when it is under
//     MAX_SENTENCE_DELAY_MS and both were found, correlation 0.9; the others are dropped and counted);
//   - Node start and module load per process: `node` to its first line, and what each process loads before it does
//     its job (the CLI for `verbatim --help`; `dictate` before it starts the capture process; the capture process
//     before it opens the microphone), each in a fresh process, the median of --runs;
//   - the load average at each run (the machine need not be quiet: nothing it measures depends on this script
//     keeping up, but a busy machine does delay Node's start and the capture process, which is what is measured).
// `--path extension` drives the extension's start path (extension/src/lib/dictation-session.ts, with the capture
// command its lib starts) from this process, the Raycast host replaced by nothing: it imports no @raycast/api.
// `--path ready` is `verbatim dictate` with the microphone kept ready (keepMicrophoneReadyMinutes): one dictation
// first, not measured, leaves a capture process ready, which records each measured one from its keypress (the
// dictate process's start) on. `all` (the default) runs the three in one sitting, the cold paths first.
// `--checkout DIR` measures another checkout (e.g. one at the commit before) with its own daemon and CLI.
// Asserts nothing; prints one table.
//
// usage: npx tsc -b && node test/bench/first-words.mjs [--runs 5] [--path dictate|extension|ready|both|all|none]
//          [--sentence test/fixtures/heldout/heldout-07.wav] [--checkout DIR]
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const { values: options } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    path: { type: "string", default: "all" },
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
 * the launch (the sentence stream's 20 ms latency, and its start after the write, with room). */
const MIN_CORRELATION = 0.9;
const MAX_SENTENCE_DELAY_MS = 100;
/** The sentence's start and the recording's first sample are found in the reference by this many seconds. */
const HEAD_SECONDS = 0.5;
const STREAM_LATENCY_MS = 20;
/** The sentence's stream holds this much in the server once it plays, so that a busy machine, which may leave pacat
 * unscheduled for a while, does not cut gaps into the sentence (it starts as soon as it holds that much, which the
 * whole sentence written at once gives it at once). */
const SENTENCE_STREAM_LATENCY_MS = 300;
/** The pink noise that keeps the sink running, about 40 dB below the sentence: it makes every stretch of the
 * reference unique without covering the speech. */
const NOISE_VOLUME = 0.01;
/** How far from the launch (ms) the reference's chunks that place it on the sink's clock may have arrived. */
const CLOCK_WINDOW_MS = 5000;
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
      `--load=module-null-sink sink_name=${SINK} rate=${RATE} channels=1 format=s16le`,
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

function playbackStream(env, stdin, latencyMs) {
  return spawn(
    "pacat",
    [
      "--playback",
      `--device=${SINK}`,
      `--latency-msec=${latencyMs}`,
      "--format=s16le",
      `--rate=${RATE}`,
      "--channels=1",
    ],
    { env, stdio: [stdin, "ignore", "inherit"] },
  );
}

/**
 * What the sink plays: quiet pink noise that keeps it in real time (sox writes it, pacat plays it as fast as
 * PulseAudio asks, so this script's event loop never paces it), and a second stream, idle until `play` writes a sound
 * into it whole: it starts playing at once, and after the sound it runs dry and waits again, so no run's delay carries
 * into the next (a stream fed silence by a timer here fell further behind with each stall of the event loop: the
 * stream restarted after each underrun with what was late still queued).
 */
function startFeed(env) {
  const noise = spawn(
    "sox",
    [
      "-n",
      ...["-t", "raw", "-r", String(RATE), "-c", "1", "-b", "16", "-e", "signed-integer", "-"],
      ...["synth", "86400", "pinknoise", "vol", String(NOISE_VOLUME)],
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const keeper = playbackStream(env, noise.stdout, STREAM_LATENCY_MS);
  const player = playbackStream(env, "pipe", SENTENCE_STREAM_LATENCY_MS);
  player.stdin.on("error", () => undefined); // stopped while a write was under way
  return {
    play(samples) {
      const bytes = Buffer.alloc(samples.length * 2);
      for (let i = 0; i < samples.length; i++) {
        bytes.writeInt16LE(Math.round(Math.max(-1, Math.min(1, samples[i])) * 32767), 2 * i);
      }
      player.stdin.write(bytes);
    },
    stop() {
      for (const child of [player, keeper]) child.kill();
      noise.kill("SIGKILL"); // sox stops at its next write on SIGTERM, which waits forever once pacat has gone
    },
  };
}

async function startDaemon(home, env) {
  const log = openSync(path.join(home, "verbatimd.log"), "a"); // its log lines would bury the figures
  const daemon = spawn(process.execPath, [path.join(checkout, "daemon", "bin", "verbatimd.js")], {
    env,
    stdio: ["ignore", "ignore", log],
  });
  closeSync(log);
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
 * The reference recorder: everything the sink plays, from its monitor, on the sink's clock. `positionAt(time)` places
 * a moment of this process's clock (performance.now()) on it: each chunk's sample count less the samples played
 * between that moment and the chunk's arrival; a chunk read late (a busy event loop, a busy machine) gives a smaller
 * count, so the largest over the chunks around the moment is the closest. The null sink runs on the same monotonic
 * clock, so they do not drift apart; what is left is the sink's render-ahead and parec's fragment, 20 ms at most.
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
  const arrivals = []; // [performance.now(), samples received by then]
  let bytes = 0;
  recorder.stdout.on("data", (chunk) => {
    chunks.push(chunk);
    bytes += chunk.length;
    arrivals.push([performance.now(), Math.floor(bytes / 2)]);
  });
  return {
    positionAt(time) {
      let best = -Infinity;
      for (const [at, received] of arrivals) {
        if (Math.abs(at - time) <= CLOCK_WINDOW_MS) best = Math.max(best, received - ((at - time) * RATE) / 1000);
      }
      return best;
    },
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
async function dictateOnce(env, feed, sentence) {
  feed.play(sentence); // the same instant
  const launched = performance.now();
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
async function extensionOnce(extension, socket, logFile, feed, sentence) {
  feed.play(sentence); // the keypress
  const launched = performance.now();
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

/**
 * Where, on the reference's clock, the sentence began and the recording's first sample was (the launch at sample
 * `launched`): how much of the sentence was lost, when the recording began and when the sentence began after the
 * launch (ms).
 */
function measure(recordingFile, reference, launched, sentence) {
  const windowStart = Math.max(0, Math.floor(launched) - RATE);
  const window = reference.subarray(windowStart, Math.floor(launched) + sentence.length + 4 * RATE);
  const head = findSound(sentence.subarray(0, HEAD_SECONDS * RATE), window);
  const sentenceAt = windowStart + head.offsetSeconds * RATE;
  const recorded = readWav(recordingFile);
  const first = recorded.findIndex((sample) => sample !== 0); // a device may deliver zeros before it records
  const part = findSound(recorded.subarray(first, first + HEAD_SECONDS * RATE), window);
  const recordingAt = windowStart + part.offsetSeconds * RATE;
  const ms = (samples) => (samples / RATE) * 1000;
  return {
    lostMs: Math.max(0, ms(recordingAt - sentenceAt)),
    firstSampleMs: ms(recordingAt - launched),
    sentenceMs: ms(sentenceAt - launched),
    correlation: Math.min(head.correlation, part.correlation),
  };
}

/** Sets keepMicrophoneReadyMinutes; false when the daemon has no such setting (a checkout from before it). */
async function keepMicrophoneReady(socket, minutes) {
  const client = await DaemonClient.connect(socket, { client: "first-words" });
  try {
    await client.request({ type: "dictation.keepReady", minutes });
    return true;
  } catch {
    return false;
  } finally {
    client.close();
  }
}

/** Waits until a capture process is kept ready (status.capture.ready), 30 s at most. */
async function untilMicrophoneReady(socket) {
  const client = await DaemonClient.connect(socket, { client: "first-words" });
  try {
    for (let waited = 0; !(await client.status()).capture.ready; waited += 50) {
      if (waited > 30_000) throw new Error("no capture process was kept ready within 30 s");
      await pause(50);
    }
  } finally {
    client.close();
  }
}

/** The device's own start the dictation's recorder reported (dictation.microphone; undefined before it existed). */
async function microphoneStart(socket, recording) {
  const client = await DaemonClient.connect(socket, { client: "first-words" });
  try {
    const listed = await client.request({ type: "dictation.list" });
    return listed.dictations?.find((dictation) => dictation.recording === recording)?.microphoneStartMs;
  } finally {
    client.close();
  }
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
  if (existsSync(dist("capture/microphone-first.js"))) {
    // Since dictate opens the microphone itself: what bin/verbatim.js loads before it does.
    rows.push(["dictate, before it opens the microphone", [floor, dist("capture/microphone-first.js")]]);
    rows.push(["dictate, the CLI after it (dictate's command)", [dist("cli/main.js"), dist("cli/dictate-command.js")]]);
  } else if (lean) {
    rows.push(["dictate, before it starts the capture process", [dist("cli/main.js"), dist("cli/dictate-command.js")]]);
  }
  if (lean) {
    rows.push(["capture process, before it opens the microphone", [floor, dist("cli/capture-command.js")]]);
    rows.push(["capture process, the daemon's client (after the microphone opens)", [dist("client.js")]]);
  } else {
    rows.push(["dictate, before it starts the capture process", [dist("cli/main.js")]]);
    rows.push(["capture process, before it opens the microphone", [dist("cli/main.js")]]);
  }
  return rows.map(([what, modules]) => ({ what, ...moduleLoad(modules) }));
}

const loadAverage = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");

async function main() {
  const sentence = readWav(options.sentence);
  const home = mkdtempSync(path.join(os.tmpdir(), "first-words-"));
  const model = path.join(repoRoot, "test", "fixtures", "models", "verbatim-tiny-en");
  writeFileSync(path.join(home, "config.json"), JSON.stringify({ model, threads: 2, keepRecordings: "always" }));
  console.error(`load average at the start: ${loadAverage()}`);
  const pulse = startPulse();
  const env = {
    ...pulse.env,
    VERBATIM_HOME: home,
    VERBATIM_SOCKET: path.join(home, "verbatimd.sock"),
    HF_HUB_OFFLINE: "1",
  };
  const reference = startReference(pulse.env);
  const feed = startFeed(pulse.env);
  const daemon = await startDaemon(home, env);
  const recordings = path.join(home, "state", "recordings");
  const table = [];
  const dropped = new Map();
  try {
    const paths = { both: ["dictate", "extension"], all: ["dictate", "extension", "ready"], none: [] }[
      options.path
    ] ?? [options.path];
    for (const which of paths) {
      const extension = which === "extension" ? loadExtension() : null;
      if (extension) Object.assign(process.env, env); // the capture process it starts reaches this daemon and sink
      const ready = which === "ready";
      if (ready && !(await keepMicrophoneReady(env.VERBATIM_SOCKET, 5))) {
        console.error("ready: this checkout's daemon cannot keep the microphone ready; skipped");
        continue;
      }
      if (ready) await dictateOnce(env, feed, sentence); // leaves the capture process ready; not measured
      const results = [];
      for (let run = 0; run < runs; run++) {
        await pause(1000);
        if (ready) await untilMicrophoneReady(env.VERBATIM_SOCKET);
        const { recording, launched } = extension
          ? await extensionOnce(extension, env.VERBATIM_SOCKET, path.join(home, "capture.log"), feed, sentence)
          : await dictateOnce(env, feed, sentence);
        const file = path.join(recordings, `${recording}.wav`);
        for (let i = 0; i < 50 && !existsSync(file); i++) await pause(100);
        const result = measure(file, reference.samples(), reference.positionAt(launched), sentence);
        result.deviceStartMs = await microphoneStart(env.VERBATIM_SOCKET, recording);
        // A run counts when both were found (correlation) and the sentence began at the keypress: a busy machine
        // can starve the feed, and a sentence that began late would measure nothing.
        const counts = result.correlation >= MIN_CORRELATION && Math.abs(result.sentenceMs) <= MAX_SENTENCE_DELAY_MS;
        if (counts) results.push(result);
        else dropped.set(which, (dropped.get(which) ?? 0) + 1);
        console.error(
          `${which} run ${run + 1}: lost ${result.lostMs.toFixed(0)} ms, first sample ` +
            `${result.firstSampleMs.toFixed(0)} ms after the launch, the sentence ${result.sentenceMs.toFixed(0)} ms ` +
            `after it (correlation ${result.correlation.toFixed(3)}), the device's own start ` +
            `${result.deviceStartMs === undefined ? "not reported" : `${result.deviceStartMs.toFixed(0)} ms`}, ` +
            `load ${loadAverage()}` +
            `${counts ? "" : ": not counted"}`,
        );
      }
      table.push({ which, results });
      if (ready) await keepMicrophoneReady(env.VERBATIM_SOCKET, 0);
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
  const load = loadAverage();
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
