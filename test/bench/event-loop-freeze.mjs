#!/usr/bin/env node
// How long one client's request can hold the daemon's event loop (issue 60, item 1). A real daemon with the trained
// fixture model and its HTTP API on; each path a client's text reaches gets the worst input that path takes, one
// after another, while a second client asks GET /health and the socket's `status` every 50 ms:
//   - HTTP: POST /v1/audio/transcriptions with a `prompt` field of one letter repeated, up to the form's 256 KiB;
//   - Realtime: session.update with such a prompt (a frame takes 16 MiB), then speech, so that a dictation starts;
//   - socket: a transcribe job whose prompt is one letter repeated, at the protocol's 4,096 characters;
//   - MCP: the transcribe_file tool with that prompt, through `verbatim mcp` and the MCP SDK's client;
//   - vocabulary: `verbatim vocabulary add` with 999 terms of 100 characters there already (and 1,000 replacements),
//     then a job with them; and the replacements of a one-hour transcript (48,600 characters) in the module, which
//     the daemon runs on its event loop when a job ends;
//   - modes: modes.add with a 4,000-character instruction, and modes.list;
//   - history: a search of 4,096 characters of common words (800 of them, 20 different) over 3,000 transcripts
//     written before the daemon starts (as test/bench/history.mjs writes them), a page of 500.
// Per path it prints the slowest answer to /health and to `status` while the path's work ran (an answer still
// awaited when it ended counts with its wait so far), and the load average. It prints figures only; nothing here is
// a test (test/e2e/event-loop.test.ts is).
//
// usage: npx tsc -b && node test/bench/event-loop-freeze.mjs [--prompt-chars 262000] [--realtime-prompt-chars N]
//   [--paths http,realtime,socket,mcp,vocabulary,modes,history] (the paths to run; all by default) [--history-page 500]
//   (--realtime-prompt-chars defaults to 16,000,000, near a Realtime frame's limit; before issue 60's fix a prompt
//   of that size held the daemon for days: give the same as --prompt-chars to measure that code)
import { execFile, execFileSync, fork, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import WebSocket from "ws";

const require = createRequire(import.meta.url);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const { DaemonClient } = require(path.join(repoRoot, "daemon/dist/client.js"));
const { Replacer } = require(path.join(repoRoot, "daemon/dist/vocabulary/replacements.js"));
const { HistoryStore } = require(path.join(repoRoot, "daemon/dist/history/history-store.js"));
const cli = path.join(repoRoot, "daemon/bin/verbatim.js");

const { values } = parseArgs({
  options: {
    "prompt-chars": { type: "string", default: "262000" },
    "realtime-prompt-chars": { type: "string", default: "16000000" },
    paths: { type: "string", default: "http,realtime,socket,mcp,vocabulary,modes,history" },
    "history-page": { type: "string", default: "500" },
  },
});
const chosenPaths = new Set(values.paths.split(","));
const PROMPT_CHARS = Number(values["prompt-chars"]);
const REALTIME_PROMPT_CHARS = Number(values["realtime-prompt-chars"]);
const SOCKET_PROMPT_CHARS = 4096;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.now();
const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");

const wav = path.join(repoRoot, "test/fixtures/heldout/heldout-07.wav");
const home = mkdtempSync(path.join(os.tmpdir(), "verbatim-freeze-bench-"));
const socketPath = path.join(home, "verbatimd.sock");
const env = { ...process.env, VERBATIM_HOME: home, VERBATIM_SOCKET: socketPath, HF_HUB_OFFLINE: "1" };

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Distinct texts of 100 characters that cost the tokenizer the most per term (runs of "=" and "-"). */
const worstTerms = (count) =>
  Array.from({ length: count }, (_, i) => {
    const tail = `${i}`;
    return (i % 2 ? "=" : "-").repeat(100 - tail.length) + tail;
  });
/** Replacements whose `from`s share their first 90 characters with the transcript's most common run. */
const sharedPrefix = "the quick brown fox jumps over the lazy dog and then some more words follow here the quick ";
const worstReplacements = (count) =>
  Array.from({ length: count }, (_, i) => ({ from: `${sharedPrefix}${i}`.slice(0, 100), to: "x" }));

const port = await freePort();
const config = {
  model: path.join(repoRoot, "test/fixtures/models/verbatim-tiny-en"),
  threads: 2,
  api: { enabled: true, port, host: "127.0.0.1" },
  vocabulary: { terms: worstTerms(999), replacements: worstReplacements(1000) },
};
writeFileSync(path.join(home, "config.json"), JSON.stringify(config));
const historyWords = readFileSync(path.join(repoRoot, "test/fixtures/train/words.txt"), "utf8")
  .split("\n")
  .filter(Boolean);
if (chosenPaths.has("history")) writeHistory(3000);

/** `count` transcripts (7 in 10 dictations of 5-60 words, the rest files of 100-1,500), words drawn as Zipf's law. */
function writeHistory(count) {
  const folder = path.join(home, "state", "history");
  mkdirSync(folder, { recursive: true });
  const store = HistoryStore.open(folder, { historyDays: 0, historyKeepsRecordings: "none" }, console);
  let seed = 19;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const weights = historyWords.map((_, rank) => 1 / (rank + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const word = () => {
    let target = random() * total;
    for (let rank = 0; rank < weights.length; rank++) if ((target -= weights[rank]) <= 0) return historyWords[rank];
    return historyWords[0];
  };
  for (let i = 0; i < count; i++) {
    const dictation = random() < 0.7;
    const length = dictation ? 5 + Math.floor(random() * 56) : 100 + Math.floor(random() * 1401);
    const text = Array.from({ length }, word).join(" ");
    const transcript = {
      text,
      language: "en",
      durationSeconds: length * 0.4,
      segments: [],
      model: "m",
      backend: "cpu",
    };
    store.record({
      kind: dictation ? "dictation" : "file",
      job: `h${i}`,
      transcript,
      sourceFile: null,
      app: null,
      audioFile: null,
    });
  }
  store.close();
}
const daemon = spawn(
  process.execPath,
  [
    ...(process.env.DAEMON_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.DAEMON_PROF}`] : []),
    path.join(repoRoot, "daemon/bin/verbatimd.js"),
  ],
  { env, stdio: "ignore" },
);

/**
 * The client that asks GET /health and `status` every 50 ms, in a process of its own (test/support/answer-times-client.cjs)
 * so that this script's own work (building and sending a 16 MiB event) never counts as the daemon's.
 */
async function startAnswerTimes(token) {
  const child = fork(path.join(repoRoot, "test/support/answer-times-client.cjs"), {
    execArgv: [],
    env: { ...env, ANSWER_TIMES_PORT: String(port), ANSWER_TIMES_TOKEN: token },
  });
  const first = await new Promise((resolve) => child.once("message", resolve));
  if (first !== "ready") throw new Error(`the answer-times client did not start: ${JSON.stringify(first)}`);
  return {
    /** The longest wait for /health and for `status` since the last call. */
    worst: () =>
      new Promise((resolve) => {
        child.once("message", resolve);
        child.send("worst");
      }),
    stop: () => child.kill(),
  };
}

async function httpPrompt(token) {
  const form = new FormData();
  form.append("file", new Blob([readFileSync(wav)]), "heldout-07.wav");
  form.append("model", "whisper-1");
  form.append("prompt", "a".repeat(PROMPT_CHARS));
  const response = await fetch(`http://127.0.0.1:${port}/v1/audio/transcriptions`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  return `HTTP ${response.status}`;
}

async function realtimePrompt(token) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/realtime`, {
    headers: { authorization: `Bearer ${token}` },
    maxPayload: 64 * 1024 * 1024,
  });
  const events = [];
  const waitFor = (types) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = events.find((event) => types.includes(event.type));
        if (found) return resolve(found);
        if (ws.readyState === WebSocket.CLOSED) return reject(new Error("the Realtime socket closed"));
        setTimeout(check, 20);
      };
      check();
    });
  ws.on("message", (data) => {
    const event = JSON.parse(String(data));
    events.push(event.type === "session.updated" ? { type: event.type } : event);
  });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  const prompt = "a".repeat(REALTIME_PROMPT_CHARS);
  ws.send(
    JSON.stringify({
      type: "session.update",
      session: { type: "transcription", audio: { input: { transcription: { model: "whisper-1", prompt } } } },
    }),
  );
  await waitFor(["session.updated", "error"]);
  const pcm = execFileSync("sox", [wav, "-t", "raw", "-r", "24000", "-e", "signed", "-b", "16", "-c", "1", "-"]);
  for (let offset = 0; offset < pcm.length; offset += 4800) {
    ws.send(
      JSON.stringify({
        type: "input_audio_buffer.append",
        audio: pcm.subarray(offset, offset + 4800).toString("base64"),
      }),
    );
  }
  ws.send(JSON.stringify({ type: "input_audio_buffer.commit" }));
  const outcome = await waitFor([
    "conversation.item.input_audio_transcription.completed",
    "conversation.item.input_audio_transcription.failed",
    "error",
  ]);
  ws.close();
  return outcome.type;
}

async function socketPrompt(client) {
  const handle = client.transcribeFile(wav, { options: { prompt: "a".repeat(SOCKET_PROMPT_CHARS) } });
  const transcript = await handle.promise;
  return `${transcript.text.length} characters`;
}

async function mcpPrompt() {
  const mcp = new Client({ name: "freeze-bench", version: "1.0.0" });
  await mcp.connect(new StdioClientTransport({ command: process.execPath, args: [cli, "mcp"], env }));
  try {
    const result = await mcp.callTool({
      name: "transcribe_file",
      arguments: { path: wav, prompt: "a".repeat(SOCKET_PROMPT_CHARS) },
    });
    return result.isError ? "refused" : "transcribed";
  } finally {
    await mcp.close();
  }
}

async function vocabularyAdd(client) {
  const added = await new Promise((resolve) =>
    execFile(process.execPath, [cli, "vocabulary", "add", "=".repeat(96) + "last"], { env }, (error) =>
      resolve(error ? `exit ${error.code}` : "added"),
    ),
  );
  const transcript = await client.transcribeFile(wav).promise;
  return `${added}; job ${transcript.text.length} characters`;
}

function replacementsInModule() {
  const text = `${sharedPrefix.repeat(4)}`.repeat(150);
  const start = now();
  new Replacer(worstReplacements(1000)).replace(text);
  return { ms: now() - start, chars: text.length };
}

async function modes(client) {
  const mode = {
    name: "x".repeat(40),
    apps: Array.from({ length: 100 }, (_, i) => `com.example.app${i}`),
    finishing: "none",
    instruction: "a".repeat(4000),
    deliver: "paste",
  };
  await client.request({ type: "modes.add", mode });
  await client.request({ type: "modes.list" });
  return "added and listed";
}

async function historySearch(client) {
  const query = Array.from({ length: 800 }, (_, i) => historyWords[i % 20])
    .join(" ")
    .slice(0, 4096);
  const answer = await client
    .request({ type: "history.search", query, limit: Number(values["history-page"]) })
    .catch((error) => error);
  return answer instanceof Error ? `refused: ${answer.message}` : `${answer.history.entries.length} entries`;
}

let client = null;
let startClient = null;
let answers = null;
try {
  for (let attempt = 0; attempt < 300 && !startClient; attempt++) {
    await sleep(100);
    startClient = await DaemonClient.connect(socketPath, { client: "freeze-bench-start" }).catch(() => null);
  }
  if (!startClient) throw new Error("the daemon did not start");
  for (let state = ""; state !== "ready"; await sleep(100)) {
    state = (await startClient.request({ type: "status" })).status.model.state;
    if (state === "failed") throw new Error("the daemon could not load the fixture model");
  }
  client = await DaemonClient.connect(socketPath, { client: "freeze-bench" });
  const token = readFileSync(path.join(home, "api-token"), "utf8").trim();
  console.log(`# event-loop freeze: ${os.cpus()[0].model}, ${os.cpus().length} cores, Node ${process.version}`);
  console.log(`# load average before: ${load()}`);
  // The voice detector's runtime loads at its first use, once for the daemon's life: a job before measuring.
  await client.transcribeFile(wav).promise;
  answers = await startAnswerTimes(token);
  await sleep(500);
  await answers.worst();
  const paths = [
    [`HTTP prompt, ${PROMPT_CHARS} characters`, () => httpPrompt(token)],
    [`Realtime session.update prompt, ${REALTIME_PROMPT_CHARS} characters`, () => realtimePrompt(token)],
    [`socket transcribe prompt, ${SOCKET_PROMPT_CHARS} characters`, () => socketPrompt(client)],
    [`MCP transcribe_file prompt, ${SOCKET_PROMPT_CHARS} characters`, () => mcpPrompt()],
    ["vocabulary add (999 terms, 1,000 replacements there), then a job", () => vocabularyAdd(client)],
    ["modes.add (4,000-character instruction, 100 apps), modes.list", () => modes(client)],
    [
      `history search, 800 common words (20 different), 3,000 transcripts, a page of ${values["history-page"]}`,
      () => historySearch(client),
    ],
  ].filter((_, index) =>
    chosenPaths.has(["http", "realtime", "socket", "mcp", "vocabulary", "modes", "history"][index]),
  );
  console.log("| path | outcome | worst /health (ms) | worst status (ms) | took (s) |");
  console.log("|---|---|---|---|---|");
  for (const [name, run] of paths) {
    const from = now();
    const outcome = await run().catch((error) => `failed: ${error.message}`);
    const to = now();
    await sleep(200);
    const worst = await answers.worst();
    console.log(
      `| ${name} | ${outcome} | ${worst.health.toFixed(0)} | ${worst.status.toFixed(0)} | ${((to - from) / 1000).toFixed(1)} |`,
    );
  }
  const replaced = chosenPaths.has("vocabulary") ? replacementsInModule() : null;
  if (replaced) {
    console.log(
      `| replacements of a ${replaced.chars}-character transcript (1,000 replacements), in the module | - | ` +
        `${replaced.ms.toFixed(0)} (its run time) | - | - |`,
    );
  }
  console.log(`# load average after: ${load()}`);
} finally {
  answers?.stop();
  client?.close();
  startClient?.close();
  daemon.kill("SIGTERM");
  await new Promise((resolve) => daemon.once("exit", resolve));
  rmSync(home, { recursive: true, force: true });
}
