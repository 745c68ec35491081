#!/usr/bin/env node
// The daemon's memory (issue 66; it grew from issue 39's voice-detector memory bench): its resident set size right
// after it starts (no model), after the model loads, after 10, 100 and 1,000 file jobs with the voice detector on
// (the held-out sentences in turn, `vad` as config fileVad's default), and on a 30 s and a 1-hour file: the peak
// during the job (`ps` every 100 ms), right after it (once the daemon has answered a status request: its trim of the C
// heap as the queue drains has run), and once it has been idle 8 s (it trims again after 5 s idle). One daemon per
// model, each from a fresh home. `--root` runs another checkout's daemon (built there: npx tsc -b), for a before and
// after in one run. Prints a table per model; asserts nothing.
//
// usage: npx tsc -b && node test/bench/daemon-memory.mjs [--jobs 1000] [--long 30,3600]
//        [--models verbatim-tiny-en,parakeet-tiny-v3] [--root DIR]
//        (--models: names in test/fixtures/models or model folders)
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { writeWav } from "./wav.mjs";

const require = createRequire(import.meta.url);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const RATE = 16_000;

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "1000" },
    long: { type: "string", default: "30,3600" },
    models: { type: "string", default: "verbatim-tiny-en,parakeet-tiny-v3" },
    root: { type: "string", default: repoRoot },
  },
});
const jobs = Number(values.jobs);
const lengths = values.long ? values.long.split(",").map(Number) : [];
const root = path.resolve(values.root);
const { DaemonClient } = require(path.join(root, "daemon/dist/client.js"));
const models = values.models
  .split(",")
  .map((name) =>
    existsSync(path.join(name, "config.json")) ? path.resolve(name) : path.join(repoRoot, "test/fixtures/models", name),
  );
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
/** A process's resident set size in MB, as `ps` reports it (Linux and macOS alike). */
const rssMb = (pid) => Number(execFileSync("ps", ["-o", "rss=", "-p", String(pid)], { encoding: "utf8" })) / 1024;

const heldoutDir = path.join(repoRoot, "test/fixtures/heldout");
const clips = JSON.parse(readFileSync(path.join(heldoutDir, "heldout.json"), "utf8")).map((item) =>
  path.join(heldoutDir, item.file),
);

/** 16-bit samples of a WAV file (the held-out sentences: 16 kHz mono). */
function pcmOf(file) {
  const bytes = readFileSync(file);
  const at = bytes.indexOf("data") + 8;
  return new Int16Array(bytes.buffer.slice(bytes.byteOffset + at, bytes.byteOffset + bytes.length));
}

/** The sentences in turn, each followed by a second of silence, to `seconds`: a WAV file in `folder`. */
function longFile(folder, seconds) {
  const sentences = clips.map(pcmOf);
  const total = seconds * RATE;
  const pcm = new Int16Array(total);
  for (let at = 0, i = 0; at < total; i++) {
    const sentence = sentences[i % sentences.length].subarray(0, total - at);
    pcm.set(sentence, at);
    at += sentence.length + RATE;
  }
  const file = path.join(folder, `speech-${seconds}s.wav`);
  writeWav(file, pcm);
  return file;
}

async function measure(model, work) {
  const home = mkdtempSync(path.join(os.tmpdir(), "verbatim-daemon-memory-"));
  const env = { ...process.env, VERBATIM_HOME: home, HF_HUB_OFFLINE: "1" };
  // No config file: a first run, which loads no model until asked.
  const daemon = spawn(process.execPath, [path.join(root, "daemon/bin/verbatimd.js")], { env, stdio: "ignore" });
  let client = null;
  const rows = [];
  const started = Date.now();
  const row = (after, rss = rssMb(daemon.pid), note = "") =>
    rows.push([after, rss.toFixed(0), ((Date.now() - started) / 1000).toFixed(0), load(), note]);
  try {
    for (let attempt = 0; attempt < 400 && !client; attempt++) {
      await sleep(50);
      client = await DaemonClient.connect(path.join(home, "verbatimd.sock"), { client: "daemon-memory-bench" }).catch(
        () => null,
      );
    }
    if (!client) throw new Error("the daemon did not start");
    await sleep(1000);
    row("started, no model");
    await client.request({ type: "model.switch", model });
    while ((await client.status()).model.state !== "ready") await sleep(100);
    row("model loaded");
    const loaded = rssMb(daemon.pid);
    const notices = new Set();
    const transcribe = async (file) => {
      const onEvent = (event) => event.type === "notice" && notices.add(event.message);
      const result = await client.transcribeFile(file, { options: { vad: true }, onEvent }).promise;
      return result.text;
    };
    for (let job = 1; job <= jobs; job++) {
      const text = await transcribe(clips[(job - 1) % clips.length]);
      if (job === 1 && !text.trim()) throw new Error("the first clip gave no text: is it speech?");
      if (job === 10 || job === 100 || job === 1000 || job === jobs) {
        await client.status(); // answered once the job's end has run (the trim as the queue drains included)
        row(`${job} jobs`, undefined, `+${(rssMb(daemon.pid) - loaded).toFixed(0)} MB over the load`);
      }
    }
    for (const file of work) {
      let peak = 0;
      const poll = setInterval(() => (peak = Math.max(peak, rssMb(daemon.pid))), 100);
      const jobStart = Date.now();
      await transcribe(file);
      clearInterval(poll);
      const seconds = ((Date.now() - jobStart) / 1000).toFixed(0);
      row(`${path.basename(file)}: peak`, Math.max(peak, rssMb(daemon.pid)), `${seconds} s`);
      await client.status();
      row(`${path.basename(file)}: after`);
      await sleep(8000);
      row(`${path.basename(file)}: idle 8 s`);
    }
    for (const notice of notices) console.log(`notice: ${notice}`);
  } finally {
    client?.close();
    daemon.kill("SIGTERM");
    await new Promise((resolve) => daemon.on("exit", resolve));
    rmSync(home, { recursive: true, force: true });
  }
  return rows;
}

const audio = mkdtempSync(path.join(os.tmpdir(), "verbatim-daemon-memory-audio-"));
try {
  const work = lengths.map((seconds) => longFile(audio, seconds));
  console.log(
    `# daemon memory: ${path.relative(process.cwd(), root) || "."}, ${jobs} jobs, ${os.cpus().length} cores, load average ${load()}`,
  );
  for (const model of models) {
    const rows = await measure(model, work);
    console.log(`\n${path.basename(model)}\n`);
    console.log("| after | RSS MB | elapsed s | load average | |");
    console.log("| --- | --- | --- | --- | --- |");
    for (const r of rows) console.log(`| ${r.join(" | ")} |`);
  }
} finally {
  rmSync(audio, { recursive: true, force: true });
}
