import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { catalogModels, DEFAULT_MODEL, parseCatalogName } from "../src/models";
import { fallbackVariants } from "../src/models/catalog";
import { interpretModelName } from "../src/models/model-reference";
import { type DownloadProgress, ProgressReporter } from "../src/models/progress";
import { writeTestModelFolder } from "./support/hub-server";

describe("model names", () => {
  test.each([
    ["tiny-fp16", "mlx-community/whisper-tiny-mlx"],
    ["tiny-8bit", "mlx-community/whisper-tiny-mlx-8bit"],
    ["tiny-4bit", "mlx-community/whisper-tiny-mlx-4bit"],
    ["base.en-fp16", "mlx-community/whisper-base.en-mlx"],
    ["small.en-8bit", "mlx-community/whisper-small.en-mlx-8bit"],
    ["medium.en-4bit", "mlx-community/whisper-medium.en-mlx-4bit"],
    ["medium-fp16", "mlx-community/whisper-medium-mlx"],
    ["large-v3-fp16", "mlx-community/whisper-large-v3-mlx"],
    ["large-v3-8bit", "mlx-community/whisper-large-v3-mlx-8bit"],
    ["large-v3-4bit", "mlx-community/whisper-large-v3-mlx-4bit"],
    ["large-v3-turbo-fp16", "mlx-community/whisper-large-v3-turbo"],
    ["large-v3-turbo-8bit", "mlx-community/whisper-large-v3-turbo-8bit"],
    ["turbo-4bit", "mlx-community/whisper-large-v3-turbo-4bit"],
    ["Small", "mlx-community/whisper-small-mlx-4bit"],
    ["turbo", "mlx-community/whisper-large-v3-turbo-4bit"],
  ])("%s is %s", (name, repoId) => {
    expect(parseCatalogName(name)?.repoId).toBe(repoId);
  });

  test("the default model is large-v3-turbo 4-bit", () => {
    expect(parseCatalogName(DEFAULT_MODEL)?.repoId).toBe("mlx-community/whisper-large-v3-turbo-4bit");
  });

  test("names that are not in the catalog are not guessed", () => {
    for (const name of ["large", "large-v2", "tiny-3bit", "mlx-community/whisper-tiny-mlx", "tiny.en.en"]) {
      expect(parseCatalogName(name)).toBeUndefined();
    }
  });

  test("the catalog has every size in every quantization, each with its own repository", () => {
    const models = catalogModels();
    expect(models).toHaveLength(30);
    expect(new Set(models.map((model) => model.repoId)).size).toBe(30);
    for (const model of models) expect(parseCatalogName(model.name)).toEqual(model);
  });

  test("fallbacks prefer the nearest equal-or-higher precision", () => {
    const order = (name: string) => fallbackVariants(parseCatalogName(name)!).map((model) => model.quantization);
    expect(order("small-4bit")).toEqual(["8bit", "fp16"]);
    expect(order("small-8bit")).toEqual(["fp16", "4bit"]);
    expect(order("small-fp16")).toEqual(["8bit", "4bit"]);
  });
});

describe("what a model name refers to", () => {
  let cwd: string;
  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), "verbatim-names-"));
    await writeTestModelFolder(join(cwd, "org", "my-model"));
  });
  afterAll(() => rm(cwd, { recursive: true, force: true }));

  test("catalog names, repository ids and folders", async () => {
    expect(await interpretModelName("base.en-8bit", cwd)).toEqual({
      kind: "catalog",
      model: parseCatalogName("base.en-8bit"),
    });
    expect(await interpretModelName("mlx-community/whisper-tiny-mlx", cwd)).toEqual({
      kind: "repo",
      repoId: "mlx-community/whisper-tiny-mlx",
    });
    expect(await interpretModelName("./org/my-model", cwd)).toEqual({
      kind: "folder",
      path: join(cwd, "org/my-model"),
    });
    expect(await interpretModelName("/abs/olute", cwd)).toEqual({ kind: "folder", path: "/abs/olute" });
  });

  test("an org/name that is a model folder on disk is the folder", async () => {
    expect(await interpretModelName("org/my-model", cwd)).toEqual({ kind: "folder", path: join(cwd, "org/my-model") });
  });

  test("anything else is refused with examples of what works", async () => {
    await expect(interpretModelName("not a model", cwd)).rejects.toMatchObject({
      code: "unknown-model",
      message: expect.stringContaining("large-v3-turbo"),
    });
  });
});

describe("download progress", () => {
  test("reports at the start, at most every 250 ms, and at the end, with the recent speed", () => {
    let now = 0;
    const events: DownloadProgress[] = [];
    const reporter = new ProgressReporter(
      { repoId: "org/m", path: "w", size: 10_000 },
      (p) => events.push(p),
      () => now,
    );
    reporter.start(1000);
    for (let bytes = 1100; bytes <= 10_000; bytes += 100) {
      now += 10; // 100 bytes every 10 ms: 10 000 bytes/s
      reporter.update(bytes);
    }
    reporter.finish(10_000);
    expect(events[0]).toEqual({
      repoId: "org/m",
      file: "w",
      downloadedBytes: 1000,
      totalBytes: 10_000,
      bytesPerSecond: 0,
    });
    expect(events.length).toBe(2 + Math.floor(900 / 250));
    expect(events[events.length - 1]).toMatchObject({ downloadedBytes: 10_000, bytesPerSecond: 10_000 });
  });
});
