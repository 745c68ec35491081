#!/usr/bin/env node
// How fast the transcript history searches a large history: 10,000 entries (7 in 10 dictations of 5-60 words, the
// rest file transcripts of 100-1,500 words, with segments; words drawn with Zipf frequencies from the fixture
// model's 1,200-word list, test/fixtures/train/words.txt) written into a real SQLite file through the module the
// daemon uses (daemon/dist/history/history-store.js), then searches of common, middling and rare words, two words,
// and three-letter prefixes (search as you type), timed in the module and through a real daemon on a real socket.
// Prints the median and 95th percentile per search, and the load average. The goal: under 50 ms per search.
//
// usage: npx tsc -b && node test/bench/history.mjs [--entries 10000] [--searches 100]
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const require = createRequire(import.meta.url);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const { HistoryStore } = require(path.join(repoRoot, "daemon/dist/history/history-store.js"));
const { DaemonClient } = require(path.join(repoRoot, "daemon/dist/client.js"));

const { values } = parseArgs({
  options: {
    entries: { type: "string", default: "10000" },
    searches: { type: "string", default: "100" },
  },
});
const entryCount = Number(values.entries);
const searchCount = Number(values.searches);

const words = readFileSync(path.join(repoRoot, "test/fixtures/train/words.txt"), "utf8").split("\n").filter(Boolean);

// A fixed seed: every run writes the same history.
let seed = 19;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};
const between = (low, high) => low + Math.floor(random() * (high - low + 1));
// Zipf (s = 1) over the list's order: rank r is drawn with probability proportional to 1 / r.
const cumulative = words.map((_, r) => 1 / (r + 1));
for (let r = 1; r < cumulative.length; r++) cumulative[r] += cumulative[r - 1];
const harmonic = cumulative.at(-1);
function zipfWord() {
  const target = random() * harmonic;
  let low = 0;
  let high = cumulative.length - 1;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (cumulative[mid] < target) low = mid + 1;
    else high = mid;
  }
  return words[low];
}

function transcript(wordCount) {
  const segments = [];
  let time = 0;
  for (let done = 0; done < wordCount;) {
    const n = Math.min(between(8, 25), wordCount - done);
    const text = Array.from({ length: n }, zipfWord).join(" ");
    const seconds = n * 0.4;
    segments.push({ start: time, end: time + seconds, text: text[0].toUpperCase() + text.slice(1) + "." });
    time += seconds;
    done += n;
  }
  return {
    text: segments.map((s) => s.text).join(" "),
    language: "en",
    durationSeconds: time,
    segments,
    model: "test/fixtures/models/verbatim-tiny-en",
    backend: "cpu",
  };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summary(times) {
  const sorted = [...times].sort((a, b) => a - b);
  return `median ${percentile(sorted, 50).toFixed(2)} ms, p95 ${percentile(sorted, 95).toFixed(2)} ms, max ${sorted.at(-1).toFixed(2)} ms`;
}

const queries = {
  "common word (rank 1-20)": () => words[between(0, 19)],
  "middling word (rank 100-400)": () => words[between(99, 399)],
  "rare word (rank 800-1200)": () => words[between(799, words.length - 1)],
  "two words": () => `${words[between(20, 300)]} ${words[between(20, 300)]}`,
  "three-letter prefix": () => {
    const candidates = words.filter((w) => w.length >= 4);
    return candidates[between(0, candidates.length - 1)].slice(0, 3);
  },
};

async function timeSearches(search) {
  const lines = [];
  for (const [kind, query] of Object.entries(queries)) {
    const times = [];
    let found = 0;
    for (let i = 0; i < searchCount; i++) {
      const text = query();
      const start = performance.now();
      const page = await search(text);
      times.push(performance.now() - start);
      found += page.entries.length;
    }
    lines.push(`  ${kind.padEnd(30)} ${summary(times)}  (${(found / searchCount).toFixed(1)} results per page of 50)`);
  }
  return lines.join("\n");
}

async function startDaemon(home) {
  const socket = path.join(home, "verbatimd.sock");
  const model = path.join(repoRoot, "test/fixtures/models/verbatim-tiny-en");
  writeFileSync(path.join(home, "config.json"), JSON.stringify({ model, threads: 1, historyDays: 0 }));
  const env = { ...process.env, VERBATIM_HOME: home, VERBATIM_SOCKET: socket, HF_HUB_OFFLINE: "1" };
  const child = spawn(process.execPath, [path.join(repoRoot, "daemon/bin/verbatimd.js")], { env, stdio: "ignore" });
  for (;;) {
    try {
      return { child, client: await DaemonClient.connect(socket, { client: "history-bench" }) };
    } catch (error) {
      if (child.exitCode !== null) throw new Error(`verbatimd exited with ${child.exitCode}`);
      if (error instanceof Error && !/not running|ENOENT|ECONNREFUSED/.test(error.message)) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const home = mkdtempSync(path.join(os.tmpdir(), "verbatim-history-bench-"));
try {
  const folder = path.join(home, "state", "history");
  mkdirSync(folder, { recursive: true });
  const store = HistoryStore.open(folder, { historyDays: 0, historyKeepsRecordings: false }, console);
  const writeStart = performance.now();
  for (let i = 0; i < entryCount; i++) {
    const dictation = random() < 0.7;
    store.record({
      kind: dictation ? "dictation" : "file",
      job: `bench-${i}`,
      transcript: transcript(dictation ? between(5, 60) : between(100, 1500)),
      sourceFile: dictation ? null : `/Users/someone/Recordings/meeting-${i}.m4a`,
      app: dictation ? "Notes" : null,
      audioFile: null,
    });
  }
  const writeSeconds = (performance.now() - writeStart) / 1000;
  console.log(
    `history: ${entryCount} entries written in ${writeSeconds.toFixed(1)} s (${((writeSeconds * 1000) / entryCount).toFixed(2)} ms each)`,
  );
  console.log(`in the module (daemon/dist/history/history-store.js), ${searchCount} searches of each kind:`);
  console.log(await timeSearches((text) => store.search(text)));
  const listTimes = [];
  for (let i = 0; i < searchCount; i++) {
    const start = performance.now();
    store.list(50, between(100, entryCount));
    listTimes.push(performance.now() - start);
  }
  console.log(`  ${"list, a page of 50".padEnd(30)} ${summary(listTimes)}`);
  store.close();

  const { child, client } = await startDaemon(home);
  try {
    console.log(`through verbatimd on its socket (request to answer), ${searchCount} searches of each kind:`);
    console.log(
      await timeSearches(async (text) => (await client.request({ type: "history.search", query: text })).history),
    );
  } finally {
    client.close();
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
  }
  console.log(
    `goal: under 50 ms per search; load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(", ")}`,
  );
} finally {
  rmSync(home, { recursive: true, force: true });
}
