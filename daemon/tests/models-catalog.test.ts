import { mkdtemp, rm } from "node:fs/promises";
import { LOCK_LANGUAGES } from "@verbatim/native";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  catalogEntries,
  catalogEntryForRepo,
  catalogModels,
  DEFAULT_MODEL,
  findCatalogEntry,
  packedEntries,
  parseCatalogName,
} from "../src/models";
import { fallbackVariants } from "../src/models/catalog";
import { PARAKEET_V3_LANGUAGES } from "../src/models/parakeet-catalog";
import { languageName } from "../src/tokenizer";
import { interpretModelName } from "../src/models/model-reference";
import { refuseSpeakerModelForSpeech } from "../src/models/speaker-catalog";
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

describe("the catalog across families", () => {
  test.each([
    ["parakeet-v3", "mlx-community/parakeet-tdt-0.6b-v3", "25 European languages"],
    ["parakeet-v2", "mlx-community/parakeet-tdt-0.6b-v2", "English"],
    ["parakeet-110m", "mlx-community/parakeet-tdt_ctc-110m", "English"],
  ])("%s is %s (%s), a Parakeet model without fallbacks", (name, repoId, languages) => {
    const entry = findCatalogEntry(name)!;
    expect(entry).toMatchObject({ name, family: "parakeet", repoId, fallbacks: [], languagesLabel: languages });
    expect(catalogEntryForRepo(repoId)).toEqual(entry);
    expect(findCatalogEntry(name.toUpperCase())).toEqual(entry);
  });

  test.each([
    ["parakeet-v3-8bit", "parakeet-v3", "8bit"],
    ["Parakeet-V2-4BIT", "parakeet-v2", "4bit"],
    [" parakeet-110m-8bit ", "parakeet-110m", "8bit"],
    ["nemotron-streaming-en-8bit", "nemotron-streaming-en", "8bit"],
    ["Nemotron-3.5-4BIT", "nemotron-3.5", "4bit"],
  ])("%s is %s's repository, packed to %s when loaded: the same download", (name, model, packing) => {
    const base = findCatalogEntry(model)!;
    expect(base.quantize).toBeUndefined();
    expect(findCatalogEntry(name)).toEqual({
      ...base,
      name: `${model}-${packing}`,
      quantize: packing,
      memoryBytes: expect.any(Number) as number,
    });
    expect(catalogEntryForRepo(base.repoId)).toEqual(base);
    expect(packedEntries(base).map((entry) => entry.name)).toEqual([`${model}-8bit`, `${model}-4bit`]);
    expect(packedEntries(base)).toContainEqual(findCatalogEntry(name));
  });

  test("a packed Parakeet model holds about half (8 bits) or a quarter (4 bits) of the 16-bit weights", () => {
    const memory = (name: string) => findCatalogEntry(name)!.memoryBytes;
    expect(memory("parakeet-v3")).toBe(findCatalogEntry("parakeet-v3")!.downloadBytes / 2); // float32 held in 16 bits
    expect(memory("parakeet-v3-8bit") / memory("parakeet-v3")).toBeCloseTo(8.5 / 16);
    expect(memory("parakeet-v3-4bit") / memory("parakeet-v3")).toBeCloseTo(4.5 / 16);
    expect(memory("small-8bit")).toBe(findCatalogEntry("small-8bit")!.downloadBytes); // Whisper's, as stored
    // Nemotron's float32 is held as stored, and packed from 16 bits (the engine rounds float32 to bf16 first).
    const nemotron = findCatalogEntry("nemotron-3.5")!.downloadBytes;
    expect(memory("nemotron-3.5")).toBe(nemotron);
    expect(memory("nemotron-3.5-8bit") / (nemotron / 2)).toBeCloseTo(8.5 / 16);
    expect(memory("nemotron-3.5-4bit") / (nemotron / 2)).toBeCloseTo(4.5 / 16);
  });

  test("only Parakeet's and Nemotron's own names take a packing, 8 or 4 bits, once", () => {
    for (const name of [
      "parakeet-v3-fp16",
      "parakeet-v3-16bit",
      "parakeet-v3-8bit-4bit",
      "parakeet-8bit",
      "-8bit",
      "nemotron-3.5-fp16",
      "nemotron-3.5-4bit-8bit",
      "nemotron-8bit",
    ]) {
      expect(findCatalogEntry(name)).toBeUndefined();
    }
    for (const name of ["small-8bit", "turbo", "large-v3-turbo-4bit"]) {
      expect(findCatalogEntry(name)?.quantize).toBeUndefined();
      expect(packedEntries(findCatalogEntry(name)!)).toEqual([]);
    }
    expect(packedEntries(findCatalogEntry("parakeet-v3-8bit")!)).toEqual([]);
    expect(packedEntries(findCatalogEntry("nemotron-3.5-4bit")!)).toEqual([]);
  });

  test("Parakeet v3's 25 languages are codes the daemon knows and the language lock knows; v2 and 110m are English", () => {
    expect(PARAKEET_V3_LANGUAGES).toHaveLength(25);
    expect(new Set(PARAKEET_V3_LANGUAGES).size).toBe(25);
    for (const code of PARAKEET_V3_LANGUAGES) expect(languageName(code)).toBeDefined();
    expect([...PARAKEET_V3_LANGUAGES].sort()).toEqual(LOCK_LANGUAGES);
    expect(findCatalogEntry("parakeet-v2")?.languages).toEqual(["en"]);
    expect(findCatalogEntry("parakeet-110m")?.languages).toEqual(["en"]);
  });

  test("Nemotron: NVIDIA's repositories, English and Nemotron 3.5's languages (codes jobs may name), held as stored unless packed", () => {
    const english = findCatalogEntry("nemotron-streaming-en")!;
    expect(english).toMatchObject({ family: "nemotron", repoId: "nvidia/nemotron-speech-streaming-en-0.6b" });
    expect(english.languages).toEqual(["en"]);
    const multilingual = findCatalogEntry("Nemotron-3.5")!;
    expect(multilingual).toMatchObject({ family: "nemotron", repoId: "nvidia/nemotron-3.5-asr-streaming-0.6b" });
    for (const code of multilingual.languages!) expect(languageName(code)).toBeDefined();
    expect(multilingual.languages).toEqual(expect.arrayContaining(["en", "de", "fr", "ja", "zh"]));
    // About 0.62 and 0.64 billion float32 parameters, which the engine holds as stored.
    expect(english.memoryBytes).toBe(english.downloadBytes);
    expect(english.downloadBytes).toBeGreaterThan(2.4e9);
    expect(multilingual.downloadBytes).toBeGreaterThan(english.downloadBytes);
    expect(DEFAULT_MODEL).toBe("large-v3-turbo-4bit");
  });

  test("every catalog model has a name of its own, a repository, a download size and its languages", () => {
    const entries = catalogEntries();
    expect(entries).toHaveLength(35);
    expect(new Set(entries.map((entry) => entry.name)).size).toBe(35);
    expect(new Set(entries.map((entry) => entry.repoId)).size).toBe(35);
    for (const entry of entries.flatMap((model) => [model, ...packedEntries(model)])) {
      expect(findCatalogEntry(entry.name)).toEqual(entry);
      expect(entry.downloadBytes).toBeGreaterThan(10e6);
      expect(entry.memoryBytes).toBeGreaterThan(10e6);
    }
    const label = (name: string) => findCatalogEntry(name)?.languagesLabel;
    expect(label("small")).toBe("99 languages");
    expect(label("small.en-8bit")).toBe("English");
    expect(label("turbo")).toBe("100 languages");
  });

  test("Whisper sizes: turbo 4-bit about half a gigabyte, fp16 the hub's 1.61 GB; larger quantizations cost more", () => {
    const bytes = (name: string) => findCatalogEntry(name)!.downloadBytes;
    expect(bytes(DEFAULT_MODEL)).toBeGreaterThan(0.4e9);
    expect(bytes(DEFAULT_MODEL)).toBeLessThan(0.55e9);
    expect(bytes("large-v3-turbo-fp16")).toBeCloseTo(1.61e9, -7);
    expect(bytes("large-v3-fp16")).toBeCloseTo(3.08e9, -7);
    for (const size of ["tiny", "base.en", "medium", "large-v3"]) {
      expect(bytes(`${size}-4bit`)).toBeLessThan(bytes(`${size}-8bit`));
      expect(bytes(`${size}-8bit`)).toBeLessThan(bytes(`${size}-fp16`));
    }
    expect(bytes("parakeet-v3")).toBe(2.51e9);
  });

  test("the default stays Whisper large-v3-turbo 4-bit, with its fallbacks", () => {
    expect(findCatalogEntry(DEFAULT_MODEL)).toMatchObject({
      family: "whisper",
      repoId: "mlx-community/whisper-large-v3-turbo-4bit",
      fallbacks: ["mlx-community/whisper-large-v3-turbo-8bit", "mlx-community/whisper-large-v3-turbo"],
    });
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
      model: findCatalogEntry("base.en-8bit"),
    });
    expect(await interpretModelName("Parakeet-V3", cwd)).toEqual({
      kind: "catalog",
      model: findCatalogEntry("parakeet-v3"),
    });
    expect(await interpretModelName("parakeet-v3-4bit", cwd)).toEqual({
      kind: "catalog",
      model: expect.objectContaining({ repoId: "mlx-community/parakeet-tdt-0.6b-v3", quantize: "4bit" }) as unknown,
    });
    expect(await interpretModelName("mlx-community/parakeet-tdt-0.6b-v2", cwd)).toEqual({
      kind: "repo",
      repoId: "mlx-community/parakeet-tdt-0.6b-v2",
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
    // The speaker model's catalog name stands for its repository (pulled, listed and removed as any model).
    expect(await interpretModelName(" Nemotron-Diarization", cwd)).toEqual({
      kind: "repo",
      repoId: "nvidia/Nemotron-3-Diarization",
    });
    // Its packed names stand for the same repository, with the packing the engine applies at load.
    expect(await interpretModelName("nemotron-diarization-4bit", cwd)).toEqual({
      kind: "repo",
      repoId: "nvidia/Nemotron-3-Diarization",
      quantize: "4bit",
    });
  });

  test.each(["nemotron-diarization", "nvidia/Nemotron-3-Diarization"])(
    "%s, the speaker model, is refused as a speech model, saying how to use it and what to choose",
    (name) => {
      expect(() => refuseSpeakerModelForSpeech(name)).toThrow(
        expect.objectContaining({
          code: "not-a-model",
          message: expect.stringMatching(
            /is a speaker model .* config\.json's "speakerModel" .* verbatim models use NAME/,
          ),
        }),
      );
      expect(() => refuseSpeakerModelForSpeech("parakeet-v3")).not.toThrow();
    },
  );

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
