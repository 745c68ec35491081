// The HTTP API's details (issue 60, item 8), with real clients: upload file names kept as sent, in UTF-8 as RFC 7578
// has clients send them (the `openai` client, curl) and in RFC 5987's filename* form; Realtime refusals the same
// however many sessions arrive at once (429 with Retry-After at the upgrade, once a session or a dictation holds the
// one dictation); and a 413 that names the limit that applied, one upload's 2 GiB or config maxUnfinishedUploadMB.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import OpenAI, { toFile } from "openai";
import WebSocket from "ws";
import { apiToken, curl, freePort } from "../support/api";
import { DaemonProcess } from "../support/daemon-process";
import { heldoutWav, pcmOf, sendPcm, startDictation, stopDictation } from "../support/dictation";
import { fixtureModel } from "../support/fixtures";
import { pcm24 } from "../support/realtime";
import type { DaemonClient } from "../../daemon/src/client";
import type { HistoryEntry } from "../../daemon/src/protocol";

jest.setTimeout(180_000);

const wav = heldoutWav("heldout-07.wav");
let daemon: DaemonProcess;
let client: DaemonClient;
let port: number;
let base: string;
const bearer = () => `Authorization: Bearer ${apiToken(daemon)}`;

beforeAll(async () => {
  port = await freePort();
  base = `http://127.0.0.1:${port}/v1`;
  daemon = await DaemonProcess.ready({
    model: fixtureModel(),
    threads: 2,
    api: { enabled: true, port, host: "127.0.0.1" },
  });
  client = await daemon.connect();
});

afterAll(async () => {
  client?.close();
  await daemon?.dispose();
});

async function newestEntry(): Promise<HistoryEntry | null> {
  const listed = await client.request({ type: "history.list", limit: 1 });
  return listed.type === "done" ? listed.history!.entries[0]! : null;
}

/** The source file the history gives the newest entry. */
async function newestSourceFile(): Promise<string | null> {
  return (await newestEntry())?.sourceFile ?? null;
}

test("non-ASCII file names are kept as sent: the openai client, curl, and RFC 5987's filename*", async () => {
  const openai = new OpenAI({ apiKey: apiToken(daemon), baseURL: base, maxRetries: 0 });
  await openai.audio.transcriptions.create({ file: await toFile(readFileSync(wav), "café.wav"), model: "whisper-1" });
  expect(await newestSourceFile()).toBe("café.wav");

  const sent = await curl([
    "-H",
    bearer(),
    "-F",
    `file=@${wav};filename=naïve résumé 日本.wav`,
    "-F",
    "model=whisper-1",
    `${base}/audio/transcriptions`,
  ]);
  expect(sent.status).toBe(200);
  expect(await newestSourceFile()).toBe("naïve résumé 日本.wav");

  // filename* (RFC 5987, which RFC 7578 allows as well): its charset and percent-encoding, over the plain filename.
  const boundary = "----verbatim-boundary";
  const body = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="plain.wav"; ` +
        `filename*=UTF-8''%C3%A9t%C3%A9%20%E6%97%A5%E6%9C%AC.wav\r\nContent-Type: audio/wav\r\n\r\n`,
    ),
    readFileSync(wav),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const bodyFile = path.join(daemon.home, "form-body");
  writeFileSync(bodyFile, body);
  const extended = await curl([
    "-H",
    bearer(),
    "-H",
    `Content-Type: multipart/form-data; boundary=${boundary}`,
    "--data-binary",
    `@${bodyFile}`,
    `${base}/audio/transcriptions`,
  ]);
  expect(extended.status).toBe(200);
  expect(await newestSourceFile()).toBe("été 日本.wav");
});

/** A Realtime upgrade's outcome: 101 (open, with its socket), or the refusal's status, Retry-After and error code. */
function connect(): Promise<{ status: number; retryAfter?: string; code?: string; socket?: WebSocket }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/v1/realtime?intent=transcription`, {
      headers: { Authorization: `Bearer ${apiToken(daemon)}` },
    });
    socket.once("unexpected-response", (_request, response) => {
      let text = "";
      response.on("data", (chunk: Buffer) => (text += chunk.toString()));
      response.on("end", () =>
        resolve({
          status: response.statusCode ?? 0,
          retryAfter: response.headers["retry-after"] as string | undefined,
          code: (JSON.parse(text) as { error: { code: string } }).error.code,
        }),
      );
    });
    socket.once("open", () => resolve({ status: 101, socket }));
  });
}

const closed = (socket: WebSocket) => new Promise((resolve) => socket.once("close", resolve));

test("twenty Realtime sessions at once: one opens, nineteen get 429 with Retry-After; after it, the next opens", async () => {
  const outcomes = await Promise.all(Array.from({ length: 20 }, connect));
  const opened = outcomes.filter((outcome) => outcome.status === 101);
  expect(opened).toHaveLength(1);
  expect(outcomes.filter((outcome) => outcome.status !== 101)).toEqual(
    Array.from({ length: 19 }, () => ({ status: 429, retryAfter: "5", code: "session_running" })),
  );
  const ended = closed(opened[0]!.socket!);
  opened[0]!.socket!.close();
  await ended;
  const next = await connect();
  expect(next.status).toBe(101);
  const nextEnded = closed(next.socket!);
  next.socket!.close();
  await nextEnded;

  // A dictation holds the one dictation: the same refusal, with its own code.
  const following = await startDictation(client);
  expect(await connect()).toEqual({ status: 429, retryAfter: "5", code: "dictation_running" });
  await client.request({ type: "dictation.cancel", session: following.session });
  await following.outcome.catch(() => undefined);
});

test("a session that connects as soon as the last one closed waits for its dictation to end, not refused", async () => {
  const first = await connect();
  expect(first.status).toBe(101);
  // Speech without a pause after it: the dictation ends with a final pass over it once the client has left.
  first.socket!.send(JSON.stringify({ type: "input_audio_buffer.append", audio: pcm24(wav).toString("base64") }));
  const ended = closed(first.socket!);
  first.socket!.close();
  await ended;
  const next = await connect();
  expect(next.status).toBe(101);
  expect(await newestEntry()).toMatchObject({ kind: "dictation", text: expect.stringMatching(/\w/) }); // kept
  const nextEnded = closed(next.socket!);
  next.socket!.close();
  await nextEnded;
});

test("a session that connects while a dictation stopped from Raycast is still ending waits for it, not refused", async () => {
  // All its audio at once, then stop: its final pass reads most of it, and the upgrade arrives meanwhile.
  const dictation = await startDictation(client);
  sendPcm(client, dictation.session, await pcmOf(wav));
  const stopped = stopDictation(client, dictation.session);
  const next = await connect();
  expect(next.status).toBe(101);
  expect((await stopped).text).toMatch(/\w/);
  const nextEnded = closed(next.socket!);
  next.socket!.close();
  await nextEnded;
});

test("a 413 names the limit that applied: one upload's 2 GiB here (maxUnfinishedUploadMB is 4096)", async () => {
  // The request says it is 3 GiB long: it is refused before its body is read.
  const refused = await curl([
    "-H",
    bearer(),
    "-H",
    "Content-Type: multipart/form-data; boundary=x",
    "-H",
    `Content-Length: ${3 * 2 ** 30}`,
    "--data-binary",
    "--x--",
    `${base}/audio/transcriptions`,
  ]);
  expect(refused.status).toBe(413);
  expect(JSON.parse(refused.body).error).toEqual({
    message:
      "the upload (3072 MiB) is larger than the 2 GiB one upload may hold; send a smaller file, or a shorter or more " +
      "compressed recording",
    type: "invalid_request_error",
    param: "file",
    code: "file_too_large",
  });
});
