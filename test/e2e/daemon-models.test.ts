// The daemon's warm model over time: switching at run time, unloading when idle and reloading on demand, a
// model that cannot load, interactive jobs going before waiting file jobs, and the backend set in the config.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildInfo } from "../../native/lib";
import { DaemonProcess } from "../support/daemon-process";
import { repoRoot } from "../support/fixtures";

jest.setTimeout(180_000);

const media = mkdtempSync(path.join(os.tmpdir(), "verbatim-e2e-models-"));
const wav = path.join(media, "speech.wav");
// The trained test models: fp16, then its 4-bit quantization.
const models = path.join(repoRoot, "test", "fixtures", "models");
const first = path.join(models, "verbatim-tiny-en");
const second = path.join(models, "verbatim-tiny-en-4bit");

beforeAll(() => {
  execFileSync("espeak-ng", ["-v", "en-us", "-w", wav, "Please change the model while the system is running."]);
});

afterAll(() => rmSync(media, { recursive: true, force: true }));

describe("one daemon", () => {
  const daemon = new DaemonProcess({ model: "", threads: 2, idleUnloadMinutes: 0.01 });

  beforeAll(async () => {
    await daemon.start();
  });
  afterAll(() => daemon.dispose());

  test("an invalid model in the config fails clearly and leaves the daemon answering", async () => {
    // Offline, the default model (what an invalid name falls back to) cannot be fetched; that takes a moment.
    let status = await daemon.status();
    for (let waited = 0; status.model.state === "loading" && waited < 30_000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = await daemon.status();
    }
    expect(status.model.state).toBe("failed");
    expect(status.model.error).toBeTruthy();
  });

  test("the model can be switched at run time", async () => {
    const client = await daemon.connect();
    await client.request({ type: "model.switch", model: first });
    expect((await client.status()).model).toMatchObject({ id: first, state: "ready" });
    await client.request({ type: "model.switch", model: second });
    expect((await client.status()).model).toMatchObject({ id: second, state: "ready", folder: second });
    const transcript = await client.transcribeFile(wav).promise;
    expect(transcript.model).toBe(second);
    client.close();
  });

  test("an idle model is unloaded and comes back on demand", async () => {
    for (let i = 0; i < 100 && (await daemon.status()).model.state !== "unloaded"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await daemon.status()).model.state).toBe("unloaded");
    const client = await daemon.connect();
    const transcript = await client.transcribeFile(wav).promise;
    expect(transcript.model).toBe(second);
    client.close();
  });

  test("interactive work goes before waiting file jobs", async () => {
    const client = await daemon.connect();
    const finished: string[] = [];
    const track = (name: string, promise: Promise<unknown>) => promise.then(() => finished.push(name));
    const jobs = [
      track("batch-1", client.transcribeFile(wav, { priority: "batch" }).promise),
      track("batch-2", client.transcribeFile(wav, { priority: "batch" }).promise),
      track("batch-3", client.transcribeFile(wav, { priority: "batch" }).promise),
      track("interactive", client.transcribeFile(wav, { priority: "interactive" }).promise),
    ];
    await Promise.all(jobs);
    client.close();
    // batch-1 was already running when the interactive job arrived; it overtook the two waiting ones.
    expect(finished).toEqual(["batch-1", "interactive", "batch-2", "batch-3"]);
  });
});

describe("a daemon configured for the MLX backend", () => {
  const daemon = new DaemonProcess({ model: first, backend: "mlx", mlxCacheLimitMB: 0, threads: 2 });
  const mlxBuilt = buildInfo().backends.includes("mlx");

  beforeAll(() => daemon.start());
  afterAll(() => daemon.dispose());

  (mlxBuilt ? test : test.skip)("runs the model on MLX and reports MLX's memory", async () => {
    const status = await daemon.waitForModel();
    expect(status.model).toMatchObject({ backend: "mlx", device: buildInfo().mlxGpu ? "gpu" : "cpu" });
    expect(status.memory.mlx?.activeBytes).toBeGreaterThan(0);
    expect(status.memory.mlx?.cacheBytes).toBe(0);
    const client = await daemon.connect();
    expect((await client.transcribeFile(wav).promise).backend).toBe("mlx");
    client.close();
  });

  (mlxBuilt ? test.skip : test)("without MLX built in, says how to get it and keeps answering", async () => {
    for (let i = 0; i < 100 && (await daemon.status()).model.state === "loading"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Offline, the default model (what an invalid name falls back to) cannot be fetched; that takes a moment.
    let status = await daemon.status();
    for (let waited = 0; status.model.state === "loading" && waited < 30_000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = await daemon.status();
    }
    expect(status.model.state).toBe("failed");
    expect(status.model.error).toMatch(/brew install mlx/);
    expect(status.memory.mlx).toBeNull();
  });
});
