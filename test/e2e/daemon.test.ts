// The real daemon on a real socket: files in several formats, concurrent clients, cancellation, vanished
// clients, malformed messages, corrupt files, a second start, a stale socket and SIGTERM mid-job. After each,
// the daemon must still answer `status`.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import WebSocket from "ws";
import { DaemonError } from "../../daemon/src/client";
import type { Event } from "../../daemon/src/protocol";
import { DaemonProcess, daemonEntry } from "../support/daemon-process";
import { fixtureModel, repoRoot } from "../support/fixtures";
import { wordErrorRate } from "../support/wer";

jest.setTimeout(180_000);

const media = mkdtempSync(path.join(os.tmpdir(), "verbatim-e2e-media-"));
// The small English model trained for the tests (test/fixtures/models): real transcripts, checked by word error rate.
const model = fixtureModel();
let daemon: DaemonProcess;

function convert(source: string, name: string, ...args: string[]): string {
  const file = path.join(media, name);
  execFileSync("ffmpeg", ["-nostdin", "-loglevel", "error", "-y", "-i", source, ...args, file]);
  return file;
}

function durationOf(file: string): number {
  return Number(execFileSync("soxi", ["-D", file]).toString());
}

// A held-out recording (a sentence and voice the model never trained on) that the fp16 model transcribes exactly in
// PyTorch, so what codecs and the pipeline lose shows up as errors; allow two of its seven words.
const wav = path.join(repoRoot, "test", "fixtures", "heldout", "heldout-07.wav");
const sentence = "The level far damage fund regular receive.";
const MAX_FILE_WER = 0.3;

function werOf(text: string): number {
  return wordErrorRate([{ reference: sentence, hypothesis: text }]);
}
let long: string;

beforeAll(async () => {
  long = path.join(media, "long.wav");
  execFileSync("sox", [wav, long, "repeat", "20"]);
  daemon = await DaemonProcess.ready({ model, threads: 2 });
});

afterAll(async () => {
  await daemon?.dispose();
  rmSync(media, { recursive: true, force: true });
});

async function expectAlive(): Promise<void> {
  const status = await daemon.status();
  expect(status.model.state).toBe("ready");
}

test("status reports the model, backend, memory and an empty queue", async () => {
  const status = await daemon.status();
  expect(status.model).toMatchObject({ id: model, state: "ready", backend: "cpu", device: "cpu", folder: model });
  expect(status.memory.rssBytes).toBeGreaterThan(0);
  expect(status.memory.mlx).toBeNull();
  expect(status.queue).toEqual({ running: null, waiting: 0 });
  expect(status.pid).toBe(daemon.child?.pid);
});

test("status reports a capture command that runs without PATH: absolute node and the capture entry point", () =>
  daemon.status().then(({ capture }) => {
    const [node, script, ...rest] = capture.command;
    expect(path.isAbsolute(node) && path.isAbsolute(script)).toBe(true);
    expect([path.basename(script), rest]).toEqual(["verbatim-capture.js", []]);
    const help = execFileSync(node, [script, "--help"], { env: { HOME: os.homedir() }, encoding: "utf8" });
    expect(help).toContain("verbatim capture --session ID");
  }));

test.each([
  ["wav", () => wav],
  // At LAME's default bitrate for 16 kHz mono the test model, trained on clean synthetic speech, falls apart.
  ["mp3", () => convert(wav, "speech.mp3", "-b:a", "64k")],
  ["flac", () => convert(wav, "speech.flac")],
  ["m4a", () => convert(wav, "speech.m4a", "-c:a", "aac")],
  ["ogg/opus", () => convert(wav, "speech.ogg", "-c:a", "libopus")],
  ["aiff", () => convert(wav, "speech.aiff")],
  [
    "mkv with a video track",
    () => convert(wav, "speech.mkv", "-f", "lavfi", "-i", "color=c=black:s=64x64:d=5", "-shortest"),
  ],
])("a %s file is transcribed end to end, streaming events", async (_, make) => {
  const file = make();
  const client = await daemon.connect();
  const events: Event[] = [];
  const transcript = await client.transcribeFile(file, { onEvent: (event) => events.push(event) }).promise;
  client.close();
  expect(transcript.model).toBe(model);
  expect(transcript.backend).toBe("cpu");
  expect(transcript.durationSeconds).toBeCloseTo(durationOf(wav), 0);
  expect(events.some((event) => event.type === "progress")).toBe(true);
  const streamed = events.filter((event) => event.type === "segment").map((event) => event.segment);
  expect(streamed).toEqual(transcript.segments);
  expect(werOf(transcript.text)).toBeLessThanOrEqual(MAX_FILE_WER);
});

test("uploaded bytes are transcribed like a file", async () => {
  const client = await daemon.connect();
  const transcript = await client.transcribeBytes(readFileSync(wav), "speech.wav").promise;
  client.close();
  expect(transcript.durationSeconds).toBeCloseTo(durationOf(wav), 0);
  expect(werOf(transcript.text)).toBeLessThanOrEqual(MAX_FILE_WER);
});

test("a detached job outlives its client, and its result can be fetched later", async () => {
  const first = await daemon.connect();
  const job = first.transcribeFile(wav, { detached: true });
  job.promise.catch(() => undefined); // this client goes away before the job ends
  await new Promise((resolve) => setTimeout(resolve, 50));
  first.close();

  const second = await daemon.connect();
  let outcome = await second.result(job.id);
  while (outcome.state === "running") {
    await new Promise((resolve) => setTimeout(resolve, 100));
    outcome = await second.result(job.id);
  }
  expect(outcome.transcript.durationSeconds).toBeCloseTo(durationOf(wav), 0);
  await expect(second.result("no-such-job")).rejects.toMatchObject({ code: "not_found" });
  second.close();
});

test("several clients at once each get their own transcript", async () => {
  const clients = await Promise.all([1, 2, 3].map(() => daemon.connect()));
  const transcripts = await Promise.all(clients.map((client) => client.transcribeFile(wav).promise));
  for (const client of clients) client.close();
  for (const transcript of transcripts) expect(transcript.text).toBe(transcripts[0].text);
  expect(werOf(transcripts[0].text)).toBeLessThanOrEqual(MAX_FILE_WER);
});

test("a job cancelled mid-file stops with a cancelled error", async () => {
  const client = await daemon.connect();
  let cancelled = false;
  const job = client.transcribeFile(long, {
    onEvent: (event) => {
      if (event.type === "token" && !cancelled) {
        cancelled = true;
        void job.cancel();
      }
    },
  });
  await expect(job.promise).rejects.toMatchObject({ code: "cancelled" });
  client.close();
  await expectAlive();
});

test("a client killed mid-job has its job cancelled", async () => {
  const script = `
    const { DaemonClient } = require(${JSON.stringify(path.join(repoRoot, "daemon", "dist", "client.js"))});
    DaemonClient.connect(${JSON.stringify(daemon.socket)}).then((client) => {
      client.transcribeFile(${JSON.stringify(long)}, { onEvent: (e) => { if (e.type === "token") console.log("started"); } });
    });`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
  expect((await daemon.status()).queue.running).not.toBeNull();
  child.kill("SIGKILL");
  for (let i = 0; i < 100 && (await daemon.status()).queue.running; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect((await daemon.status()).queue.running).toBeNull();
});

test("malformed and unknown messages get typed errors and the connection stays up", async () => {
  const socket = new WebSocket(`ws+unix:${daemon.socket}:/`);
  await new Promise((resolve) => socket.once("open", resolve));
  const replies: Event[] = [];
  socket.on("message", (data) => replies.push(JSON.parse(data.toString())));
  const next = async () => {
    while (replies.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    return replies.shift()!;
  };
  socket.send("this is not json");
  expect(await next()).toMatchObject({ type: "error", id: null, code: "bad_message" });
  socket.send(JSON.stringify([1, 2, 3]));
  expect(await next()).toMatchObject({ type: "error", code: "bad_message" });
  socket.send(JSON.stringify({ id: "a", type: "launch-rockets" }));
  expect(await next()).toMatchObject({ type: "error", id: "a", code: "unknown_type" });
  socket.send(JSON.stringify({ id: "b", type: "transcribe", source: { kind: "file" } }));
  expect(await next()).toMatchObject({ type: "error", id: "b", code: "bad_message" });
  socket.send(JSON.stringify({ id: "c", type: "hello", protocol: 99 }));
  expect(await next()).toMatchObject({ type: "error", id: "c", code: "protocol_version" });
  socket.send(JSON.stringify({ id: "d", type: "transcribe", source: { kind: "upload", bytes: 4 } }));
  socket.send(Buffer.from([1, 0x64, 1, 2, 3, 4, 5])); // five bytes for an upload of four
  expect(await next()).toMatchObject({ type: "error", id: "d", code: "too_large" });
  socket.send(JSON.stringify({ id: "e", type: "status" }));
  expect(await next()).toMatchObject({ type: "status", id: "e" });
  socket.close();
});

test.each([
  ["random bytes named .wav", "noise.wav", () => Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256))],
  ["an empty file", "empty.mp3", () => Buffer.alloc(0)],
  ["a text file named .mp3", "notes.mp3", () => Buffer.from("not audio at all\n")],
  ["a WAV header with no data", "header.wav", () => readFileSync(wav).subarray(0, 44)],
])("%s gets a clear error and the daemon carries on", async (_, name, bytes) => {
  const file = path.join(media, name);
  writeFileSync(file, bytes());
  const client = await daemon.connect();
  const outcome = await client.transcribeFile(file).promise.then(
    (transcript) => transcript,
    (error: DaemonError) => error,
  );
  client.close();
  if (outcome instanceof DaemonError) {
    expect(outcome.code).toBe("audio");
    expect(outcome.message).toContain(name);
  } else {
    expect(outcome.segments).toEqual([]); // an empty recording is an empty transcript
  }
  await expectAlive();
});

test("a second daemon refuses to start and the first keeps running", () => {
  const result = (() => {
    try {
      execFileSync(process.execPath, [daemonEntry], { env: daemon.env, stdio: "pipe" });
      return { code: 0, stderr: "" };
    } catch (error) {
      const failure = error as { status: number; stderr: Buffer };
      return { code: failure.status, stderr: failure.stderr.toString() };
    }
  })();
  expect(result.code).toBe(3);
  expect(result.stderr).toMatch(/already running/);
  return expectAlive();
});

test("the login service's copy beside a running daemon exits 0, so launchd and systemd do not restart it forever", () => {
  // launchd's KeepAlive {SuccessfulExit: false} and systemd's Restart=on-failure start again whatever exits non-zero.
  const second = spawnSync(process.execPath, [daemonEntry], {
    env: { ...daemon.env, VERBATIM_LOGIN_SERVICE: "1" },
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(second.status).toBe(0);
  expect(second.stderr).toMatch(
    /^verbatimd is already running .*\nThe login service leaves it running and stops here\.\n$/s,
  );
  return expectAlive();
});

test("SIGTERM during a job tells the client, removes the socket, and a crash's stale socket is replaced", async () => {
  const client = await daemon.connect();
  let started!: () => void;
  const tokenSeen = new Promise<void>((resolve) => (started = resolve));
  const job = client.transcribeFile(long, { onEvent: (event) => event.type === "token" && started() });
  await tokenSeen;
  daemon.child?.kill("SIGTERM");
  await expect(job.promise).rejects.toMatchObject({ code: "shutting_down" });
  expect(await daemon.exited()).toBe(0);
  expect(() => readFileSync(daemon.socket)).toThrow(/ENOENT/);

  await daemon.start();
  daemon.child?.kill("SIGKILL"); // leaves its socket and pid file behind
  await daemon.exited();
  await daemon.start();
  await daemon.waitForModel();
});
