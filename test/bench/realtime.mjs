#!/usr/bin/env node
// Realtime latency as an app meets it, beside dictation's on the same audio in the same run (issue 42). A real daemon
// with the trained fixture model, its API on with TLS; held-out sentences, each with 1.5 s of silence before and
// after, streamed at real-time pace (100 ms of audio every 100 ms) once through the official `openai` package's
// `OpenAIRealtimeWS` client (24 kHz PCM16, server VAD at its defaults: 300 ms padding, 500 ms of silence), then once
// as a dictation through the socket (`dictation.start` with source `stream`, 16 kHz PCM16, as stream.mjs feeds it).
// A sentence's true start and end are its first and last samples louder than -60 dBFS; "sent" is when the 100 ms
// chunk holding that sample went out. Per turn it prints, median and 90th percentile:
//   - Realtime: true start → `input_audio_buffer.speech_started`; true start → the turn's first
//     `conversation.item.input_audio_transcription.delta`; `speech_stopped` → `...completed` (and true end →
//     `completed`, which adds the 500 ms of silence server VAD waits for);
//   - dictation: true start → the utterance's first committed text (`dictation.committed`); true end → its final
//     text (`dictation.utterance`, after the 0.6 s of silence `utteranceSilenceSeconds` waits for).
// It prints figures only; nothing here is a test.
//
// usage: npx tsc -b && node test/bench/realtime.mjs [--files 15] [--threads 2] [--model FOLDER]
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import OpenAI from "openai";
import { OpenAIRealtimeWS } from "openai/realtime/ws";

const require = createRequire(import.meta.url);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const { DaemonClient } = require(path.join(repoRoot, "daemon/dist/client.js"));

const fixtures = path.join(repoRoot, "test/fixtures");
const { values } = parseArgs({
  options: {
    files: { type: "string", default: "15" },
    threads: { type: "string", default: "2" },
    model: { type: "string", default: path.join(fixtures, "models/verbatim-tiny-en") },
  },
});
const PAD_SECONDS = 1.5;
const CHUNK_SECONDS = 0.1;
const heldout = JSON.parse(readFileSync(path.join(fixtures, "heldout/heldout.json"), "utf8")).slice(
  0,
  Number(values.files),
);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.now() / 1000;
const quantile = (xs, q) => {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
const fmt = (x) => (Number.isFinite(x) ? x.toFixed(2) : "-");
const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");

/** 16-bit mono PCM of `file` at `rate` with PAD_SECONDS of digital silence before and after, as sox makes it. */
function pcm(file, rate) {
  return execFileSync("sox", [
    ...[file, "-t", "raw", "-r", String(rate), "-e", "signed", "-b", "16", "-c", "1", "-"],
    ...["pad", String(PAD_SECONDS), String(PAD_SECONDS)],
  ]);
}

/** The whole stream at `rate`: every sentence padded, one after another, with each sentence's true start and end
 *  (in samples of the stream: its first and last sample louder than -60 dBFS). */
function stream(rate) {
  const parts = [];
  const sounds = [];
  let offset = 0;
  for (const { file } of heldout) {
    const part = pcm(path.join(fixtures, "heldout", file), rate);
    const samples = new Int16Array(part.buffer, part.byteOffset, part.length / 2);
    const loud = (i) => Math.abs(samples[i]) > 32;
    let first = 0;
    while (!loud(first)) first++;
    let last = samples.length - 1;
    while (!loud(last)) last--;
    sounds.push({ start: offset + first, end: offset + last });
    parts.push(part);
    offset += samples.length;
  }
  return { audio: Buffer.concat(parts), sounds, rate };
}

/** Sends `audio` in 100 ms chunks at real-time pace; answers when each chunk went out (seconds, `now()`). */
async function sendAtRealTimePace({ audio, rate }, send) {
  const chunkBytes = 2 * Math.round(rate * CHUNK_SECONDS);
  const sentAt = [];
  const t0 = now();
  for (let offset = 0, k = 0; offset < audio.length; offset += chunkBytes, k++) {
    sentAt.push(now());
    send(audio.subarray(offset, offset + chunkBytes));
    await sleep(Math.max(0, (t0 + (k + 1) * CHUNK_SECONDS - now()) * 1000));
  }
  return sentAt;
}

/** When the chunk holding sample `sample` of a stream at `rate` went out. */
const sentTime = (sentAt, sample, rate) => sentAt[Math.floor(sample / Math.round(rate * CHUNK_SECONDS))];

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

async function waitFor(condition, what, seconds = 60) {
  for (const deadline = now() + seconds; !condition(); await sleep(20)) {
    if (now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

/** Realtime through `OpenAIRealtimeWS`: one session, server VAD; the events with when they arrived. */
async function realtimeRun({ port, certificate, token }, input) {
  const openai = new OpenAI({ apiKey: token, baseURL: `https://127.0.0.1:${port}/v1` });
  const rt = new OpenAIRealtimeWS({ model: "whisper-1", options: { ca: certificate } }, openai);
  const received = [];
  rt.on("event", (event) => received.push({ event, at: now() }));
  rt.on("error", () => undefined); // error events are in `received` too
  await new Promise((resolve, reject) => {
    rt.socket.once("open", resolve);
    rt.socket.once("error", reject);
  });
  rt.send({
    type: "session.update",
    session: {
      type: "transcription",
      audio: {
        input: {
          transcription: { model: "whisper-1", language: "en" },
          turn_detection: { type: "server_vad", prefix_padding_ms: 300, silence_duration_ms: 500 },
        },
      },
    },
  });
  const ofType = (type) => received.filter((r) => r.event.type === type);
  await waitFor(() => ofType("session.updated").length > 0, "session.updated");
  const sentAt = await sendAtRealTimePace(input, (chunk) =>
    rt.send({ type: "input_audio_buffer.append", audio: chunk.toString("base64") }),
  );
  const completedType = "conversation.item.input_audio_transcription.completed";
  await waitFor(() => ofType(completedType).length >= input.sounds.length, "every turn's transcript", 30);
  const closed = new Promise((resolve) => rt.socket.once("close", resolve));
  rt.close();
  await closed;
  const errors = ofType("error").map((r) => JSON.stringify(r.event.error));
  if (errors.length) console.log(`# Realtime errors: ${errors.join("; ")}`);

  const started = ofType("input_audio_buffer.speech_started");
  const stopped = ofType("input_audio_buffer.speech_stopped");
  const completed = ofType(completedType);
  const deltas = ofType("conversation.item.input_audio_transcription.delta");
  const turns = started.map((s, k) => {
    const item = s.event.item_id;
    const sound = input.sounds[k];
    const start = sentTime(sentAt, sound?.start ?? 0, input.rate);
    const end = sentTime(sentAt, sound?.end ?? 0, input.rate);
    const stop = stopped.find((r) => r.event.item_id === item);
    const done = completed.find((r) => r.event.item_id === item);
    const firstDelta = deltas.find((r) => r.event.item_id === item && r.event.delta);
    return {
      speechStarted: s.at - start,
      firstText: firstDelta ? firstDelta.at - start : NaN,
      stoppedToFinal: stop && done ? done.at - stop.at : NaN,
      endToFinal: done ? done.at - end : NaN,
    };
  });
  return { turns, count: started.length };
}

/** Dictation through the socket (as stream.mjs): dictation.start, 16 kHz PCM frames at real-time pace. */
async function dictationRun(client, input) {
  const committed = [];
  const utterances = [];
  let session = null;
  const outcome = client.request({ type: "dictation.start", source: "stream", options: { language: "en" } }, (e) => {
    if (e.type === "dictation.started") session = e.session;
    if (e.type === "dictation.committed" && e.text) committed.push({ utterance: e.utterance, at: now() });
    if (e.type === "dictation.utterance") utterances.push({ index: e.index, at: now() });
  });
  await waitFor(() => session !== null, "dictation.started");
  const sentAt = await sendAtRealTimePace(input, (chunk) => client.sendAudio(session, chunk));
  await waitFor(() => utterances.length >= input.sounds.length, "every utterance's final text", 30);
  await client.request({ type: "dictation.stop", session });
  await outcome;
  const turns = utterances.map((u, k) => {
    const sound = input.sounds[k];
    const start = sentTime(sentAt, sound?.start ?? 0, input.rate);
    const end = sentTime(sentAt, sound?.end ?? 0, input.rate);
    const first = committed.find((c) => c.utterance === u.index);
    return { firstText: first ? first.at - start : NaN, endToFinal: u.at - end };
  });
  return { turns, count: utterances.length };
}

const cores = os.cpus().length;
console.log(
  `# Realtime and dictation latency: ${os.cpus()[0].model}, ${cores} cores, ${values.threads} threads, ` +
    `${path.basename(values.model)}, ${heldout.length} held-out sentences with ${PAD_SECONDS} s of silence around each`,
);
const loadBefore = load();
console.log(`# load average before: ${loadBefore}`);

const home = mkdtempSync(path.join(os.tmpdir(), "verbatim-realtime-bench-"));
const port = await freePort();
const config = {
  model: values.model,
  threads: Number(values.threads),
  api: { enabled: true, port: await freePort(), host: "127.0.0.1", tls: true, tlsPort: port },
};
writeFileSync(path.join(home, "config.json"), JSON.stringify(config));
const env = {
  ...process.env,
  VERBATIM_HOME: home,
  VERBATIM_SOCKET: path.join(home, "verbatimd.sock"),
  HF_HUB_OFFLINE: "1",
};
const daemon = spawn(process.execPath, [path.join(repoRoot, "daemon/bin/verbatimd.js")], { env, stdio: "ignore" });
let client = null;
try {
  for (let attempt = 0; attempt < 200 && !client; attempt++) {
    await sleep(50);
    client = await DaemonClient.connect(env.VERBATIM_SOCKET, { client: "realtime-bench" }).catch(() => null);
  }
  if (!client) throw new Error("the daemon did not start");
  for (let state = ""; state !== "ready"; await sleep(100)) {
    state = (await client.request({ type: "status" })).status.model.state;
    if (state === "failed") throw new Error(`the daemon could not load ${values.model}`);
  }
  const api = {
    port,
    certificate: readFileSync(path.join(home, "api-tls", "certificate.pem")),
    token: readFileSync(path.join(home, "api-token"), "utf8").trim(),
  };

  const realtime = await realtimeRun(api, stream(24_000));
  // The Realtime session's dictation ends once its socket closed: wait for it before the next dictation.
  for (;;) {
    const answer = await client.request({ type: "dictation.list" });
    const dictations = answer.type === "done" ? (answer.dictations ?? []) : [];
    if (dictations.every((d) => d.state !== "running" && d.state !== "stopping")) break;
    await sleep(100);
  }
  const dictation = await dictationRun(client, stream(16_000));

  const row = (name, turns, count, key) => {
    const xs = turns.map((t) => t[key]).filter(Number.isFinite);
    return `| ${name} | ${count}/${heldout.length} | ${fmt(quantile(xs, 0.5))} | ${fmt(quantile(xs, 0.9))} |`;
  };
  console.log("| figure (seconds) | turns | median | p90 |");
  console.log("|---|---|---|---|");
  console.log(row("Realtime: speech start → speech_started", realtime.turns, realtime.count, "speechStarted"));
  console.log(row("Realtime: speech start → first delta", realtime.turns, realtime.count, "firstText"));
  console.log(row("Realtime: speech_stopped → completed", realtime.turns, realtime.count, "stoppedToFinal"));
  console.log(row("Realtime: speech end → completed", realtime.turns, realtime.count, "endToFinal"));
  console.log(row("dictation: speech start → first committed text", dictation.turns, dictation.count, "firstText"));
  console.log(row("dictation: speech end → utterance's final text", dictation.turns, dictation.count, "endToFinal"));
} finally {
  client?.close();
  daemon.kill("SIGTERM");
  await new Promise((resolve) => daemon.on("exit", resolve));
  rmSync(home, { recursive: true, force: true });
}
console.log(`# load average after: ${load()} (before: ${loadBefore}), ${cores} cores`);
