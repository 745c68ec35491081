#!/usr/bin/env node
// The daemon's memory over many short file jobs with the voice activity detector on (`--vad`, config fileVad's
// default): its resident set size at the start, after 100 jobs and after all of them. A detector that kept
// something per job would show here as growth in megabytes per job.
//
// usage: npx tsc -b && node test/bench/vad-memory.mjs [--jobs 1000] [--clip test/fixtures/heldout/heldout-00.wav]
//        [--model verbatim-tiny-en] (--model: a name in test/fixtures/models or a model folder)
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
    clip: { type: "string", default: path.join(repoRoot, "test/fixtures/heldout/heldout-00.wav") },
    model: { type: "string", default: "verbatim-tiny-en" },
  },
});
const jobs = Number(values.jobs);
const clip = path.resolve(values.clip);
const model = existsSync(path.join(values.model, "config.json"))
  ? path.resolve(values.model)
  : path.join(repoRoot, "test/fixtures/models", values.model);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
/** The process's resident set size in MB, as `ps` reports it (Linux and macOS alike). */
const rssMb = (pid) => Number(execFileSync("ps", ["-o", "rss=", "-p", String(pid)], { encoding: "utf8" })) / 1024;

const home = mkdtempSync(path.join(os.tmpdir(), "verbatim-vad-memory-"));
writeFileSync(path.join(home, "config.json"), JSON.stringify({ model, threads: 2 }));
const env = { ...process.env, VERBATIM_HOME: home, HF_HUB_OFFLINE: "1" };
const daemon = spawn(process.execPath, [path.join(repoRoot, "daemon/bin/verbatimd.js")], { env, stdio: "ignore" });
let client = null;
try {
  for (let attempt = 0; attempt < 200 && !client; attempt++) {
    await sleep(50);
    client = await DaemonClient.connect(path.join(home, "verbatimd.sock"), { client: "vad-memory-bench" }).catch(
      () => null,
    );
  }
  if (!client) throw new Error("the daemon did not start");
  while ((await client.status()).model.state !== "ready") await sleep(100);

  console.log(`# daemon memory over ${jobs} file jobs with --vad; ${os.cpus().length} cores, load average ${load()}`);
  console.log(`model ${path.basename(model)}, clip ${path.relative(repoRoot, clip)}`);
  const started = Date.now();
  const rows = [["after", "RSS MB", "elapsed s", "load average"]];
  const row = (after) =>
    rows.push([after, rssMb(daemon.pid).toFixed(0), ((Date.now() - started) / 1000).toFixed(0), load()]);
  row("start (model loaded)");
  const notices = new Map(); // each notice, with the job that first gave it
  for (let job = 1; job <= jobs; job++) {
    const onEvent = (event) =>
      event.type === "notice" && !notices.has(event.message) && notices.set(event.message, job);
    const result = await client.transcribeFile(clip, { options: { vad: true }, onEvent }).promise;
    if (job === 1 && !result.text.trim()) throw new Error(`the clip gave no text: is it speech?`);
    if (job === 1 || job === 10 || job === 100 || job % 250 === 0 || job === jobs) row(`${job} jobs`);
  }
  rows.splice(
    1,
    0,
    rows[0].map(() => "---"),
  );
  console.log("\n| " + rows.map((r) => r.join(" | ")).join(" |\n| ") + " |");
  console.log(`\n${jobs} jobs in ${((Date.now() - started) / 1000).toFixed(0)} s; load average after: ${load()}`);
  for (const [notice, job] of notices) console.log(`notice, first at job ${job}: ${notice}`);
} finally {
  client?.close();
  daemon.kill("SIGTERM");
  await new Promise((resolve) => daemon.on("exit", resolve));
  rmSync(home, { recursive: true, force: true });
}
