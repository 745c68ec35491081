// Parakeet packed on request through the real daemon (issue 40): the catalog's parakeet-v3, served by a test hub with
// the files of the tiny fixture parakeet-tiny-v3, is pulled with `models pull --quantize 8bit` and transcribes under
// the name parakeet-v3-8bit exactly as a local copy of the fixture whose config.json says "quantize": "8bit" (not as
// the 16-bit model: on heldout-00 the random weights' 8-bit text has one word more), through the CLI's --model, the
// HTTP API's model, `models use` (the status keeps the name) and a daemon whose config.json names it. The files in
// the cache stay as downloaded. --quantize with a Whisper name is a usage error naming Whisper's packed names.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import OpenAI from "openai";
import type { DaemonClient } from "../../daemon/src/client";
import type { TranscriptData } from "../../daemon/src/protocol";
import { TestHub } from "../../daemon/tests/support/hub-server";
import { apiToken, freePort } from "../support/api";
import { DaemonProcess } from "../support/daemon-process";
import { heldoutWav } from "../support/dictation";
import { fixtureModel } from "../support/fixtures";

jest.setTimeout(240_000);

const fixture = fixtureModel("parakeet-tiny-v3");
const wav = heldoutWav("heldout-00.wav");
const work = mkdtempSync(path.join(os.tmpdir(), "verbatim-parakeet-quantize-"));
const cache = path.join(work, "cache");
let hub: TestHub;
let daemon: DaemonProcess;
let client: DaemonClient;
let port: number;

/** A copy of the fixture whose config.json asks for `quantize`. */
function configuredCopy(quantize: "8bit" | "4bit"): string {
  const folder = path.join(work, `config-${quantize}`);
  mkdirSync(folder);
  const config = JSON.parse(readFileSync(path.join(fixture, "config.json"), "utf8")) as Record<string, unknown>;
  writeFileSync(path.join(folder, "config.json"), JSON.stringify({ ...config, quantize }));
  copyFileSync(path.join(fixture, "model.safetensors"), path.join(folder, "model.safetensors"));
  return folder;
}

/** The text `verbatim transcribe` prints for the clip (a line per segment), with --model when given. */
async function transcribed(model?: string): Promise<string> {
  const run = await daemon.cli("transcribe", ...(model ? ["--model", model] : []), wav);
  expect(run).toMatchObject({ code: 0, stderr: "" });
  return run.stdout.trim().split("\n").join(" ");
}

beforeAll(async () => {
  hub = await TestHub.start();
  await hub.addRepoFromFolder("mlx-community/parakeet-tdt-0.6b-v3", fixture);
  port = await freePort();
  // The whole file as one window (the voice activity detector would cut it), on the 16-bit fixture.
  daemon = await DaemonProcess.ready(
    { model: fixture, threads: 2, fileVad: false, api: { enabled: true, port, host: "127.0.0.1" } },
    { env: { HF_ENDPOINT: hub.url, HF_HUB_CACHE: cache, HF_HUB_OFFLINE: "" } },
  );
  client = await daemon.connect();
});

afterAll(async () => {
  client?.close();
  await daemon?.dispose();
  await hub?.close();
  rmSync(work, { recursive: true, force: true });
});

test("models pull --quantize 8bit parakeet-v3 downloads parakeet-v3 as it is and names parakeet-v3-8bit", async () => {
  const pulled = await daemon.cli("models", "pull", "--quantize", "8bit", "parakeet-v3");
  expect(pulled).toMatchObject({ code: 0, stderr: "" });
  const [ready, use] = pulled.stdout.trim().split("\n");
  expect(use).toBe(
    "Use parakeet-v3-8bit to load it packed to 8 bits: verbatim models use parakeet-v3-8bit, or --model " +
      "parakeet-v3-8bit for one job.",
  );
  // What `models pull parakeet-v3` gives, and the files as the hub serves them.
  expect((await daemon.cli("models", "pull", "parakeet-v3")).stdout).toBe(`${ready}\n`);
  const snapshot = /^mlx-community\/parakeet-tdt-0\.6b-v3 is ready in (.+)$/.exec(ready)![1];
  for (const file of ["config.json", "model.safetensors"]) {
    expect(readFileSync(path.join(snapshot, file))).toEqual(readFileSync(path.join(fixture, file)));
  }

  const listed = (await daemon.cli("models", "list")).stdout;
  const row = (name: string, memory: string) =>
    new RegExp(`^ {3}${name} +Parakeet +2\\.51 GB +${memory} +25 European languages +downloaded, \\d+ MB$`, "m");
  expect(listed).toMatch(row("parakeet-v3", "1\\.25 GB"));
  expect(listed).toMatch(row("parakeet-v3-8bit", "667 MB"));
  expect(listed).toMatch(row("parakeet-v3-4bit", "353 MB"));
});

test("--model parakeet-v3-8bit (and -4bit) transcribes as the fixture whose config.json says quantize", async () => {
  const sixteenBits = await transcribed();
  for (const quantize of ["8bit", "4bit"] as const) {
    const expected = await transcribed(configuredCopy(quantize));
    expect(expected).not.toBe(sixteenBits);
    expect(await transcribed(`parakeet-v3-${quantize}`)).toBe(expected);
  }
  const json = await daemon.cli("transcribe", "--model", "parakeet-v3-8bit", "--format", "json", wav);
  expect((JSON.parse(json.stdout) as TranscriptData).model).toBe("parakeet-v3-8bit");
});

test("the HTTP API's model, models use and config.json's model load it packed, by the name given", async () => {
  const expected = await transcribed(path.join(work, "config-8bit"));
  const openai = new OpenAI({ apiKey: apiToken(daemon), baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
  const file = new File([readFileSync(wav)], "memo.wav", { type: "audio/wav" });
  expect((await openai.audio.transcriptions.create({ file, model: "parakeet-v3-8bit" })).text).toBe(expected);

  expect((await daemon.cli("models", "use", "parakeet-v3-8bit")).code).toBe(0);
  const status = await daemon.status();
  expect(status.model).toMatchObject({ id: "parakeet-v3-8bit", inUse: "parakeet-v3-8bit", state: "ready" });
  expect(status.model.folder?.startsWith(cache)).toBe(true);
  expect(status.model.capabilities?.languages).toHaveLength(25);
  expect((await client.transcribeFile(wav).promise).text).toBe(expected);
  const config = JSON.parse(readFileSync(path.join(daemon.home, "config.json"), "utf8")) as { model: string };
  expect(config.model).toBe("parakeet-v3-8bit");
  expect((await daemon.cli("models", "list")).stdout).toMatch(/^\* +parakeet-v3-8bit +Parakeet/m);

  // A daemon that starts with it in config.json, offline: the cache holds parakeet-v3.
  const started = await DaemonProcess.ready(
    { model: "parakeet-v3-8bit", threads: 2, fileVad: false },
    { env: { HF_HUB_CACHE: cache, HF_HUB_OFFLINE: "1" } },
  );
  try {
    expect((await started.status()).model.id).toBe("parakeet-v3-8bit");
    const other = await started.connect();
    try {
      expect((await other.transcribeFile(wav).promise).text).toBe(expected);
    } finally {
      other.close();
    }
  } finally {
    await started.dispose();
  }
});

test("--quantize with a Whisper name is a usage error naming Whisper's packed names", async () => {
  const refused = await daemon.cli("models", "pull", "--quantize", "8bit", "small.en");
  expect(refused.code).toBe(2);
  expect(refused.stdout).toBe("");
  expect(refused.stderr).toContain("Whisper models come packed");
  expect(refused.stderr).toContain("Pull small.en-8bit or small.en-4bit instead.");
});
