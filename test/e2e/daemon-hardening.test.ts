// Rough edges of the daemon found by probing it (issue 13): a failed model switch, the message a job cancelled by
// its client's departure leaves behind, malformed frames, duplicate job ids and the instance lock.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import WebSocket from "ws";
import { DaemonClient, ForeignSocketError } from "../../daemon/src/client";
import type { Event } from "../../daemon/src/protocol";
import { DaemonProcess, daemonEntry } from "../support/daemon-process";
import { heldoutWav } from "../support/dictation";
import { fixtureModel, repoRoot } from "../support/fixtures";
import { within } from "../support/within";

jest.setTimeout(180_000);

const model = fixtureModel();
const wav = heldoutWav("heldout-07.wav");
const media = mkdtempSync(path.join(os.tmpdir(), "verbatim-hardening-"));
const long = path.join(media, "long.wav");
let daemon: DaemonProcess;

beforeAll(async () => {
  execFileSync("sox", [wav, long, "repeat", "20"]);
  daemon = new DaemonProcess({ model, threads: 2 });
  await daemon.start();
  await daemon.waitForModel();
});

afterAll(async () => {
  await daemon?.dispose();
  rmSync(media, { recursive: true, force: true });
});

test("after a failed model.switch, status reports the model still loaded, with why the switch failed", async () => {
  const broken = path.join(media, "broken-model");
  mkdirSync(broken);
  writeFileSync(path.join(broken, "config.json"), "{ not json");
  writeFileSync(path.join(broken, "weights.safetensors"), "nothing");
  const client = await daemon.connect();
  await expect(client.request({ type: "model.switch", model: broken })).rejects.toMatchObject({ code: "model" });
  const status = (await client.status()).model;
  expect(status).toMatchObject({ id: model, state: "ready", folder: model });
  expect(status.error).toContain(`Could not switch to ${broken}; still using ${model}.`);
  const transcript = await client.transcribeFile(wav).promise;
  expect(transcript.model).toBe(model);
  client.close();
});

test("a job whose client disconnects is recorded as cancelled because its client disconnected", async () => {
  const script = `
    const { DaemonClient } = require(${JSON.stringify(path.join(repoRoot, "daemon", "dist", "client.js"))});
    DaemonClient.connect(${JSON.stringify(daemon.socket)}).then((client) => {
      const job = client.transcribeFile(${JSON.stringify(long)}, {
        onEvent: (e) => { if (e.type === "token") process.stdout.write(job.id + "\\n", () => process.exit(0)); },
      });
    });`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  const jobId = await new Promise<string>((resolve) =>
    child.stdout.once("data", (data) => resolve(String(data).split("\n")[0])),
  );
  const client = await daemon.connect();
  let outcome = await client.result(jobId).catch((error: Error) => error);
  for (let i = 0; i < 100 && !(outcome instanceof Error); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    outcome = await client.result(jobId).catch((error: Error) => error);
  }
  client.close();
  expect(outcome).toMatchObject({
    code: "cancelled",
    message: "the job was canceled because its client disconnected",
  });
});

test("a named pipe as the audio file is refused at once, and the next job runs", async () => {
  const fifo = path.join(media, "pipe.wav");
  execFileSync("mkfifo", [fifo]);
  const client = await daemon.connect();
  try {
    const refused = within(5000, "the job on a FIFO", client.transcribeFile(fifo).promise);
    await expect(refused).rejects.toMatchObject({
      code: "audio",
      message: expect.stringContaining("is not a file but a named pipe (FIFO)"),
    });
    const next = await within(60_000, "the job after it", client.transcribeFile(wav).promise);
    expect(next.text.length).toBeGreaterThan(0);
  } finally {
    client.close();
  }
});

describe("a WAV of a million empty chunks before its data", () => {
  const chunky = path.join(media, "chunky.wav");
  beforeAll(() => {
    const raw = path.join(media, "speech.raw");
    execFileSync("sox", [wav, "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer", raw]);
    const samples = readFileSync(raw);
    const format = Buffer.alloc(24);
    format.write("fmt ", 0, "latin1");
    format.writeUInt32LE(16, 4);
    format.writeUInt16LE(1, 8); // PCM
    format.writeUInt16LE(1, 10); // mono
    format.writeUInt32LE(16000, 12);
    format.writeUInt32LE(32000, 16);
    format.writeUInt16LE(2, 20);
    format.writeUInt16LE(16, 22);
    const empty = Buffer.alloc(8 * 1_000_000);
    for (let at = 0; at < empty.length; at += 8) empty.write("junk", at, "latin1"); // size 0
    const data = Buffer.alloc(8);
    data.write("data", 0, "latin1");
    data.writeUInt32LE(samples.length, 4);
    const riff = Buffer.alloc(12);
    riff.write("RIFF", 0, "latin1");
    riff.writeUInt32LE(4 + format.length + empty.length + data.length + samples.length, 4);
    riff.write("WAVE", 8, "latin1");
    writeFileSync(chunky, Buffer.concat([riff, format, empty, data, samples]));
  });

  // Before the fix each chunk header was its own read: 8 MB took tens of seconds and ran on after a cancel.
  test("is read in moments", async () => {
    const client = await daemon.connect();
    try {
      let decodedAt = 0;
      const started = Date.now();
      const job = client.transcribeFile(chunky, {
        onEvent: (event) => {
          if (event.type === "progress" && event.stage === "transcribing" && !decodedAt) decodedAt = Date.now();
        },
      });
      const transcript = await within(60_000, "the job", job.promise);
      expect(transcript.durationSeconds).toBeCloseTo(readFileSync(path.join(media, "speech.raw")).length / 32000, 2);
      expect(decodedAt - started).toBeLessThan(5000);
    } finally {
      client.close();
    }
  });

  test("cancelled while it is read, the job ends at once as cancelled", async () => {
    const { socket } = await rawConnection();
    const events: Event[] = [];
    socket.on("message", (data) => events.push(JSON.parse(data.toString())));
    socket.send(JSON.stringify({ id: "chunky", type: "transcribe", source: { kind: "file", path: chunky } }));
    await seen(events, (event) => event.type === "progress" && event.stage === "decoding");
    const cancelledAt = Date.now();
    socket.send(JSON.stringify({ id: "stop", type: "cancel", job: "chunky" }));
    const ended = await seen(events, (event) => event.type === "error" && event.id === "chunky");
    expect(Date.now() - cancelledAt).toBeLessThan(2000);
    expect(ended).toMatchObject({ code: "cancelled", message: "the job was canceled by the client" });
    socket.close();
  });
});

/** A raw WebSocket on the daemon's socket, and the next event it receives. */
async function rawConnection(
  path = daemon.socket,
): Promise<{ socket: WebSocket; next: () => Promise<Event>; closed: () => boolean }> {
  const socket = new WebSocket(`ws+unix:${path}:/`);
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  const replies: Event[] = [];
  let closed = false;
  socket.on("message", (data) => replies.push(JSON.parse(data.toString())));
  socket.on("close", () => (closed = true));
  const next = async () => {
    for (let waited = 0; replies.length === 0; waited += 10) {
      if (closed) throw new Error("the daemon closed the connection");
      if (waited > 10_000) throw new Error("the daemon did not answer within 10 s");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return replies.shift()!;
  };
  return { socket, next, closed: () => closed };
}

test("a text frame that is not UTF-8 gets a typed error and the connection stays open", async () => {
  const { socket, next, closed } = await rawConnection();
  const invalid = Buffer.concat([
    Buffer.from('{"id":"a","type":"status","x":"'),
    Buffer.from([0xc3, 0x28]),
    Buffer.from('"}'),
  ]);
  socket.send(invalid, { binary: false });
  expect(await next()).toMatchObject({
    type: "error",
    id: null,
    code: "bad_message",
    message: expect.stringContaining("UTF-8"),
  });
  socket.send(JSON.stringify({ id: "b", type: "status" }));
  expect(await next()).toMatchObject({ type: "status", id: "b" });
  expect(closed()).toBe(false);
  socket.close();
});

/**
 * Waits until `events` holds one that matches: a wait, not a speed bound, so generous (a long file's first token
 * took over 6 s on a machine loaded 14 deep on 2 cores).
 */
async function seen(events: Event[], match: (event: Event) => boolean): Promise<Event> {
  for (let i = 0; i < 3000; i++) {
    const found = events.find(match);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`not seen among ${JSON.stringify(events.map((event) => event.type))}`);
}

describe("job ids", () => {
  test("a duplicate id on one connection is refused without an accepted, and the first job stays its own", async () => {
    const { socket } = await rawConnection();
    const events: Event[] = [];
    socket.on("message", (data) => events.push(JSON.parse(data.toString())));
    const request = JSON.stringify({ id: "dup", type: "transcribe", source: { kind: "file", path: long } });
    socket.send(request);
    await seen(events, (event) => event.type === "accepted");
    socket.send(request);
    const refusal = await seen(events, (event) => event.type === "error");
    expect(refusal).toMatchObject({
      id: "dup",
      code: "bad_message",
      message: expect.stringContaining("already running"),
    });
    socket.close();
    // The first job was still this connection's: leaving cancelled it (an orphan would have finished).
    const client = await daemon.connect();
    let outcome = await client.result("dup").catch((error: Error) => error);
    for (let i = 0; i < 100 && !(outcome instanceof Error); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      outcome = await client.result("dup").catch((error: Error) => error);
    }
    client.close();
    expect(events.filter((event) => event.type === "accepted")).toHaveLength(1);
    expect(outcome).toMatchObject({ code: "cancelled" });
  });

  test("an upload id longer than a binary frame can carry is refused at once", async () => {
    const { socket, next } = await rawConnection();
    const id = "é".repeat(128); // 256 bytes of UTF-8
    socket.send(JSON.stringify({ id, type: "transcribe", source: { kind: "upload", bytes: 10 } }));
    expect(await next()).toMatchObject({
      type: "error",
      id,
      code: "bad_message",
      message: expect.stringContaining("255 bytes"),
    });
    socket.close();
  });

  test("a running job's record outlives keepResults later submissions, so its id stays taken", async () => {
    const small = new DaemonProcess({ model, threads: 2, keepResults: 1 });
    await small.start();
    await small.waitForModel();
    const client = await small.connect();
    try {
      let started!: () => void;
      const tokenSeen = new Promise<void>((resolve) => (started = resolve));
      const first = client.transcribeFile(long, { onEvent: (event) => event.type === "token" && started() });
      first.promise.catch(() => undefined);
      await tokenSeen;
      const waiting = [client.transcribeFile(wav), client.transcribeFile(wav)];
      for (const job of waiting) job.promise.catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await client.result(first.id)).toEqual({ state: "running" });
      await expect(
        client.request({ type: "transcribe", source: { kind: "file", path: wav } }, undefined, first.id),
      ).rejects.toMatchObject({
        code: "bad_message",
      });
    } finally {
      client.close();
      await small.dispose();
    }
  });
});

describe("the instance lock", () => {
  const fresh: DaemonProcess[] = [];
  afterAll(async () => {
    for (const other of fresh) await other.dispose();
  });

  test("a stale pid file naming an unrelated live process does not keep the daemon from starting", async () => {
    const other = new DaemonProcess({ model, threads: 2 });
    fresh.push(other);
    const unrelated = spawn("sleep", ["60"]);
    try {
      writeFileSync(path.join(other.home, "verbatimd.pid"), String(unrelated.pid));
      await other.start();
      expect((await other.status()).pid).toBe(other.child?.pid);
    } finally {
      unrelated.kill();
      await other.stop();
    }
  });

  // Before issue 28, any live process whose command line contained "verbatimd" was taken for the daemon: start
  // failed (after 15 s) while stop said it was not running.
  test("a pid file naming `tail -f …/verbatimd.log` blocks neither daemon start nor daemon stop", async () => {
    const other = new DaemonProcess({ model, threads: 2 });
    fresh.push(other);
    const log = path.join(other.home, "verbatimd.log");
    writeFileSync(log, "");
    const tail = spawn("tail", ["-f", log]);
    const pidFile = path.join(other.home, "verbatimd.pid");
    try {
      writeFileSync(pidFile, String(tail.pid));
      expect(await other.cli("daemon", "stop")).toEqual({ code: 0, stdout: "verbatimd was not running\n", stderr: "" });
      const startedAt = Date.now();
      expect(await other.cli("daemon", "start")).toMatchObject({ code: 0, stdout: /^verbatimd started/ });
      expect(Date.now() - startedAt).toBeLessThan(10_000);
      const { pid } = await other.status();
      expect(pid).not.toBe(tail.pid);
      expect(readFileSync(pidFile, "utf8").split("\n")[0]).toBe(String(pid)); // `kill $(head -1 verbatimd.pid)`
      expect(await other.cli("daemon", "stop")).toEqual({ code: 0, stdout: "verbatimd stopped\n", stderr: "" });
      expect(tail.exitCode).toBeNull(); // nobody took it for the daemon
    } finally {
      tail.kill();
      await other.cli("daemon", "stop");
    }
  });

  test("a pid file naming a daemon that serves another socket does not keep this one from starting", async () => {
    const other = new DaemonProcess({ model, threads: 2 });
    fresh.push(other);
    const running = readFileSync(path.join(daemon.home, "verbatimd.pid"), "utf8");
    expect(running.split("\n")[0]).toBe(String(daemon.child?.pid));
    writeFileSync(path.join(other.home, "verbatimd.pid"), running);
    try {
      await other.start();
      expect((await other.status()).pid).toBe(other.child?.pid);
      expect((await daemon.status()).pid).toBe(daemon.child?.pid); // the other daemon runs on, untouched
    } finally {
      await other.stop();
    }
  });

  // Before the fix, 8 daemons at once over a stale pid file often left several running, or one exiting 1 on EEXIST.
  test.each([1, 2, 3])(
    "daemons started at once over a stale pid file: one runs, every other exits 3 saying so (round %i)",
    async () => {
      const other = new DaemonProcess({ model, threads: 2 });
      fresh.push(other);
      const gone = spawn("true");
      await new Promise((resolve) => gone.once("exit", resolve));
      writeFileSync(path.join(other.home, "verbatimd.pid"), String(gone.pid));
      const starts = Array.from({ length: 8 }, () => {
        const child = spawn(process.execPath, [daemonEntry], { env: other.env, stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr.on("data", (chunk) => (stderr += chunk));
        const exited = new Promise<{ code: number | null; stderr: string }>((resolve) =>
          child.once("exit", (code) => resolve({ code, stderr })),
        );
        return { child, exited };
      });
      try {
        const outcomes: ({ code: number | null; stderr: string } | null)[] = starts.map(() => null);
        starts.forEach(({ exited }, i) => void exited.then((outcome) => (outcomes[i] = outcome)));
        for (let i = 0; i < 400 && outcomes.filter(Boolean).length < starts.length - 1; i++) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await new Promise((resolve) => setTimeout(resolve, 500)); // a late loser, or a second daemon that kept running
        const exits = outcomes.filter((outcome) => outcome !== null);
        expect(exits).toHaveLength(starts.length - 1);
        for (const exit of exits) {
          expect(exit.code).toBe(3);
          expect(exit.stderr).toMatch(/^verbatimd is already running/);
        }
        const winner = starts[outcomes.indexOf(null)].child;
        expect((await other.status()).pid).toBe(winner.pid);
      } finally {
        for (const { child } of starts) child.kill("SIGTERM");
        await Promise.all(starts.map(({ exited }) => exited));
      }
    },
  );
});

/**
 * Paths of files called `name` in the daemon's home (where its uploads go) or in a folder directly under the
 * temporary folder (where they went before). Not a search of the whole temporary folder: with other checkouts there
 * it took long enough for the job to end, and its upload to go, before the daemon was killed.
 */
function findFiles(home: string, name: string): string[] {
  const found = spawnSync("find", [home, "-name", name], { encoding: "utf8" }).stdout;
  const before = spawnSync("find", [os.tmpdir(), "-mindepth", "2", "-maxdepth", "2", "-name", name], {
    encoding: "utf8",
  });
  return (found + before.stdout).split("\n").filter(Boolean);
}

// Before the fix uploads went to os.tmpdir()/verbatim-upload-* and stayed there for good after a SIGKILL.
test("an upload a SIGKILLed daemon left behind is swept at its next start", async () => {
  const other = await DaemonProcess.ready({ model, threads: 2 });
  try {
    const name = `sweep-${process.pid}-${Date.now()}.wav`;
    const client = await other.connect();
    let started!: () => void;
    const tokenSeen = new Promise<void>((resolve) => (started = resolve));
    const job = client.transcribeBytes(readFileSync(long), name, {
      onEvent: (event) => event.type === "token" && started(),
    });
    job.promise.catch(() => undefined);
    await tokenSeen;
    const [upload] = findFiles(other.home, name);
    expect(upload).toBeDefined();
    other.child!.kill("SIGKILL");
    await other.exited();
    client.close();
    expect(existsSync(upload)).toBe(true);
    await other.start();
    expect(findFiles(other.home, name)).toEqual([]);
  } finally {
    await other.dispose();
  }
});

describe("shutdown", () => {
  const stopped: DaemonProcess[] = [];
  afterAll(async () => {
    for (const other of stopped) await other.dispose();
  });

  async function runningLongJob(): Promise<{ other: DaemonProcess; socket: WebSocket; events: Event[] }> {
    const other = new DaemonProcess({ model, threads: 2 });
    stopped.push(other);
    await other.start();
    await other.waitForModel();
    const { socket } = await rawConnection(other.socket);
    const events: Event[] = [];
    socket.on("message", (data) => events.push(JSON.parse(data.toString())));
    socket.send(JSON.stringify({ id: "first", type: "transcribe", source: { kind: "file", path: long } }));
    await seen(events, (event) => event.type === "token");
    return { other, socket, events };
  }

  // Before the fix, jobs sent after SIGTERM were accepted and run to the end, and the drain waited for them: a
  // client that kept sending kept the daemon from ever stopping.
  test("after SIGTERM no connection or job is taken, every job ends shutting_down, socket and pid file go", async () => {
    const { other, socket, events } = await runningLongJob();
    other.child!.kill("SIGTERM");
    const exited = other.exited();
    let sent = 0;
    const flood = setInterval(() => {
      if (socket.readyState !== WebSocket.OPEN) return;
      socket.send(JSON.stringify({ id: `after-${sent++}`, type: "transcribe", source: { kind: "file", path: wav } }));
    }, 2);
    try {
      await seen(events, (event) => event.type === "error" && event.id === "first");
      await expect(rawConnection(other.socket)).rejects.toThrow();
      expect(await within(10_000, "the daemon's shutdown", exited)).toBe(0);
    } finally {
      clearInterval(flood);
    }
    const accepted = events.filter((event) => event.type === "accepted").map((event) => event.id);
    for (const id of accepted) {
      expect(events.find((event) => event.type === "error" && event.id === id)).toMatchObject({
        code: "shutting_down",
      });
    }
    expect(events.filter((event) => event.type === "done")).toEqual([]);
    const refused = events.filter((event) => event.type === "error" && event.code === "shutting_down");
    expect(refused.length).toBeGreaterThan(accepted.length); // requests sent during the drain were answered
    expect(existsSync(other.socket)).toBe(false);
    expect(existsSync(path.join(other.home, "verbatimd.pid"))).toBe(false);
  });

  test("a second SIGTERM stops at once and still leaves no socket or pid file behind", async () => {
    const { other } = await runningLongJob();
    other.child!.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 5));
    other.child!.kill("SIGTERM");
    await within(10_000, "the daemon's exit", other.exited());
    expect(existsSync(other.socket)).toBe(false);
    expect(existsSync(path.join(other.home, "verbatimd.pid"))).toBe(false);
  });
});

// Linux without XDG_RUNTIME_DIR: the socket goes under $TMPDIR/verbatim-UID/verbatim/, where another user could
// make the folders first. Before the fix any existing folder was used as it was.
describe("the socket folder in a shared temporary folder", () => {
  const nobody = 65534;
  let tmp: string;
  let runtime: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), "vt-"));
    runtime = path.join(tmp, `verbatim-${os.userInfo().uid}`);
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  /** The environment of a user with Linux's default paths under tmp. */
  function defaultPathsEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp, HOME: path.join(tmp, "home") };
    env.VERBATIM_MODEL = model;
    env.HF_HUB_OFFLINE = "1";
    for (const name of ["XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "VERBATIM_HOME", "VERBATIM_SOCKET"]) {
      delete env[name];
    }
    return env;
  }

  /** verbatimd with Linux's default paths under tmp, started under umask 000. */
  function startWithDefaultPaths() {
    const env = defaultPathsEnv();
    const child = spawn("sh", ["-c", 'umask 000; exec "$0" "$1"', process.execPath, daemonEntry], { env });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const exited = new Promise<{ code: number | null; stderr: string }>((resolve) =>
      child.once("exit", (code) => resolve({ code, stderr })),
    );
    return { child, exited };
  }

  test.each([
    ["open to others (0777)", () => (mkdirSync(runtime), chmodSync(runtime, 0o777)), "other users can open (mode 0777"],
    [
      "a symbolic link",
      () => (mkdirSync(`${runtime}-real`, 0o700), symlinkSync(`${runtime}-real`, runtime)),
      "is a symbolic link",
    ],
    [
      "another user's",
      () => (mkdirSync(runtime, 0o700), chownSync(runtime, nobody, nobody)),
      `belongs to another user (uid ${nobody})`,
    ],
  ])("a planted folder %s is refused, saying why and what to do", async (_, plant, why) => {
    plant();
    const { exited } = startWithDefaultPaths();
    const { code, stderr } = await within(15_000, "verbatimd", exited);
    expect(code).toBe(1);
    expect(stderr).toContain(`verbatimd keeps its socket in ${runtime}, which ${why}`);
    expect(stderr).toContain(`rm -r ${runtime}`);
    expect(existsSync(path.join(runtime, "verbatim", "verbatimd.sock"))).toBe(false);
  });

  test("verbatim daemon start passes on why the daemon refused the folder", () => {
    mkdirSync(runtime);
    chmodSync(runtime, 0o777);
    const cli = path.join(repoRoot, "daemon", "bin", "verbatim.js");
    const run = spawnSync(process.execPath, [cli, "daemon", "start"], { env: defaultPathsEnv(), encoding: "utf8" });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(`verbatimd keeps its socket in ${runtime}, which other users can open`);
  });

  test("missing folders are created private, and the socket too, even under umask 000", async () => {
    const { child, exited } = startWithDefaultPaths();
    const socket = path.join(runtime, "verbatim", "verbatimd.sock");
    try {
      // The socket file appears at bind(), a moment before listen(): wait for an answer, as DaemonProcess.start does.
      let client: DaemonClient | undefined;
      for (let i = 0; i < 200 && !client; i++) {
        client = await DaemonClient.connect(socket).catch(() => undefined);
        if (!client) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      if (!client) throw new Error(`verbatimd did not answer on ${socket}`);
      expect((await client.status()).pid).toBe(child.pid);
      client.close();
      expect(statSync(runtime).mode & 0o777).toBe(0o700);
      expect(statSync(path.dirname(socket)).mode & 0o777).toBe(0o700);
      expect(statSync(socket).mode & 0o777).toBe(0o600);
    } finally {
      child.kill("SIGTERM");
      await exited;
    }
  });
});

test("a client refuses a socket that belongs to another user", async () => {
  chownSync(daemon.socket, 65534, 65534);
  try {
    await expect(DaemonClient.connect(daemon.socket)).rejects.toThrow(ForeignSocketError);
    await expect(DaemonClient.connect(daemon.socket)).rejects.toThrow("belongs to another user (uid 65534)");
  } finally {
    chownSync(daemon.socket, os.userInfo().uid, os.userInfo().gid);
  }
});
