// Rough edges of the daemon found by probing it (issue 13): a failed model switch, the message a job cancelled by
// its client's departure leaves behind, malformed frames, duplicate job ids and the instance lock.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import WebSocket from "ws";
import type { Event } from "../../daemon/src/protocol";
import { DaemonProcess } from "../support/daemon-process";
import { heldoutWav } from "../support/dictation";
import { repoRoot } from "../support/fixtures";

jest.setTimeout(180_000);

const model = path.join(repoRoot, "test", "fixtures", "models", "verbatim-tiny-en");
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
    child.stdout.once("data", (data) => resolve(String(data).trim())),
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
    message: "the job was cancelled because its client disconnected",
  });
});

/** A raw WebSocket on the daemon's socket, and the next event it receives. */
async function rawConnection(): Promise<{ socket: WebSocket; next: () => Promise<Event>; closed: () => boolean }> {
  const socket = new WebSocket(`ws+unix:${daemon.socket}:/`);
  await new Promise((resolve) => socket.once("open", resolve));
  const replies: Event[] = [];
  let closed = false;
  socket.on("message", (data) => replies.push(JSON.parse(data.toString())));
  socket.on("close", () => (closed = true));
  const next = async () => {
    while (replies.length === 0) {
      if (closed) throw new Error("the daemon closed the connection");
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
