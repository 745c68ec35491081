// What clumsy and hostile clients get from the real daemon (issue 28, item 8): a NUL in a path, an upload named
// `..`, a full disk, invisible characters in the vocabulary, connections that never finish their handshake, uploads
// that stall, and cancelling another client's job. Each gets a message that says what to do, and nothing of it
// holds up other clients.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import WebSocket from "ws";
import { DaemonError, type DaemonClient } from "../../daemon/src/client";
import { encodeAudioFrame, type Event } from "../../daemon/src/protocol";
import { DaemonProcess, type DaemonProcessOptions } from "../support/daemon-process";
import { heldoutWav } from "../support/dictation";
import { fixtureModel } from "../support/fixtures";
import { within } from "../support/within";

jest.setTimeout(120_000);

const model = fixtureModel();
const wav = heldoutWav("heldout-07.wav"); // about 3 s
const media = mkdtempSync(path.join(os.tmpdir(), "verbatim-misuse-"));
const long = path.join(media, "long.wav");
const m4a = path.join(media, "speech.m4a");
const sixSeconds = path.join(media, "six.wav");

beforeAll(() => {
  execFileSync("sox", [wav, long, "repeat", "40"]);
  execFileSync("sox", [wav, sixSeconds, "repeat", "1"]);
  execFileSync("ffmpeg", ["-loglevel", "error", "-y", "-i", wav, m4a]);
});

afterAll(() => rmSync(media, { recursive: true, force: true }));

const RAW_TEXT = /ENOSPC|EFBIG|EEXIST|ERR_|null bytes|no space left on device/i;

describe("one daemon", () => {
  let daemon: DaemonProcess;
  beforeAll(async () => {
    daemon = await DaemonProcess.ready({ model, threads: 2 });
  });
  afterAll(() => daemon?.dispose());

  test("a NUL in a file path or a model name is refused as such, with what to do", async () => {
    const client = await daemon.connect();
    try {
      const nulPath = client.request({ type: "transcribe", source: { kind: "file", path: `${wav}\0.txt` } });
      await expect(nulPath).rejects.toMatchObject({
        code: "bad_message",
        message:
          '"path" must be an absolute file path without NUL characters (\\u0000); send the path as it is on disk',
      });
      const nulModel = client.request({ type: "model.switch", model: `${model}\0` });
      await expect(nulModel).rejects.toMatchObject({ code: "bad_message", message: expect.stringContaining("NUL") });
      const nulOption = client.transcribeFile(wav, { options: { model: `x\0y` } }).promise;
      await expect(nulOption).rejects.toMatchObject({ code: "bad_message", message: expect.stringContaining("NUL") });
      expect((await client.transcribeFile(wav).promise).text.length).toBeGreaterThan(0);
    } finally {
      client.close();
    }
  });

  test.each([
    ["..", ".."],
    [".", "."],
    ["a path", "a/../.."],
    ["with a NUL", "nul\0name.wav"],
    ["longer than a file name may be", `${"x".repeat(300)}.wav`],
  ])("an upload named %s is stored and transcribed like any other", async (_, name) => {
    const client = await daemon.connect();
    try {
      const transcript = await client.transcribeBytes(readFileSync(wav), name).promise;
      expect(transcript.text.length).toBeGreaterThan(0);
    } finally {
      client.close();
    }
  });

  test("a term with a text-direction override or a zero-width space is refused, and one in config.json is listed escaped", async () => {
    const added = await daemon.cli("vocabulary", "add", "evil\u202Etxt.exe");
    expect(added.code).not.toBe(0);
    expect(added.stderr).toContain("U+202E, an invisible formatting character");
    expect(added.stderr).toContain('"evil\\u202etxt.exe"');
    expect(added.stderr).not.toContain("\u202E");
    const zeroWidth = await daemon.cli("vocabulary", "add", "--replace", "verb\u200Batim", "--with", "Verbatim");
    expect(zeroWidth.code).not.toBe(0);
    expect(zeroWidth.stderr).toContain("U+200B");
    expect(zeroWidth.stderr + zeroWidth.stdout).not.toContain("\u200B");

    // A hand edit puts them in config.json: they are not used, and the list names them escaped.
    const configFile = path.join(daemon.home, "config.json");
    const config = JSON.parse(readFileSync(configFile, "utf8")) as Record<string, unknown>;
    config.vocabulary = { terms: ["Kubernetes", "zero\u200Bwidth", "\u2067Isolated\u2069"], replacements: [] };
    writeFileSync(configFile, JSON.stringify(config, null, 2));
    const listed = await daemon.cli("vocabulary", "list");
    expect(listed.stdout).toContain("Kubernetes");
    expect(listed.stdout + listed.stderr).not.toMatch(/[\u200B\u2067\u2069\u202E]/);
    expect(listed.stderr).toContain('"zero\\u200bwidth"');
    expect(listed.stderr).toContain("U+200B");
    expect(listed.stderr).toContain("U+2067");
    const json = await daemon.cli("vocabulary", "list", "--json");
    expect(JSON.parse(json.stdout).terms).toEqual(["Kubernetes"]);
    // A joiner is part of how some words are spelled (Persian, emoji): kept.
    const persian = await daemon.cli("vocabulary", "add", "می\u200Cخواهم");
    expect(persian.code).toBe(0);
  });

  describe("cancel", () => {
    let owner: DaemonClient;
    let other: DaemonClient;
    beforeAll(async () => {
      owner = await daemon.connect();
      other = await daemon.connect();
    });
    afterAll(() => {
      owner?.close();
      other?.close();
    });

    test("another client cannot cancel a job; the client that started it can", async () => {
      const job = owner.transcribeFile(long);
      job.promise.catch(() => undefined);
      for (let i = 0; i < 100 && (await other.status()).queue.running !== job.id; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect((await other.status()).queue.running).toBe(job.id);
      const refused = other.request({ type: "cancel", job: job.id });
      await expect(refused).rejects.toMatchObject({
        code: "not_found",
        message: expect.stringContaining("only the client that started a job can cancel it"),
      });
      expect(await other.result(job.id)).toEqual({ state: "running" });
      await owner.request({ type: "cancel", job: job.id });
      await expect(job.promise).rejects.toMatchObject({ code: "cancelled" });
    });

    test("a detached job whose client has gone can be cancelled by any client", async () => {
      const leaving = await daemon.connect();
      const job = leaving.transcribeFile(long, { detached: true });
      job.promise.catch(() => undefined);
      await expect(other.request({ type: "cancel", job: job.id })).rejects.toMatchObject({ code: "not_found" });
      leaving.close();
      let cancelled: unknown = null;
      for (let i = 0; i < 100; i++) {
        cancelled = await other.request({ type: "cancel", job: job.id }).catch((error: unknown) => error);
        if (!(cancelled instanceof DaemonError)) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(cancelled).toMatchObject({ type: "done" });
      let outcome = await other.result(job.id).catch((error: unknown) => error);
      for (let i = 0; i < 100 && !(outcome instanceof DaemonError); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        outcome = await other.result(job.id).catch((error: unknown) => error);
      }
      expect(outcome).toMatchObject({ code: "cancelled" });
    });
  });
});

describe("connections without a handshake, and uploads that stall", () => {
  let daemon: DaemonProcess;
  beforeAll(async () => {
    daemon = await DaemonProcess.ready({
      model,
      threads: 2,
      maxConnections: 4,
      idleConnectionSeconds: 2,
      maxUnfinishedUploads: 2,
    });
  });
  afterAll(() => daemon?.dispose());

  /** A connection to the socket that sends nothing; resolves with how long it lived once the daemon closes it. */
  async function halfOpen(): Promise<{ closed: Promise<number> }> {
    const socket = net.connect(daemon.socket);
    await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    const opened = performance.now();
    const closed = new Promise<number>((resolve) => socket.once("close", () => resolve(performance.now() - opened)));
    socket.on("error", () => undefined);
    return { closed };
  }

  test("a connection that sends no handshake is closed after 10 s; past maxConnections of them, at once", async () => {
    const waiting = await Promise.all([halfOpen(), halfOpen(), halfOpen(), halfOpen()]);
    const extra = await halfOpen();
    expect(await within(2000, "the connection past the limit", extra.closed)).toBeLessThan(2000);
    const lived = await within(15_000, "the half-open connections", Promise.all(waiting.map((c) => c.closed)));
    for (const ms of lived) {
      expect(ms).toBeGreaterThan(9000);
      expect(ms).toBeLessThan(12_000);
    }
    // Real clients were never counted against them once they are gone.
    const client = await daemon.connect();
    expect((await client.status()).pid).toBe(daemon.child!.pid);
    client.close();
  });

  /** A WebSocket client that announces an upload of `bytes`, sends `sent` of them, and stops. */
  async function stalledUpload(
    id: string,
    bytes: number,
    sent: number,
  ): Promise<{ events: Event[]; socket: WebSocket }> {
    const socket = new WebSocket(`ws+unix:${daemon.socket}:/`);
    const events: Event[] = [];
    socket.on("message", (data) => events.push(JSON.parse(String(data)) as Event));
    await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
    socket.send(JSON.stringify({ type: "transcribe", id, source: { kind: "upload", bytes, name: "stalled.wav" } }));
    socket.send(encodeAudioFrame(id, new Uint8Array(sent).fill(1)));
    return { events, socket };
  }

  test("stalled uploads are abandoned with timeout, and give their room back to other clients' uploads", async () => {
    const stalled = [await stalledUpload("s1", 100_000, 1000), await stalledUpload("s2", 100_000, 1000)];
    const blocked = await daemon.connect();
    const refused = blocked.transcribeBytes(readFileSync(wav), "speech.wav").promise;
    await expect(refused).rejects.toMatchObject({ code: "too_large" });

    for (const [index, { events }] of stalled.entries()) {
      for (let i = 0; i < 100 && !events.some((e) => e.type === "error"); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(events).toContainEqual({
        type: "error",
        id: `s${index + 1}`,
        code: "timeout",
        message: expect.stringMatching(
          /^the upload sent nothing for 2 s after 1000 of its 100000 bytes and was abandoned \(config idleConnectionSeconds.*send the file again without pausing, or pass it by path$/,
        ),
      });
    }
    const client = await daemon.connect();
    const transcript = await client.transcribeBytes(readFileSync(wav), "speech.wav").promise;
    expect(transcript.text.length).toBeGreaterThan(0);
    client.close();
    blocked.close();
    for (const { socket } of stalled) socket.close();
  });
});

/** The ways to run out of disk this machine offers: a small tmpfs needs root (Linux); a file-size limit works anywhere. */
const canMount = process.platform === "linux" && process.getuid?.() === 0;
const fullDisks: Array<[string, "tmpfs" | "ulimit"]> = [
  ...(canMount ? [["a full disk (a 4 MiB tmpfs, filled)", "tmpfs"] as [string, "tmpfs"]] : []),
  ["a file-size limit (ulimit -f 64 KiB)", "ulimit"],
];

describe.each(fullDisks)("%s", (_, kind) => {
  let daemon: DaemonProcess;
  let state: string;
  const filler = () => path.join(state, "filler");
  const reason = kind === "tmpfs" ? "the disk is full" : "a file-size limit, ulimit -f";

  beforeAll(async () => {
    const options: DaemonProcessOptions = kind === "ulimit" ? { fileSizeLimitBlocks: 128 } : {};
    daemon = new DaemonProcess({ model, threads: 2, history: false }, options);
    state = path.join(daemon.home, "state");
    if (kind === "tmpfs") {
      mkdirSync(state, { recursive: true });
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", state]);
    }
    await daemon.start();
    await daemon.waitForModel();
    if (kind === "tmpfs") {
      // All but 16 KiB: a 3 s file's decoded samples (190 KB) no longer fit.
      const { bavail, bsize } = statfsSync(state);
      writeFileSync(filler(), Buffer.alloc(bavail * bsize - 16 * 1024));
    }
  });
  afterAll(async () => {
    await daemon?.stop();
    if (kind === "tmpfs") execFileSync("umount", [state]);
    await daemon?.dispose();
  });

  test.each([
    ["a WAV file", wav],
    ["an m4a file (decoded by ffmpeg)", m4a],
  ])("%s's job fails with disk, saying what to do", async (_, file) => {
    const client = await daemon.connect();
    try {
      const failed = client.transcribeFile(file).promise;
      await expect(failed).rejects.toMatchObject({
        code: "disk",
        message: expect.stringContaining(`verbatimd could not write the job's decoded audio in ${state}/uploads: `),
      });
      const message = ((await failed.catch((error: Error) => error)) as Error).message;
      expect(message).toContain(reason);
      expect(message).toContain("Free some space on that disk and try again");
      expect(message).not.toMatch(RAW_TEXT);
    } finally {
      client.close();
    }
  });

  test("an upload that does not fit fails with disk, saying what to do", async () => {
    const client = await daemon.connect();
    try {
      const failed = client.transcribeBytes(readFileSync(sixSeconds), "six.wav").promise;
      await expect(failed).rejects.toMatchObject({
        code: "disk",
        message: expect.stringContaining(`verbatimd could not write the upload in ${state}/uploads: `),
      });
      const message = ((await failed.catch((error: Error) => error)) as Error).message;
      expect(message).toContain(reason);
      expect(message).not.toMatch(RAW_TEXT);
    } finally {
      client.close();
    }
  });

  test("the CLI prints the message, not the file system's text", async () => {
    const { code, stderr } = await daemon.cli("transcribe", wav);
    expect(code).not.toBe(0);
    expect(stderr).toContain("Free some space on that disk");
    expect(stderr).not.toMatch(RAW_TEXT);
  });

  (kind === "tmpfs" ? test : test.skip)("once there is space again, the same job runs", async () => {
    rmSync(filler());
    const client = await daemon.connect();
    try {
      expect((await client.transcribeFile(wav).promise).text.length).toBeGreaterThan(0);
    } finally {
      client.close();
    }
  });
});
