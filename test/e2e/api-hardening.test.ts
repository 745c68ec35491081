// The HTTP API of the real daemon against bad luck and hostile local programs (issue 39, items 4 and 6): uploads that
// meet a full disk, uploads that stall, and floods of connections that never show the token. Every upload is
// answered, in OpenAI's error shape, and gives back its room in the upload budget and its file; connections without
// the token are capped and closed, so the daemon's socket clients and the token's owner are never locked out.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import OpenAI, { APIError, toFile } from "openai";
import { apiToken, freePort } from "../support/api";
import { DaemonProcess } from "../support/daemon-process";
import { heldoutWav } from "../support/dictation";
import { fixtureModel } from "../support/fixtures";
import { within } from "../support/within";

jest.setTimeout(180_000);

const model = fixtureModel();
const wav = heldoutWav("heldout-07.wav"); // about 3 s
const media = mkdtempSync(path.join(os.tmpdir(), "verbatim-api-hardening-"));
const sixSeconds = path.join(media, "six.wav"); // about 190 KB

beforeAll(() => execFileSync("sox", [wav, sixSeconds, "repeat", "1"]));
afterAll(() => rmSync(media, { recursive: true, force: true }));

/** The daemon's 8 uploads at once (config maxUnfinishedUploads' default), and then some. */
const MORE_THAN_THE_BUDGET = 10;
/** A wait for an answer that comes in well under a second here: a hang fails the test instead of holding it. */
const ANSWERED_MS = 30_000;

/** A daemon with the API on, and the `openai` client for it. */
async function apiDaemon(config: Record<string, unknown> = {}) {
  const port = await freePort();
  const api = { enabled: true, port, host: "127.0.0.1" };
  const daemon = await DaemonProcess.ready({ model, threads: 2, history: false, api, ...config });
  const openai = new OpenAI({ apiKey: apiToken(daemon), baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
  return { daemon, port, openai };
}

/** The API's refusal of a transcription, as the `openai` client throws it. */
async function refusal(openai: OpenAI, file: string): Promise<APIError> {
  const outcome = await within(
    ANSWERED_MS,
    "the upload's answer",
    openai.audio.transcriptions.create({
      file: await toFile(readFileSync(file), path.basename(file)),
      model: "whisper-1",
    }),
  ).catch((error: unknown) => error);
  expect(outcome).toBeInstanceOf(APIError);
  return outcome as APIError;
}

const canMount = process.platform === "linux" && process.getuid?.() === 0;

(canMount ? describe : describe.skip)("a full disk (a 4 MiB tmpfs, filled; needs root on Linux)", () => {
  let daemon: DaemonProcess;
  let openai: OpenAI;
  let state: string;
  const filler = () => path.join(state, "filler");
  const uploads = () => path.join(state, "uploads");

  beforeAll(async () => {
    const port = await freePort();
    daemon = new DaemonProcess({ model, threads: 2, history: false, api: { enabled: true, port, host: "127.0.0.1" } });
    state = path.join(daemon.home, "state");
    mkdirSync(state, { recursive: true });
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", state]);
    await daemon.start();
    await daemon.waitForModel();
    openai = new OpenAI({ apiKey: apiToken(daemon), baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
    // All but 16 KiB: a 6 s upload (190 KB) no longer fits.
    const { bavail, bsize } = statfsSync(state);
    writeFileSync(filler(), Buffer.alloc(bavail * bsize - 16 * 1024));
  });
  afterAll(async () => {
    await daemon?.stop();
    execFileSync("umount", [state]);
    await daemon?.dispose();
  });

  test("more HTTP uploads than the budget holds are each answered 507 and leave nothing in uploads/", async () => {
    for (let i = 0; i < MORE_THAN_THE_BUDGET; i++) {
      const error = await refusal(openai, sixSeconds);
      expect(error.status).toBe(507);
      expect(error.error).toEqual({
        message: expect.stringContaining(`verbatimd could not write the upload in ${uploads()}: the disk is full`),
        type: "server_error",
        param: null,
        code: "disk",
      });
      expect(error.message).toContain("Free some space on that disk and try again");
      expect(readdirSync(uploads())).toEqual([]);
    }
    expect(daemon.output).not.toContain("unhandled rejection");
  });

  test("an upload still sending when the disk refuses it is answered 507 after its last byte, and its connection kept", async () => {
    const port = Number(new URL(openai.baseURL).port);
    const bytes = 2_000_000;
    const { socket, closed } = await stalledUpload(port, apiToken(daemon), bytes, 500_000);
    const answered = new Promise<string>((resolve) => {
      let answer = "";
      socket.on("data", (chunk) => {
        answer += chunk;
        if (/\r\n\r\n\{.*\}$/s.test(answer)) resolve(answer);
      });
    });
    // Long enough for the disk's refusal of the first 500 KB (16 KiB free) to reach the daemon mid-body.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    socket.write(Buffer.alloc(bytes - 500_000, 1));
    const answer = await within(ANSWERED_MS, "the upload's answer", answered);
    expect(answer).toMatch(/^HTTP\/1\.1 507 /);
    expect(answer).not.toMatch(/^connection: close/im);
    expect(readdirSync(uploads())).toEqual([]);
    // The same connection takes the next request.
    socket.write(
      `GET /health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${apiToken(daemon)}\r\n\r\n`,
    );
    await within(ANSWERED_MS, "the next answer", new Promise((resolve) => socket.on("data", resolve)));
    socket.end();
    expect(await closed).toMatch(/HTTP\/1\.1 200 OK/);
  });

  test("socket uploads after them are refused for the disk, not for upload room", async () => {
    const client = await daemon.connect();
    try {
      for (let i = 0; i < MORE_THAN_THE_BUDGET; i++) {
        const failed = client.transcribeBytes(readFileSync(sixSeconds), "six.wav").promise;
        await expect(within(ANSWERED_MS, "the socket upload's answer", failed)).rejects.toMatchObject({
          code: "disk",
        });
      }
      expect(readdirSync(uploads())).toEqual([]);
    } finally {
      client.close();
    }
  });

  test("once there is space again, HTTP and socket uploads run", async () => {
    rmSync(filler());
    const transcript = await openai.audio.transcriptions.create({
      file: await toFile(readFileSync(sixSeconds), "six.wav"),
      model: "whisper-1",
    });
    expect(transcript.text.length).toBeGreaterThan(0);
    const client = await daemon.connect();
    try {
      expect((await client.transcribeBytes(readFileSync(sixSeconds), "six.wav").promise).text.length).toBeGreaterThan(
        0,
      );
    } finally {
      client.close();
    }
  });
});

/** An HTTP upload that announces `bytes` and sends the headers and `sent` of them, then nothing; and its answer. */
async function stalledUpload(port: number, token: string, bytes: number, sent: number) {
  const socket = net.connect(port, "127.0.0.1");
  await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  let answer = "";
  socket.on("data", (chunk) => (answer += chunk));
  socket.on("error", () => undefined);
  const closed = new Promise<string>((resolve) => socket.once("close", () => resolve(answer)));
  const boundary = "stalled-upload";
  const head =
    `--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="stalled.wav"\r\n` +
    "Content-Type: audio/wav\r\n\r\n";
  socket.write(
    `POST /v1/audio/transcriptions HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\n` +
      `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${bytes}\r\n\r\n${head}`,
  );
  socket.write(Buffer.alloc(sent - head.length, 1));
  return { socket, closed };
}

describe("uploads that stall", () => {
  let daemon: DaemonProcess;
  let openai: OpenAI;
  let port: number;
  beforeAll(async () => {
    // The stall time is config idleConnectionSeconds when it is below the 60 s most, as for the socket's uploads.
    ({ daemon, openai, port } = await apiDaemon({ idleConnectionSeconds: 3 }));
  });
  afterAll(() => daemon?.dispose());

  test("more stalled HTTP uploads than the budget holds are each answered 408, and the next upload runs", async () => {
    const stalled = await Promise.all(
      Array.from({ length: MORE_THAN_THE_BUDGET }, () => stalledUpload(port, apiToken(daemon), 1_000_000, 100_000)),
    );
    const answers = await within(60_000, "the stalled uploads' answers", Promise.all(stalled.map((s) => s.closed)));
    const uploads = path.join(daemon.home, "state", "uploads");
    expect(readdirSync(uploads)).toEqual([]);
    // Those that got upload room were abandoned; the others were refused for the lack of it, at once.
    const statuses = answers.map((answer) => Number(/^HTTP\/1\.1 (\d+)/.exec(answer)?.[1]));
    expect(statuses.filter((status) => status === 408)).toHaveLength(8);
    expect(statuses.filter((status) => status === 429)).toHaveLength(MORE_THAN_THE_BUDGET - 8);
    const timedOut = answers.find((answer) => answer.startsWith("HTTP/1.1 408"))!;
    expect(JSON.parse(timedOut.slice(timedOut.indexOf("\r\n\r\n") + 4))).toEqual({
      error: {
        message: expect.stringMatching(
          /^the upload sent nothing for 3 s after 100000 bytes of its request and was abandoned \(config idleConnectionSeconds, at most 60 s\); send the file again without pausing$/,
        ),
        type: "invalid_request_error",
        param: "file",
        code: "upload_timeout",
      },
    });
    const transcript = await openai.audio.transcriptions.create({
      file: await toFile(readFileSync(wav), "speech.wav"),
      model: "whisper-1",
    });
    expect(transcript.text.length).toBeGreaterThan(0);
    const client = await daemon.connect();
    try {
      expect((await client.transcribeBytes(readFileSync(wav), "speech.wav").promise).text.length).toBeGreaterThan(0);
    } finally {
      client.close();
    }
  });
});

/**
 * A connection that sends the start of a request without the token, then a header line a second, as slowloris
 * does; resolves once it is open (or was closed at once), and says when the daemon closed it.
 */
async function slowloris(port: number) {
  const socket = net.connect(port, "127.0.0.1");
  socket.on("error", () => undefined);
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  await Promise.race([new Promise((resolve) => socket.once("connect", resolve)), closed]);
  socket.write(`GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
  const drip = setInterval(() => socket.write("X-Padding: 1\r\n"), 1000);
  void closed.then(() => clearInterval(drip));
  return { closed };
}

describe("connections that never show the token, with 128 file descriptors", () => {
  let daemon: DaemonProcess;
  let openai: OpenAI;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    const api = { enabled: true, port, host: "127.0.0.1" };
    daemon = await DaemonProcess.ready({ model, threads: 2, history: false, api }, { openFileLimit: 128 });
    openai = new OpenAI({ apiKey: apiToken(daemon), baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
  });
  afterAll(() => daemon?.dispose());

  test("200 held open lock out neither the socket's clients nor the token's owner, and are all closed", async () => {
    // Without the cap, 103 of them took every descriptor the daemon had left (25 at rest here).
    const flood = await Promise.all(Array.from({ length: 200 }, () => slowloris(port)));
    for (let i = 0; i < 4; i++) {
      const client = await within(ANSWERED_MS, "a socket client's connection", daemon.connect());
      try {
        expect((await within(ANSWERED_MS, "its status", client.status())).pid).toBe(daemon.child!.pid);
      } finally {
        client.close();
      }
    }
    const models = await within(ANSWERED_MS, "the owner's request", openai.models.list());
    expect(models.data[0].id).toBe("whisper-1");
    // Past the cap at once, the others when their headers are overdue; none is held for long.
    await within(60_000, "the daemon closing them", Promise.all(flood.map((connection) => connection.closed)));
  });
});
