import { createHash } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import {
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  readlink,
  rm,
  stat,
  symlink,
  truncate,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { type DownloadProgress, ModelStore } from "../src/models";
import {
  type RecordedRequest,
  TestHub,
  type TestRepo,
  type TestRepoFile,
  writeTestModelFolder,
} from "./support/hub-server";

const TINY = "mlx-community/whisper-tiny-mlx-4bit";
const SPEAKERS = "nvidia/Nemotron-3-Diarization";
const speakerFixture = join(__dirname, "..", "..", "test", "fixtures", "models", "diarization-tiny");

// The machine running the tests may be busy; downloads are small, but a slow first one must not time out.
jest.setTimeout(60_000);

let hub: TestHub;
let work: string;
let cacheDir: string;
let tinyRepo: TestRepo;
let speakerRepo: TestRepo;

beforeAll(async () => {
  hub = await TestHub.start();
  work = await mkdtemp(join(tmpdir(), "verbatim-models-"));
  tinyRepo = await publish(TINY);
  speakerRepo = await hub.addRepoFromFolder(SPEAKERS, speakerFixture);
});
afterAll(async () => {
  await hub.close();
  await rm(work, { recursive: true, force: true });
});
beforeEach(async () => {
  cacheDir = await mkdtemp(join(work, "cache-"));
});

async function publish(repoId: string, options: Parameters<typeof writeTestModelFolder>[1] = {}): Promise<TestRepo> {
  const folder = join(work, "published", repoId);
  await writeTestModelFolder(folder, options);
  return hub.addRepoFromFolder(repoId, folder);
}

function store(settings: { offline?: boolean; hubUrl?: string } = {}): ModelStore {
  return new ModelStore({ cacheDir, hubUrl: hub.url, offline: false, ...settings });
}

function repoFolder(repoId: string): string {
  return join(cacheDir, `models--${repoId.replace("/", "--")}`);
}

function file(repo: TestRepo, path: string): TestRepoFile {
  const found = repo.files.get(path);
  if (!found) throw new Error(`${path} is not in ${repo.repoId}`);
  return found;
}

async function requestsDuring(task: () => Promise<unknown>): Promise<number> {
  const before = hub.requests.length;
  await task();
  return hub.requests.length - before;
}

async function waitForFileSize(path: string, size: number): Promise<void> {
  for (;;) {
    const current = await stat(path).then(
      (stats) => stats.size,
      () => 0,
    );
    if (current >= size) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

function sha256(content: Buffer): string {
  return createHash("sha256").update(content).digest("hex");
}

describe("downloading into the Hugging Face cache", () => {
  test("the first download writes the huggingface_hub layout: blobs, relative snapshot symlinks, refs/main", async () => {
    const events: DownloadProgress[] = [];
    const resolved = await store().resolveModel("tiny-4bit", { onProgress: (event) => events.push(event) });

    const folder = repoFolder(TINY);
    const config = file(tinyRepo, "config.json");
    const weights = file(tinyRepo, "weights.safetensors");
    expect(resolved).toEqual({
      folder: join(folder, "snapshots", tinyRepo.commit),
      repoId: TINY,
      revision: tinyRepo.commit,
    });
    expect(await readFile(join(folder, "refs", "main"), "utf8")).toBe(tinyRepo.commit);
    expect((await readdir(join(folder, "blobs"))).sort()).toEqual([config.etag, weights.etag].sort());
    expect(await readlink(join(resolved.folder, "config.json"))).toBe(`../../blobs/${config.etag}`);
    expect(await readlink(join(resolved.folder, "weights.safetensors"))).toBe(`../../blobs/${weights.etag}`);
    expect(await readdir(resolved.folder)).not.toContain("README.md");
    expect(sha256(await readFile(join(resolved.folder, "weights.safetensors")))).toBe(sha256(weights.content));
    expect(await readFile(join(resolved.folder, "config.json"))).toEqual(config.content);

    const weightEvents = events.filter((event) => event.file === "weights.safetensors");
    expect(weightEvents[0]).toMatchObject({ repoId: TINY, downloadedBytes: 0, totalBytes: weights.size });
    expect(weightEvents[weightEvents.length - 1]).toMatchObject({
      downloadedBytes: weights.size,
      totalBytes: weights.size,
    });
    const counts = weightEvents.map((event) => event.downloadedBytes);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
  });

  test("progress events with growing fractions arrive while the weights are still arriving", async () => {
    const weights = file(tinyRepo, "weights.safetensors");
    const blob = join(repoFolder(TINY), "blobs", weights.etag);
    // 15 pieces 50 ms apart: about 0.75 s, so the reporter (at most 4 events a second) reports in between.
    hub.injectFault(TINY, weights.path, { kind: "trickle", bytes: 20_000, intervalMs: 50 });
    const during: { fraction: number; downloaded: number; onDisk: number }[] = [];
    await store().resolveModel(TINY, {
      onProgress: (event) => {
        if (event.file !== weights.path || existsSync(blob)) return;
        const onDisk = statSync(`${blob}.incomplete`, { throwIfNoEntry: false })?.size ?? 0;
        during.push({ fraction: event.downloadedBytes / event.totalBytes, downloaded: event.downloadedBytes, onDisk });
      },
    });
    const partial = during.filter((event) => event.fraction > 0 && event.fraction < 1);
    expect(partial.length).toBeGreaterThanOrEqual(2);
    const fractions = partial.map((event) => event.fraction);
    expect(fractions).toEqual([...new Set(fractions)].sort((a, b) => a - b));
    for (const event of partial) expect(event.onDisk).toBe(event.downloaded);
  });

  test("a downloaded model resolves again without any request to the hub", async () => {
    const first = await store().resolveModel("tiny-4bit");
    let second;
    expect(await requestsDuring(async () => (second = await store().resolveModel(TINY)))).toBe(0);
    expect(second).toEqual(first);
  });

  test("a cache written by Python's huggingface_hub is used as it is", async () => {
    const repoId = "mlx-community/whisper-base.en-mlx-8bit"; // not on the test hub at all
    const commit = "0123456789abcdef0123456789abcdef01234567";
    const folder = repoFolder(repoId);
    const config = Buffer.from(JSON.stringify({ model_type: "whisper", n_mels: 80 }));
    const weights = Buffer.from("weights written by python");
    const configBlob = createHash("sha1").update(`blob ${config.length}\0`).update(config).digest("hex");
    await mkdir(join(folder, "blobs"), { recursive: true });
    await mkdir(join(folder, "refs"));
    await mkdir(join(folder, "snapshots", commit), { recursive: true });
    await writeFile(join(folder, "blobs", configBlob), config);
    await writeFile(join(folder, "blobs", sha256(weights)), weights);
    await writeFile(join(folder, "refs", "main"), commit);
    await symlink(`../../blobs/${configBlob}`, join(folder, "snapshots", commit, "config.json"));
    await symlink(`../../blobs/${sha256(weights)}`, join(folder, "snapshots", commit, "weights.npz"));

    let resolved;
    expect(await requestsDuring(async () => (resolved = await store().resolveModel("base.en-8bit")))).toBe(0);
    expect(resolved).toEqual({ folder: join(folder, "snapshots", commit), repoId, revision: commit });
    expect(await store().listModels()).toEqual([
      expect.objectContaining({
        repoId,
        name: "base.en-8bit",
        complete: true,
        revision: commit,
        sizeBytes: config.length + weights.length,
      }),
    ]);
  });

  test("older repositories with weights.npz or model.safetensors work; one without weights is refused", async () => {
    await publish("org/npz-model", { weightsFile: "weights.npz" });
    await publish("org/hf-named-model", { weightsFile: "model.safetensors" });
    await publish("org/no-weights", { weightsFile: "notes.bin" });
    const models = store();
    expect((await readdir((await models.resolveModel("org/npz-model")).folder)).sort()).toEqual([
      "config.json",
      "weights.npz",
    ]);
    expect((await readdir((await models.resolveModel("org/hf-named-model")).folder)).sort()).toEqual([
      "config.json",
      "model.safetensors",
    ]);
    await expect(models.resolveModel("org/no-weights")).rejects.toMatchObject({
      code: "not-a-model",
      message: expect.stringContaining("weights.safetensors"),
    });
  });
});

describe("updates and concurrent use", () => {
  test("refresh picks up a new commit and downloads only the files that changed", async () => {
    const repoId = "org/updated-model";
    const folder = join(work, "published", repoId);
    const first = await publish(repoId);
    expect((await store().resolveModel(repoId)).revision).toBe(first.commit);

    await writeFile(join(folder, "config.json"), JSON.stringify({ model_type: "whisper", n_mels: 128 }));
    const second = await hub.addRepoFromFolder(repoId, folder);
    expect((await store().resolveModel(repoId)).revision).toBe(first.commit);
    const before = hub.contentRequests(file(second, "weights.safetensors")).length;
    const refreshed = await store().resolveModel(repoId, { refresh: true });
    expect(refreshed.revision).toBe(second.commit);
    expect(hub.contentRequests(file(second, "weights.safetensors")).length).toBe(before);
    expect(await readFile(join(refreshed.folder, "config.json"), "utf8")).toContain('"n_mels":128');
    expect(await readFile(join(repoFolder(repoId), "refs", "main"), "utf8")).toBe(second.commit);
  });

  test("two pulls of one model at once download it once", async () => {
    const models = store();
    const weights = file(tinyRepo, "weights.safetensors");
    const before = hub.contentRequests(weights).length;
    const [a, b] = await Promise.all([models.resolveModel("tiny-4bit"), models.resolveModel(TINY)]);
    expect(a).toEqual(b);
    expect(hub.contentRequests(weights).length - before).toBe(1);
  });

  test("a model being downloaded cannot be removed", async () => {
    const models = store();
    const weights = file(tinyRepo, "weights.safetensors");
    hub.injectFault(TINY, weights.path, { kind: "stall", bytes: 1000 });
    const pull = models.resolveModel(TINY);
    await waitForFileSize(join(repoFolder(TINY), "blobs", `${weights.etag}.incomplete`), 1000);
    await expect(models.removeModel(TINY)).rejects.toMatchObject({ code: "busy" });
    hub.dropStalled();
    await expect(pull).rejects.toMatchObject({ code: "network" });
    expect((await models.removeModel(TINY)).freedBytes).toBe(file(tinyRepo, "config.json").size + 1000);
  });
});

describe("quantization fallback", () => {
  test("a missing variant is replaced by the nearest available one, with a notice", async () => {
    const available = await publish("mlx-community/whisper-small-mlx-8bit");
    const resolved = await store().resolveModel("small-4bit");
    expect(resolved.repoId).toBe("mlx-community/whisper-small-mlx-8bit");
    expect(resolved.revision).toBe(available.commit);
    expect(resolved.notice).toBe(
      "mlx-community/whisper-small-mlx-4bit is not on the hub; using mlx-community/whisper-small-mlx-8bit instead.",
    );
  });

  test("when no variant exists, the error names every one tried", async () => {
    await expect(store().resolveModel("medium.en-8bit")).rejects.toMatchObject({
      code: "not-on-hub",
      message: expect.stringContaining(
        "mlx-community/whisper-medium.en-mlx-8bit, mlx-community/whisper-medium.en-mlx and " +
          "mlx-community/whisper-medium.en-mlx-4bit are not on the Hugging Face Hub",
      ),
    });
  });

  test("a repository id is never substituted", async () => {
    await expect(store().resolveModel("mlx-community/whisper-small-mlx-4bit")).rejects.toMatchObject({
      code: "not-on-hub",
    });
  });
});

describe("interrupted and damaged downloads", () => {
  const weightsPath = () => join(repoFolder(TINY), "blobs", file(tinyRepo, "weights.safetensors").etag);

  // A speech model and the catalog's speaker model (its name stands for NVIDIA's repository) alike.
  test.each([
    { name: "tiny-4bit", repoId: TINY, weightsFile: "weights.safetensors" },
    { name: "nemotron-diarization", repoId: SPEAKERS, weightsFile: "model.safetensors" },
  ])(
    "$name: a dropped connection leaves a partial file that the next pull continues with a Range request",
    async ({ name, repoId, weightsFile }) => {
      const repo = repoId === TINY ? tinyRepo : speakerRepo;
      const weights = file(repo, weightsFile);
      const blob = join(repoFolder(repoId), "blobs", weights.etag);
      const cutAt = 100_000;
      hub.injectFault(repoId, weights.path, { kind: "stall", bytes: cutAt });
      const first = store().resolveModel(name);
      await waitForFileSize(`${blob}.incomplete`, cutAt);
      hub.dropStalled();
      await expect(first).rejects.toMatchObject({ code: "network", message: expect.stringContaining("Run it again") });
      expect(await exists(blob)).toBe(false);
      expect(await exists(join(repoFolder(repoId), "snapshots", repo.commit, weights.path))).toBe(false);
      expect((await stat(`${blob}.incomplete`)).size).toBe(cutAt);
      expect(await store().listModels()).toEqual([expect.objectContaining({ repoId, complete: false })]);

      const before = hub.contentRequests(weights).length;
      const resolved = await store().resolveModel(name);
      const resumed = hub.contentRequests(weights).slice(before);
      expect(resumed).toEqual([
        expect.objectContaining({ range: `bytes=${cutAt}-${weights.size - 1}`, bodyBytes: weights.size - cutAt }),
      ]);
      expect(sha256(await readFile(join(resolved.folder, weights.path)))).toBe(weights.etag);
      expect(await exists(`${blob}.incomplete`)).toBe(false);
      // Removed by the same name.
      expect(await store().removeModel(name)).toMatchObject({ repoId });
      expect(await store().listModels()).toEqual([]);
    },
  );

  test("a partial file left by a killed process is continued", async () => {
    const weights = file(tinyRepo, "weights.safetensors");
    await mkdir(join(repoFolder(TINY), "blobs"), { recursive: true });
    await writeFile(`${weightsPath()}.incomplete`, weights.content.subarray(0, 12_345));
    const before = hub.contentRequests(weights).length;
    const events: DownloadProgress[] = [];
    const resolved = await store().resolveModel(TINY, { onProgress: (event) => events.push(event) });
    expect(hub.contentRequests(weights).slice(before)).toEqual([
      expect.objectContaining({ range: `bytes=12345-${weights.size - 1}`, bodyBytes: weights.size - 12_345 }),
    ]);
    expect(events.find((event) => event.file === weights.path)?.downloadedBytes).toBe(12_345);
    expect(sha256(await readFile(join(resolved.folder, weights.path)))).toBe(weights.etag);
  });

  test("a damaged partial file is detected by its hash and the file downloaded again from the start", async () => {
    const weights = file(tinyRepo, "weights.safetensors");
    await mkdir(join(repoFolder(TINY), "blobs"), { recursive: true });
    await writeFile(`${weightsPath()}.incomplete`, Buffer.alloc(5000, 7));
    const before = hub.contentRequests(weights).length;
    const resolved = await store().resolveModel(TINY);
    expect(
      hub
        .contentRequests(weights)
        .slice(before)
        .map((request) => request.range),
    ).toEqual([`bytes=5000-${weights.size - 1}`, undefined]);
    expect(sha256(await readFile(join(resolved.folder, weights.path)))).toBe(weights.etag);
  });

  test.each([
    ["corrupted", { kind: "corrupt" } as const, "sha256"],
    ["short", { kind: "truncate", bytes: 1000 } as const, "bytes instead of"],
  ])("a %s download is rejected and nothing of it is kept", async (_, fault, detail) => {
    const weights = file(tinyRepo, "weights.safetensors");
    hub.injectFault(TINY, weights.path, fault);
    await expect(store().resolveModel(TINY)).rejects.toMatchObject({
      code: "integrity",
      message: expect.stringContaining(detail),
    });
    expect(await readdir(join(repoFolder(TINY), "blobs"))).toEqual([file(tinyRepo, "config.json").etag]);
    expect(await exists(join(repoFolder(TINY), "snapshots", tinyRepo.commit, weights.path))).toBe(false);
    await expect(store({ offline: true }).resolveModel(TINY)).rejects.toMatchObject({ code: "not-downloaded" });
  });

  test("a git file is checked against its git blob id", async () => {
    hub.injectFault(TINY, "config.json", { kind: "corrupt" });
    await expect(store().resolveModel(TINY)).rejects.toMatchObject({
      code: "integrity",
      message: expect.stringContaining("git hash"),
    });
  });

  test("cancelling keeps what was received for the next pull", async () => {
    const weights = file(tinyRepo, "weights.safetensors");
    hub.injectFault(TINY, weights.path, { kind: "stall", bytes: 50_000 });
    const controller = new AbortController();
    const pull = store().resolveModel(TINY, { signal: controller.signal });
    await waitForFileSize(`${weightsPath()}.incomplete`, 50_000);
    controller.abort();
    await expect(pull).rejects.toMatchObject({ code: "cancelled" });
    hub.dropStalled();
    expect((await stat(`${weightsPath()}.incomplete`)).size).toBe(50_000);
    const resolved = await store().resolveModel(TINY);
    expect(sha256(await readFile(join(resolved.folder, weights.path)))).toBe(weights.etag);
  });
});

describe("a damaged cache", () => {
  const weights = () => file(tinyRepo, "weights.safetensors");
  const blob = () => join(repoFolder(TINY), "blobs", weights().etag);
  const link = () => join(repoFolder(TINY), "snapshots", tinyRepo.commit, weights().path);
  const listedComplete = async () => (await store().listModels()).find((model) => model.repoId === TINY)?.complete;

  async function pullAndCheck(): Promise<RecordedRequest[]> {
    const before = hub.contentRequests(weights()).length;
    const resolved = await store().resolveModel(TINY, { verify: true });
    expect(sha256(await readFile(join(resolved.folder, weights().path)))).toBe(weights().etag);
    expect(await readlink(link())).toBe(`../../blobs/${weights().etag}`);
    expect(await listedComplete()).toBe(true);
    return hub.contentRequests(weights()).slice(before);
  }

  test("a weights link to a partial download is not complete; a pull continues that file and links the blob", async () => {
    await store().resolveModel(TINY);
    await rm(blob());
    await writeFile(`${blob()}.incomplete`, weights().content.subarray(0, 100_000));
    await rm(link());
    await symlink(`../../blobs/${weights().etag}.incomplete`, link());
    expect(await listedComplete()).toBe(false);

    expect(await pullAndCheck()).toEqual([
      expect.objectContaining({ range: `bytes=100000-${weights().size - 1}`, bodyBytes: weights().size - 100_000 }),
    ]);
    expect(await exists(`${blob()}.incomplete`)).toBe(false);
  });

  test("a truncated blob is not complete, and a pull fetches it again", async () => {
    await store().resolveModel(TINY);
    await truncate(blob(), 150_000);
    expect(await listedComplete()).toBe(false);
    expect(await pullAndCheck()).toEqual([expect.objectContaining({ range: undefined, bodyBytes: weights().size })]);
  });

  test("a blob with damaged bytes but the right size is caught by its sha256 on pull and fetched again", async () => {
    await store().resolveModel(TINY);
    const damaged = Buffer.from(weights().content);
    damaged[damaged.length - 1] ^= 0xff;
    await writeFile(blob(), damaged);
    expect(await pullAndCheck()).toEqual([expect.objectContaining({ range: undefined, bodyBytes: weights().size })]);
  });

  test("a pull of an intact model checks it with the hub and downloads nothing", async () => {
    await store().resolveModel(TINY);
    const config = file(tinyRepo, "config.json");
    const before = { all: hub.requests.length, config: hub.contentRequests(config).length };
    expect(await pullAndCheck()).toEqual([]);
    expect(hub.requests.length).toBeGreaterThan(before.all);
    expect(hub.contentRequests(config).length).toBe(before.config);
  });
});

describe("offline use and the environment", () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  test("offline, a downloaded model resolves and a missing one fails with what to do", async () => {
    await store().resolveModel("tiny-4bit");
    let resolved;
    expect(await requestsDuring(async () => (resolved = await store({ offline: true }).resolveModel(TINY)))).toBe(0);
    expect(resolved).toMatchObject({ repoId: TINY, revision: tinyRepo.commit });
    await expect(store({ offline: true }).resolveModel("mlx-community/whisper-tiny-mlx-8bit")).rejects.toMatchObject({
      code: "not-downloaded",
      message: expect.stringContaining(
        "The model mlx-community/whisper-tiny-mlx-8bit is not downloaded and HF_HUB_OFFLINE is set",
      ),
    });
  });

  test("offline, another downloaded quantization is used with a notice", async () => {
    await store().resolveModel("tiny-4bit");
    const resolved = await store({ offline: true }).resolveModel("tiny-8bit");
    expect(resolved.repoId).toBe(TINY);
    expect(resolved.notice).toBe(
      "mlx-community/whisper-tiny-mlx-8bit and mlx-community/whisper-tiny-mlx are not downloaded and HF_HUB_OFFLINE is set; " +
        `using ${TINY} instead.`,
    );
  });

  test("HF_ENDPOINT, HF_HUB_CACHE and HF_HUB_OFFLINE are honoured", async () => {
    process.env.HF_ENDPOINT = `${hub.url}/`;
    process.env.HF_HUB_CACHE = cacheDir;
    delete process.env.HF_HUB_OFFLINE;
    const online = new ModelStore();
    expect(online.settings).toEqual({ hubUrl: hub.url, cacheDir, offline: false });
    expect(await requestsDuring(() => online.resolveModel("tiny-4bit"))).toBeGreaterThan(0);

    process.env.HF_HUB_OFFLINE = "1";
    process.env.HF_ENDPOINT = "http://127.0.0.1:9"; // nothing listens there
    const offline = new ModelStore();
    expect(offline.settings.offline).toBe(true);
    expect((await offline.resolveModel("tiny-4bit")).repoId).toBe(TINY);
    await expect(offline.resolveModel("small.en")).rejects.toMatchObject({ code: "not-downloaded" });
  });

  test("an unreachable hub is reported as a network problem", async () => {
    await expect(store({ hubUrl: "http://127.0.0.1:9" }).resolveModel(TINY)).rejects.toMatchObject({
      code: "network",
      message: expect.stringContaining("Could not reach the Hugging Face Hub at http://127.0.0.1:9"),
    });
  });
});

describe("local folders, listing and removal", () => {
  test("a folder with config.json and weights is a model, by absolute or relative path", async () => {
    const folder = join(work, "local-model");
    await writeTestModelFolder(folder, { weightsFile: "weights.npz" });
    expect(await store().resolveModel(folder)).toEqual({ folder });
    expect(await store().resolveModel(`./${relative(process.cwd(), folder)}`)).toEqual({ folder });
  });

  test("a folder without weights or config is refused, saying what is missing", async () => {
    const noWeights = join(work, "no-weights");
    await writeTestModelFolder(noWeights, { weightsFile: "other.bin" });
    await expect(store().resolveModel(noWeights)).rejects.toMatchObject({
      code: "not-a-model",
      message: expect.stringContaining("has no weights file (weights.safetensors, weights.npz, model.safetensors)"),
    });
    const noConfig = join(work, "no-config");
    await writeTestModelFolder(noConfig, { withConfig: false });
    await expect(store().resolveModel(noConfig)).rejects.toMatchObject({
      message: expect.stringContaining("has no config.json"),
    });
    await expect(store().resolveModel(join(work, "absent"))).rejects.toMatchObject({ code: "unknown-model" });
  });

  test("listModels shows Whisper models only; removeModel deletes one and frees its bytes", async () => {
    const models = store();
    await models.resolveModel("tiny-4bit");
    await models.resolveModel("org/npz-model");
    await publish("org/not-whisper", { config: { model_type: "llama" }, weightsFile: "model.safetensors" });
    await models.resolveModel("org/not-whisper");
    const listed = await models.listModels();
    expect(listed.map((model) => [model.repoId, model.name, model.complete])).toEqual([
      [TINY, "tiny-4bit", true],
      ["org/npz-model", undefined, true],
    ]);

    const tinySize = file(tinyRepo, "config.json").size + file(tinyRepo, "weights.safetensors").size;
    expect(listed[0].sizeBytes).toBe(tinySize);
    expect(await models.removeModel("tiny-4bit")).toEqual({ repoId: TINY, freedBytes: tinySize });
    expect(await exists(repoFolder(TINY))).toBe(false);
    expect((await models.listModels()).map((model) => model.repoId)).toEqual(["org/npz-model"]);
    await expect(models.removeModel("tiny-4bit")).rejects.toMatchObject({ code: "not-downloaded" });
  });
});
