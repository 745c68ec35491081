// Parakeet and Nemotron packed on request through the real daemon (issues 40 and 64), a row per family: the catalog's
// parakeet-v3 and nemotron-streaming-en, served by a test hub with the files of the tiny fixtures parakeet-tiny-v3 and
// nemotron-tiny, are pulled with `models pull --quantize 8bit` and transcribe under the names parakeet-v3-8bit and
// nemotron-streaming-en-8bit (and -4bit) exactly as a local copy of the fixture whose config.json says "quantize" does
// (not as the model as stored: the random weights' packed text differs on the row's clip), through the CLI's --model, the
// HTTP API's model, `models use` (the status keeps the name) and a daemon whose config.json names it. The files in the
// cache stay as downloaded. --quantize with a Whisper name is a usage error naming Whisper's packed names.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

interface Row {
  family: string;
  name: string;
  repoId: string;
  fixture: string;
  /** The fixture's files the hub serves and a snapshot holds as served. */
  files: string[];
  /** `models list`'s columns after the name: download, memory as stored, 8-bit, 4-bit, and the languages. */
  listed: { download: string; memory: string; "8bit": string; "4bit": string; languages: string };
  /** How many languages the status gives for the loaded model. */
  languages: number;
  /** A held-out clip whose text the packings change on this fixture. */
  wav: string;
}

const ROWS: Row[] = [
  {
    family: "Parakeet",
    name: "parakeet-v3",
    repoId: "mlx-community/parakeet-tdt-0.6b-v3",
    fixture: fixtureModel("parakeet-tiny-v3"),
    files: ["config.json", "model.safetensors"],
    listed: {
      download: "2\\.51 GB",
      memory: "1\\.25 GB",
      "8bit": "667 MB",
      "4bit": "353 MB",
      languages: "25 European languages",
    },
    languages: 25,
    wav: heldoutWav("heldout-00.wav"),
  },
  {
    family: "Nemotron",
    name: "nemotron-streaming-en",
    repoId: "nvidia/nemotron-speech-streaming-en-0.6b",
    fixture: fixtureModel("nemotron-tiny"),
    files: ["config.json", "model.safetensors", "tokenizer.json", "processor_config.json"],
    listed: { download: "2\\.47 GB", memory: "2\\.47 GB", "8bit": "656 MB", "4bit": "347 MB", languages: "English" },
    languages: 1,
    wav: heldoutWav("heldout-01.wav"),
  },
];

const work = mkdtempSync(path.join(os.tmpdir(), "verbatim-models-quantize-"));
const cache = path.join(work, "cache");
let hub: TestHub;
let daemon: DaemonProcess;
let client: DaemonClient;
let port: number;

/** A copy of the row's fixture whose config.json asks for `quantize`. */
function configuredCopy(row: Row, quantize: "8bit" | "4bit"): string {
  const folder = path.join(work, `${row.name}-config-${quantize}`);
  cpSync(row.fixture, folder, { recursive: true });
  const config = JSON.parse(readFileSync(path.join(row.fixture, "config.json"), "utf8")) as Record<string, unknown>;
  writeFileSync(path.join(folder, "config.json"), JSON.stringify({ ...config, quantize }));
  return folder;
}

/** The text `verbatim transcribe --model MODEL` prints for the row's clip (a line per segment). */
async function transcribed(row: Row, model: string): Promise<string> {
  const run = await daemon.cli("transcribe", "--model", model, row.wav);
  expect(run).toMatchObject({ code: 0, stderr: "" });
  return run.stdout.trim().split("\n").join(" ");
}

beforeAll(async () => {
  hub = await TestHub.start();
  for (const row of ROWS) await hub.addRepoFromFolder(row.repoId, row.fixture);
  port = await freePort();
  // The whole file as one window (the voice activity detector would cut it), on the 16-bit Parakeet fixture.
  daemon = await DaemonProcess.ready(
    { model: ROWS[0].fixture, threads: 2, fileVad: false, api: { enabled: true, port, host: "127.0.0.1" } },
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

describe.each(ROWS)("$family: $name", (row) => {
  test("models pull --quantize 8bit downloads the model as it is and names its -8bit name", async () => {
    const pulled = await daemon.cli("models", "pull", "--quantize", "8bit", row.name);
    expect(pulled).toMatchObject({ code: 0, stderr: "" });
    const [ready, use] = pulled.stdout.trim().split("\n");
    const packed = `${row.name}-8bit`;
    expect(use).toBe(
      `Use ${packed} to load it packed to 8 bits: verbatim models use ${packed}, or --model ${packed} for one job.`,
    );
    // What `models pull NAME` gives, and the files as the hub serves them.
    expect((await daemon.cli("models", "pull", row.name)).stdout).toBe(`${ready}\n`);
    expect(ready.startsWith(`${row.repoId} is ready in `)).toBe(true);
    const snapshot = ready.slice(`${row.repoId} is ready in `.length);
    for (const file of row.files) {
      expect(readFileSync(path.join(snapshot, file))).toEqual(readFileSync(path.join(row.fixture, file)));
    }

    const listed = (await daemon.cli("models", "list")).stdout;
    const { download, languages } = row.listed;
    const line = (name: string, memory: string) =>
      new RegExp(`^ {3}${name} +${row.family} +${download} +${memory} +${languages} +downloaded, \\d+ MB$`, "m");
    expect(listed).toMatch(line(row.name, row.listed.memory));
    expect(listed).toMatch(line(`${row.name}-8bit`, row.listed["8bit"]));
    expect(listed).toMatch(line(`${row.name}-4bit`, row.listed["4bit"]));
  });

  test("--model NAME-8bit (and -4bit) transcribes as the fixture whose config.json says quantize", async () => {
    const asStored = await transcribed(row, row.fixture);
    for (const quantize of ["8bit", "4bit"] as const) {
      const expected = await transcribed(row, configuredCopy(row, quantize));
      expect(expected).not.toBe(asStored);
      expect(await transcribed(row, `${row.name}-${quantize}`)).toBe(expected);
    }
    const json = await daemon.cli("transcribe", "--model", `${row.name}-8bit`, "--format", "json", row.wav);
    expect((JSON.parse(json.stdout) as TranscriptData).model).toBe(`${row.name}-8bit`);
  });

  test("the HTTP API's model, models use and config.json's model load it packed, by the name given", async () => {
    const packed = `${row.name}-8bit`;
    const expected = await transcribed(row, path.join(work, `${row.name}-config-8bit`));
    const openai = new OpenAI({ apiKey: apiToken(daemon), baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
    const file = new File([readFileSync(row.wav)], "memo.wav", { type: "audio/wav" });
    expect((await openai.audio.transcriptions.create({ file, model: packed })).text).toBe(expected);

    expect((await daemon.cli("models", "use", packed)).code).toBe(0);
    const status = await daemon.status();
    expect(status.model).toMatchObject({ id: packed, inUse: packed, state: "ready" });
    expect(status.model.folder?.startsWith(cache)).toBe(true);
    expect(status.model.capabilities?.languages).toHaveLength(row.languages);
    expect((await client.transcribeFile(row.wav).promise).text).toBe(expected);
    const config = JSON.parse(readFileSync(path.join(daemon.home, "config.json"), "utf8")) as { model: string };
    expect(config.model).toBe(packed);
    expect((await daemon.cli("models", "list")).stdout).toMatch(new RegExp(`^\\* +${packed} +${row.family}`, "m"));

    // A daemon that starts with it in config.json, offline: the cache holds the model as downloaded.
    const started = await DaemonProcess.ready(
      { model: packed, threads: 2, fileVad: false },
      { env: { HF_HUB_CACHE: cache, HF_HUB_OFFLINE: "1" } },
    );
    try {
      expect((await started.status()).model.id).toBe(packed);
      const other = await started.connect();
      try {
        expect((await other.transcribeFile(row.wav).promise).text).toBe(expected);
      } finally {
        other.close();
      }
    } finally {
      await started.dispose();
    }
  });
});

test("--quantize with a Whisper name is a usage error naming Whisper's packed names", async () => {
  const refused = await daemon.cli("models", "pull", "--quantize", "8bit", "small.en");
  expect(refused.code).toBe(2);
  expect(refused.stdout).toBe("");
  expect(refused.stderr).toContain("Whisper models come packed");
  expect(refused.stderr).toContain("Pull small.en-8bit or small.en-4bit instead.");
});
