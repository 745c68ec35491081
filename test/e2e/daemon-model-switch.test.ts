// A model switch that cannot finish holds up only the jobs that asked for the new model (issue 28, item 6): model
// files that would block (a named pipe) are refused at once, and while a switch hangs (a download that stalls, as
// a stalled mount would), jobs that ask for no model, or for the loaded one, keep running on the loaded model.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { TestHub, writeTestModelFolder } from "../../daemon/tests/support/hub-server";
import type { DaemonClient } from "../../daemon/src/client";
import { DaemonProcess } from "../support/daemon-process";
import { heldoutWav } from "../support/dictation";
import { fixtureModel } from "../support/fixtures";
import { within } from "../support/within";

jest.setTimeout(120_000);

const model = fixtureModel();
const wav = heldoutWav("heldout-07.wav");
const media = mkdtempSync(path.join(os.tmpdir(), "verbatim-switch-"));

afterAll(() => rmSync(media, { recursive: true, force: true }));

/** A copy of the fixture model whose `fifo` file is a named pipe instead. */
function modelWithPipe(name: string, fifo: string): string {
  const folder = path.join(media, name);
  mkdirSync(folder);
  for (const file of ["config.json", "weights.safetensors"]) {
    if (file === fifo) execFileSync("mkfifo", [path.join(folder, file)]);
    else copyFileSync(path.join(model, file), path.join(folder, file));
  }
  return folder;
}

describe("model files that would block", () => {
  let daemon: DaemonProcess;
  beforeAll(async () => {
    daemon = await DaemonProcess.ready({ model, threads: 2, readyTimeoutSeconds: 60 });
  });
  afterAll(() => daemon?.dispose());

  test.each(["weights.safetensors", "config.json"])("a named pipe as %s is refused at once", async (file) => {
    const folder = modelWithPipe(`pipe-${file}`, file);
    const client = await daemon.connect();
    try {
      const switched = within(5000, "the switch", client.request({ type: "model.switch", model: folder }));
      await expect(switched).rejects.toMatchObject({
        code: "model",
        message: `${path.join(folder, file)} is not a file but a named pipe (FIFO): Verbatim loads models only from regular files. Copy the model's files into a folder of their own and switch to that folder.`,
      });
      expect((await client.status()).model).toMatchObject({ id: model, state: "ready", inUse: model });
      const transcript = await within(60_000, "the job after it", client.transcribeFile(wav).promise);
      expect(transcript.model).toBe(model);
    } finally {
      client.close();
    }
  });
});

describe("a switch that hangs", () => {
  const stalled = "org/stalled-model";
  let hub: TestHub;
  let daemon: DaemonProcess;
  let switcher: DaemonClient;
  let other: DaemonClient;

  beforeAll(async () => {
    hub = await TestHub.start();
    const published = path.join(media, "published");
    await writeTestModelFolder(published, { weightsBytes: 2_000_000 });
    await hub.addRepoFromFolder(stalled, published);
    hub.injectFault(stalled, "weights.safetensors", { kind: "stall", bytes: 1000 });
    daemon = await DaemonProcess.ready(
      { model, threads: 2, readyTimeoutSeconds: 60 },
      { env: { HF_ENDPOINT: hub.url, HF_HUB_OFFLINE: "", HF_HUB_CACHE: path.join(media, "cache") } },
    );
    switcher = await daemon.connect();
    other = await daemon.connect();
  });
  afterAll(async () => {
    switcher?.close();
    other?.close();
    await daemon?.dispose();
    await hub?.close();
  });

  test("jobs that ask for no model, or for the loaded one, run on it; one that asks for the new model waits for it and fails with it", async () => {
    const switched = switcher.request({ type: "model.switch", model: stalled });
    switched.catch(() => undefined);
    let status = await other.status();
    for (let i = 0; i < 100 && !status.model.progress; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = await other.status();
    }
    // The weights' download has started and stalls: the switch stays loading, the model before it stays in use.
    expect(status.model).toMatchObject({ id: stalled, state: "loading", inUse: model, folder: model });
    expect(status.model.progress).toMatchObject({ stage: "download" });

    const plain = await within(30_000, "a job asking for no model", other.transcribeFile(wav).promise);
    expect(plain.model).toBe(model);
    const loaded = await within(
      30_000,
      "a job asking for the loaded model",
      other.transcribeFile(wav, { options: { model } }).promise,
    );
    expect(loaded.model).toBe(model);
    // The switch is still waiting, as is a job that asked for the new model.
    const wantsNew = other.transcribeFile(wav, { options: { model: stalled } }).promise;
    wantsNew.catch(() => undefined);
    expect((await other.status()).model).toMatchObject({ id: stalled, state: "loading", inUse: model });

    // The network drops: the switch fails, and so does the job that asked for its model; a job asking for no
    // model, sent as it fails, runs on the model that stayed loaded.
    const during = other.transcribeFile(wav).promise;
    hub.dropStalled();
    await expect(within(30_000, "the switch", switched)).rejects.toMatchObject({ code: "model" });
    await expect(within(30_000, "the job asking for the new model", wantsNew)).rejects.toMatchObject({
      code: "model",
    });
    expect((await within(30_000, "the job sent as the switch failed", during)).model).toBe(model);
    const after = (await other.status()).model;
    expect(after).toMatchObject({ id: model, state: "ready", inUse: model });
    expect(after.error).toContain(`Could not switch to ${stalled}; still using ${model}.`);
  });

  test("a client's switch back to the loaded model calls off a switch that hangs", async () => {
    hub.injectFault(stalled, "weights.safetensors", { kind: "stall", bytes: 1000 });
    const switched = switcher.request({ type: "model.switch", model: stalled });
    switched.catch(() => undefined);
    for (let i = 0; i < 100 && (await other.status()).model.state !== "loading"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await other.status()).model).toMatchObject({ id: stalled, state: "loading" });
    await within(5000, "the switch back", other.request({ type: "model.switch", model }));
    expect((await other.status()).model).toMatchObject({ id: model, state: "ready", inUse: model, error: null });
    hub.dropStalled();
  });
});

describe("a job's own model, and the default", () => {
  const other = fixtureModel("verbatim-tiny-en-4bit");
  let daemon: DaemonProcess;
  beforeAll(async () => {
    daemon = await DaemonProcess.ready({ model, threads: 2 });
  });
  afterAll(async () => {
    await daemon?.dispose();
  });

  test("--model applies to its job alone; `models use` changes the default, saved in config.json", async () => {
    const client = await daemon.connect();
    try {
      expect((await client.transcribeFile(wav, { options: { model: other } }).promise).model).toBe(other);
      // Before, the job's model stayed and served every later job that named none.
      expect((await client.transcribeFile(wav).promise).model).toBe(model);

      const used = await daemon.cli("models", "use", other);
      expect(used).toMatchObject({ code: 0, stdout: `Jobs without --model now use ${other}.\n` });
      expect((await client.transcribeFile(wav).promise).model).toBe(other);
      expect(JSON.parse(readFileSync(path.join(daemon.home, "config.json"), "utf8"))).toMatchObject({ model: other });
      expect((await client.transcribeFile(wav, { options: { model } }).promise).model).toBe(model);
      expect((await client.transcribeFile(wav).promise).model).toBe(other);
    } finally {
      client.close();
    }
  });

  test("the speaker model is refused as the speech model, saying where it goes; nothing is downloaded", async () => {
    const saved = readFileSync(path.join(daemon.home, "config.json"), "utf8");
    const used = await daemon.cli("models", "use", "nemotron-diarization");
    expect(used.code).not.toBe(0);
    expect(used.stderr).toMatch(/nemotron-diarization is a speaker model .*not a speech model/);
    expect(used.stderr).toContain(`config.json's "speakerModel"`);
    expect(readFileSync(path.join(daemon.home, "config.json"), "utf8")).toBe(saved);
    const client = await daemon.connect();
    try {
      await expect(
        client.transcribeFile(wav, { options: { model: "nvidia/Nemotron-3-Diarization" } }).promise,
      ).rejects.toThrow(/is a speaker model/);
      expect((await client.transcribeFile(wav).promise).model).toBe(JSON.parse(saved).model);
    } finally {
      client.close();
    }
  });
});
