// No client's request holds the daemon's event loop (issue 60, item 1). Each path a client's text reaches gets the
// worst input it takes: the HTTP API's `prompt` field at the form's 256 KiB (the `openai` client), a Realtime
// session.update whose prompt fills most of a 16 MiB frame (the `openai` Realtime client), the socket's transcribe
// and dictation prompts, a history search and a mode's instruction at the protocol's limits, MCP's transcribe_file
// prompt (the MCP SDK's client through `verbatim mcp`), and `verbatim vocabulary add` beside 999 terms and 1,000
// replacements of 100 characters each. Meanwhile a client in a process of its own (test/support/answer-times.ts) asks
// GET /health and the socket's `status` every 50 ms: every answer comes within 1 s.
//
// Why 1 s: after the fix, the longest step any of these requests takes on the daemon's thread is receiving, then
// decoding and parsing, the 16 MiB Realtime frame, about 0.1 s of CPU each (0.11-0.2 s for all of it, measured
// apart); tokenizing a prompt's 2,000-character tail takes at most 13 ms, the voice detector yields between its 2 ms
// frames, and decoding runs on the engine's own thread. 1 s is ten times the longest step: it holds wherever the
// daemon's thread gets a tenth of a core. On the 2-core machine this was written on, at a load average of 17 to 23
// (other builds beside it), the slowest answers were 0.1-0.3 s on every path but Realtime's, 0.75-1.35 s there. Before
// the fix the HTTP prompt held the event loop for 285 s (test/bench/event-loop-freeze.mjs), so the bound tells the
// two apart by orders of magnitude. The engine gets one thread, so that the daemon's keeps a core of a 2-core machine.
import { readFileSync } from "node:fs";
import path from "node:path";
import OpenAI, { toFile } from "openai";
import { apiToken, freePort } from "../support/api";
import { AnswerTimes } from "../support/answer-times";
import { DaemonProcess } from "../support/daemon-process";
import { heldoutWav, pcmOf, sendPcm, startDictation, stopDictation, waitFor } from "../support/dictation";
import { fixtureModel } from "../support/fixtures";
import { connectMcp, toolText } from "../support/mcp";
import { connectRealtime, ofType, pcm24 } from "../support/realtime";
import type { DaemonClient } from "../../daemon/src/client";

jest.setTimeout(180_000);

/** The slowest answer allowed to /health or `status` while a path gets its worst input. */
const BOUND_MS = 1000;
/** The form's field limit is 256 KiB; a prompt of one letter repeated is the encoder's worst text. */
const HTTP_PROMPT = "a".repeat(256 * 1024 - 64);
/** A Realtime frame takes 16 MiB; the rest of the event fits in the last KiB. */
const REALTIME_PROMPT = "a".repeat(16 * 1024 * 1024 - 1024);
/** The socket's longest text field. */
const SOCKET_PROMPT = "a".repeat(4096);

const wav = heldoutWav("heldout-07.wav");
/** Distinct terms of 100 characters, runs of "=" and "-": the tokenizer's costliest per character in a term. */
const terms = Array.from({ length: 999 }, (_, i) => `${(i % 2 ? "=" : "-").repeat(97 - String(i).length)}${i}end`);
const replacements = Array.from({ length: 1000 }, (_, i) => ({ from: `${"the level far ".repeat(6)}${i}`, to: "x" }));

let daemon: DaemonProcess;
let port: number;
let tlsPort: number;
let certificate: Buffer;
let client: DaemonClient;
let answers: AnswerTimes;

beforeAll(async () => {
  port = await freePort();
  tlsPort = await freePort();
  daemon = await DaemonProcess.ready({
    model: fixtureModel(),
    threads: 1,
    api: { enabled: true, port, host: "127.0.0.1", tls: true, tlsPort },
    vocabulary: { terms, replacements },
  });
  certificate = readFileSync(path.join(daemon.home, "api-tls", "certificate.pem"));
  client = await daemon.connect();
  // The voice detector's runtime (ONNX Runtime's WebAssembly) loads at its first use, once for the daemon's life:
  // a job before measuring, so that each path below is measured by what its text costs.
  await client.transcribeFile(wav).promise;
  answers = await AnswerTimes.start(daemon, port);
  await new Promise((resolve) => setTimeout(resolve, 200));
  await answers.worst(); // from here on, what the paths cause
});

/** The slowest answer to /health and to `status` since the last call. */
const slowest = async () => {
  const { health, status } = await answers.worst();
  return Math.max(health, status);
};

afterAll(async () => {
  await answers?.stop();
  client?.close();
  await daemon?.dispose();
});

test("HTTP: a prompt of 256 KiB", async () => {
  const openai = new OpenAI({
    apiKey: apiToken(daemon),
    baseURL: `http://127.0.0.1:${port}/v1`,
    maxRetries: 0,
  });
  // The model, given a prompt of one letter over and over, writes nothing: an answer is what counts here.
  const transcript = await openai.audio.transcriptions.create({
    file: await toFile(readFileSync(wav), "heldout-07.wav"),
    model: "whisper-1",
    prompt: HTTP_PROMPT,
  });
  expect(typeof transcript.text).toBe("string");
  expect(await slowest()).toBeLessThan(BOUND_MS);
});

test("Realtime: session.update with a prompt of nearly 16 MiB, then speech", async () => {
  const { rt, received, open } = connectRealtime(daemon, tlsPort, certificate);
  await open;
  rt.send({
    type: "session.update",
    session: {
      type: "transcription",
      audio: { input: { transcription: { model: "whisper-1", prompt: REALTIME_PROMPT } } },
    },
  });
  await waitFor(() => ofType(received, "session.updated").length > 0, "session.updated");
  const pcm = pcm24(wav, "pad", "0", "1");
  for (let offset = 0; offset < pcm.length; offset += 48_000) {
    rt.send({ type: "input_audio_buffer.append", audio: pcm.subarray(offset, offset + 48_000).toString("base64") });
  }
  const done = ["conversation.item.input_audio_transcription.completed", "error"];
  await waitFor(() => received.some((r) => done.includes(r.event.type)), "the turn's transcript");
  expect(ofType(received, "error")).toEqual([]);
  const closed = new Promise((resolve) => rt.socket.once("close", resolve));
  rt.close();
  await closed;
  expect(await slowest()).toBeLessThan(BOUND_MS);
});

test("socket: transcribe and dictation prompts of 4,096 characters, a search of 4,096, a mode's instruction of 4,000", async () => {
  const transcript = await client.transcribeFile(wav, { options: { prompt: SOCKET_PROMPT } }).promise;
  expect(transcript.durationSeconds).toBeGreaterThan(0);
  const following = await startDictation(client, "stream", { prompt: SOCKET_PROMPT });
  sendPcm(client, following.session, await pcmOf(wav));
  await stopDictation(client, following.session);
  // Common words repeated, as many as 4,096 characters hold: a search of their 20 different ones.
  const words = ["the", "level", "far", "damage", "fund", "regular", "receive", "of", "and", "to"];
  const query = Array.from({ length: 800 }, (_, i) => `${words[i % 10]}${i % 20 < 10 ? "" : "s"}`)
    .join(" ")
    .slice(0, 4096);
  const found = await client.request({ type: "history.search", query, limit: 500 });
  expect(found.type).toBe("done");
  const mode = {
    name: "m".repeat(40),
    apps: Array.from({ length: 100 }, (_, i) => `com.example.app${i}`),
    finishing: "none" as const,
    instruction: "a".repeat(4000),
    deliver: "paste" as const,
  };
  expect((await client.request({ type: "modes.add", mode })).type).toBe("done");
  expect(await slowest()).toBeLessThan(BOUND_MS);
});

test("MCP: transcribe_file with a prompt of 4,096 characters", async () => {
  const mcp = await connectMcp(daemon);
  try {
    const result = await mcp.callTool({ name: "transcribe_file", arguments: { path: wav, prompt: SOCKET_PROMPT } });
    expect(result.isError).toBeFalsy();
    expect(toolText(result)).toContain("model");
  } finally {
    await mcp.close();
  }
  expect(await slowest()).toBeLessThan(BOUND_MS);
});

test("vocabulary: `verbatim vocabulary add` beside 999 terms and 1,000 replacements, then a job with them", async () => {
  const added = await daemon.cli("vocabulary", "add", `${"=".repeat(96)}last`);
  expect(added.code).toBe(0);
  const listed = await client.request({ type: "vocabulary.list" });
  expect(listed.type === "done" && listed.vocabulary?.terms.length).toBe(1000);
  const transcript = await client.transcribeFile(wav).promise;
  expect(transcript.text.length).toBeGreaterThan(0);
  expect(await slowest()).toBeLessThan(BOUND_MS);
});
