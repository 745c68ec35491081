#!/usr/bin/env node
// The daemon's logs and answers while jobs keep asking for a configured model that cannot load (issue 60, item 2):
// a fresh home whose default model is not downloaded, offline; the daemon started as `verbatim daemon start` starts
// it (its output captured in verbatimd.out.log); one job with a model of its own (the test model, which then stays
// loaded); then --jobs jobs without one, one after another. Prints, every --every jobs, the size of verbatimd.log and
// verbatimd.out.log (with their .1 files), the slowest job so far, how each ended, and the status's answer time.
//
// usage: npx tsc -b && node test/bench/failing-model-logs.mjs [--jobs 1000] [--every 100] [--ready-timeout 10]
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const require = createRequire(import.meta.url);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const { DaemonClient } = require(path.join(repoRoot, "daemon/dist/client.js"));

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "1000" },
    every: { type: "string", default: "100" },
    "ready-timeout": { type: "string", default: "10" },
  },
});
const jobs = Number(values.jobs);
const every = Number(values.every);
const wav = path.join(repoRoot, "test/fixtures/heldout/heldout-07.wav");
const model = path.join(repoRoot, "test/fixtures/models/verbatim-tiny-en");
const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");

const home = mkdtempSync(path.join(os.tmpdir(), "verbatim-failing-model-"));
const logs = path.join(home, "logs");
writeFileSync(path.join(home, "config.json"), JSON.stringify({ readyTimeoutSeconds: Number(values["ready-timeout"]) }));
const env = { ...process.env, VERBATIM_HOME: home, HF_HUB_OFFLINE: "1", HF_HUB_CACHE: path.join(home, "hub") };
const verbatim = (...args) =>
  execFileSync(process.execPath, [path.join(repoRoot, "daemon/bin/verbatim.js"), ...args], { env, encoding: "utf8" });
/** Bytes of a log file and its .1, 0 where there is none. */
const size = (name) =>
  [name, `${name}.1`].reduce(
    (sum, file) => sum + (statSync(path.join(logs, file), { throwIfNoEntry: false })?.size ?? 0),
    0,
  );
const kb = (bytes) => (bytes / 1024).toFixed(1);

verbatim("daemon", "start");
const client = await DaemonClient.connect(path.join(home, "verbatimd.sock"), { client: "failing-model-bench" });
try {
  console.log(
    `# jobs asking for a configured model that cannot load; ${os.cpus().length} cores, load average ${load()}`,
  );
  const first = await client.transcribeFile(wav).promise.catch((error) => error);
  console.log(`first job: ${first.code}: ${first.message}`);
  await client.transcribeFile(wav, { options: { model } }).promise;
  console.log(`a job with --model ${path.relative(repoRoot, model)}: done\n`);

  const ended = new Map();
  let slowest = 0;
  const started = performance.now();
  console.log("jobs | verbatimd.log KiB | verbatimd.out.log KiB | slowest job s | status ms | elapsed s | ended");
  for (let i = 1; i <= jobs; i++) {
    const before = performance.now();
    const outcome = await client.transcribeFile(wav).promise.then(
      () => "done",
      (error) => error.code,
    );
    slowest = Math.max(slowest, (performance.now() - before) / 1000);
    ended.set(outcome, (ended.get(outcome) ?? 0) + 1);
    if (i % every === 0 || i === jobs) {
      const asked = performance.now();
      await client.status();
      const statusMs = performance.now() - asked;
      const outcomes = [...ended].map(([code, n]) => `${code} ${n}`).join(", ");
      console.log(
        `${i} | ${kb(size("verbatimd.log"))} | ${kb(size("verbatimd.out.log"))} | ${slowest.toFixed(2)} | ` +
          `${statusMs.toFixed(1)} | ${((performance.now() - started) / 1000).toFixed(1)} | ${outcomes}`,
      );
    }
  }
  const attempts = readFileSync(path.join(logs, "verbatimd.log"), "utf8")
    .split("\n")
    .filter((line) => line.includes('"message":"loading model"') && line.includes('"large-v3-turbo-4bit"')).length;
  console.log(`\nloads of large-v3-turbo-4bit logged: ${attempts}; load average ${load()}`);
} finally {
  client.close();
  verbatim("daemon", "stop");
  rmSync(home, { recursive: true, force: true });
}
