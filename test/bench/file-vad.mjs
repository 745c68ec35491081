#!/usr/bin/env node
// Files with and without `--vad` (transcribe only the speech the voice activity detector finds), through a real
// daemon as `verbatim transcribe` runs them, on:
//   - test/fixtures/heldout-long: 45-120 s of held-out sentences with pauses (espeak-ng's text and timings as truth):
//     WER, sentences timed within 0.5 s, segments or words that end after the audio;
//   - the 20 held-out sentences with 0-3 s of digital silence or brown noise (-50 dBFS) before and after them: WER,
//     words more than the same sentence gives without the pauses, times past the audio;
//   - the no-speech set (test/support/no-speech.cjs): the words each file gives, and what plain `transcribe` prints.
// The figures decide config fileVad's default; test/bench/README.md keeps them.
//
// usage: npx tsc -b && node test/bench/file-vad.mjs [--models verbatim-tiny-en,verbatim-tiny-en-4bit] [--threads 2]
//        (--models: names in test/fixtures/models or model folders)
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { normalizeWords, wordErrorRate } from "../support/words.cjs";
import { makeNoSpeechSet, surround } from "../support/no-speech.cjs";

const require = createRequire(import.meta.url);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const { DaemonClient } = require(path.join(repoRoot, "daemon/dist/client.js"));

const { values } = parseArgs({
  options: {
    models: { type: "string", default: "verbatim-tiny-en,verbatim-tiny-en-4bit" },
    threads: { type: "string", default: "2" },
  },
});
const fixtures = path.join(repoRoot, "test/fixtures");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const percent = (x) => `${(100 * x).toFixed(1)}%`;
const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");

const work = mkdtempSync(path.join(os.tmpdir(), "verbatim-file-vad-"));
mkdirSync(path.join(work, "no-speech"));
const noSpeech = makeNoSpeechSet(path.join(work, "no-speech"));
const heldout = JSON.parse(readFileSync(path.join(fixtures, "heldout/heldout.json"), "utf8"));
// Pauses of 0-3 s before and after each sentence, every other one in brown noise at -50 dBFS.
const padded = heldout.map((item, i) => {
  const file = path.join(work, `padded-${i}.wav`);
  const before = i % 4;
  const after = (i + 1) % 4;
  const noiseDb = i % 2 ? -50 : null;
  surround(path.join(fixtures, "heldout", item.file), file, { before, after, noiseDb });
  return { ...item, file, clean: path.join(fixtures, "heldout", item.file), before, after, noiseDb };
});
const long = JSON.parse(readFileSync(path.join(fixtures, "heldout-long/heldout-long.json"), "utf8")).map((item) => ({
  ...item,
  file: path.join(fixtures, "heldout-long", item.file),
}));

async function withDaemon(model, run) {
  const home = mkdtempSync(path.join(os.tmpdir(), "verbatim-bench-"));
  writeFileSync(path.join(home, "config.json"), JSON.stringify({ model, threads: Number(values.threads) }));
  const env = { ...process.env, VERBATIM_HOME: home, HF_HUB_OFFLINE: "1" };
  const daemon = spawn(process.execPath, [path.join(repoRoot, "daemon/bin/verbatimd.js")], { env, stdio: "ignore" });
  try {
    let client = null;
    for (let attempt = 0; attempt < 200 && !client; attempt++) {
      await sleep(50);
      client = await DaemonClient.connect(path.join(home, "verbatimd.sock"), { client: "file-vad-bench" }).catch(
        () => null,
      );
    }
    if (!client) throw new Error("the daemon did not start");
    try {
      return await run(client);
    } finally {
      client.close();
    }
  } finally {
    daemon.kill("SIGTERM");
    await new Promise((resolve) => daemon.on("exit", resolve));
    rmSync(home, { recursive: true, force: true });
  }
}

const transcribe = (client, file, vad, wordTimestamps = true) =>
  client.transcribeFile(file, { options: { vad, wordTimestamps } }).promise;

/** Segments and words that end after the audio they came from. */
const pastTheEnd = (t) =>
  t.segments.filter((s) => s.end > t.durationSeconds + 1e-6).length +
  t.segments.flatMap((s) => s.words ?? []).filter((w) => w.end > t.durationSeconds + 1e-6).length;

console.log(`# file VAD benchmark; ${os.cpus().length} cores, load average before: ${load()}`);
for (const name of values.models.split(",").filter(Boolean)) {
  const model = existsSync(path.join(name, "config.json")) ? path.resolve(name) : path.join(fixtures, "models", name);
  await withDaemon(model, async (client) => {
    const rows = [];
    for (const vad of [false, true]) {
      const started = Date.now();
      const longRuns = [];
      for (const item of long) longRuns.push({ item, t: await transcribe(client, item.file, vad) });
      const longSeconds = (Date.now() - started) / 1000;
      const near = (a, b) => Math.abs(a - b) <= 0.5;
      let timed = 0;
      let sentences = 0;
      for (const { item, t } of longRuns) {
        sentences += item.sentences.length;
        timed += item.sentences.filter(
          (s) => t.segments.some((g) => near(g.start, s.start)) && t.segments.some((g) => near(g.end, s.end)),
        ).length;
      }
      const paddedRuns = [];
      for (const item of padded) {
        const clean = vad ? null : (await transcribe(client, item.clean, false)).text;
        paddedRuns.push({ item, t: await transcribe(client, item.file, vad), clean });
      }
      const noSpeechRuns = [];
      for (const item of noSpeech) noSpeechRuns.push({ item, t: await transcribe(client, item.file, vad, false) });
      rows.push({ vad, longRuns, longSeconds, timed, sentences, paddedRuns, noSpeechRuns });
    }
    const cleanTexts = rows[0].paddedRuns.map((r) => r.clean);
    console.log(`\n## ${name} (load average ${load()})`);
    console.log(
      "| --vad | long: WER | long: sentences timed | long: s | padded sentences: WER | words more than without pauses | times past the end | no-speech files with words | words on them |",
    );
    console.log("|---|---|---|---|---|---|---|---|---|");
    for (const r of rows) {
      const added = r.paddedRuns.reduce(
        (n, run, i) => n + Math.max(0, normalizeWords(run.t.text).length - normalizeWords(cleanTexts[i]).length),
        0,
      );
      const past = [...r.longRuns, ...r.paddedRuns, ...r.noSpeechRuns].reduce((n, run) => n + pastTheEnd(run.t), 0);
      const wordsOnNoise = r.noSpeechRuns.map((run) => normalizeWords(run.t.text).length);
      console.log(
        `| ${r.vad ? "yes" : "no"} | ${percent(wordErrorRate(r.longRuns.map(({ item, t }) => ({ reference: item.text, hypothesis: t.text }))))} | ` +
          `${r.timed}/${r.sentences} | ${r.longSeconds.toFixed(1)} | ` +
          `${percent(wordErrorRate(r.paddedRuns.map(({ item, t }) => ({ reference: item.text, hypothesis: t.text }))))} | ${added} | ${past} | ` +
          `${wordsOnNoise.filter((n) => n > 0).length}/${wordsOnNoise.length} | ${wordsOnNoise.reduce((a, b) => a + b, 0)} |`,
      );
    }
    console.log("\nWhat plain `transcribe` (no --vad) prints on the no-speech files:");
    for (const run of rows[0].noSpeechRuns) console.log(`- ${run.item.name}: ${JSON.stringify(run.t.text)}`);
  });
}
console.log(`\n# load average after: ${load()}`);
rmSync(work, { recursive: true, force: true });
