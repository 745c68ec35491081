// The models offered: the Model preference's dropdown (package.json) is the daemon's model and the daemon's catalog;
// the Transcribe form adds what models.list says is downloaded. @raycast/api is not involved.
import { readFileSync } from "node:fs";
import path from "node:path";
import { DEFAULT_MODEL } from "../../daemon/src/models/catalog";
import { catalogEntries, packedEntries } from "../../daemon/src/models/catalog-entries";
import { choiceValue, DAEMON_MODEL, modelChoices, modelPreferenceData } from "../src/lib/model-choices";
import { transcriptionOptions } from "../src/lib/preferences";
import type { CachedModelData } from "../src/verbatimd/protocol";

const manifest = JSON.parse(readFileSync(path.join(__dirname, "..", "package.json"), "utf8"));
const modelPreference = manifest.preferences.find((p: { name: string }) => p.name === "model");

test("the Model preference is a dropdown of the daemon's model and every catalog name (Whisper's, then Parakeet's and Nemotron's with their packings), the daemon's by default", () => {
  expect(modelPreference).toMatchObject({ type: "dropdown", default: DAEMON_MODEL, required: false });
  expect(modelPreference.data).toEqual(modelPreferenceData());
  // The daemon's own catalog (not the extension's copy of it), every name once.
  expect(modelPreference.data.slice(1).map((item: { value: string }) => item.value)).toEqual(
    catalogEntries().flatMap((entry) => [entry, ...packedEntries(entry)].map((model) => model.name)),
  );
  expect(modelPreference.data).toContainEqual({ title: "large-v3-turbo (4-bit)", value: DEFAULT_MODEL });
  expect(modelPreference.data).toContainEqual({
    title: "parakeet-v3 (Parakeet, 25 European languages)",
    value: "parakeet-v3",
  });
  expect(modelPreference.data).toContainEqual({
    title: "parakeet-v3 (Parakeet, 25 European languages, 8-bit)",
    value: "parakeet-v3-8bit",
  });
  expect(modelPreference.data).toContainEqual({
    title: "nemotron-3.5 (Nemotron, streaming, 40 language-locales, 4-bit)",
    value: "nemotron-3.5-4bit",
  });
  // "The Daemon's Model" asks for none; a catalog name is asked for by name.
  expect(transcriptionOptions({ finishedText: "copy", model: DAEMON_MODEL })).not.toHaveProperty("model");
  expect(transcriptionOptions({ finishedText: "copy", model: "small.en-8bit" })).toMatchObject({
    model: "small.en-8bit",
  });
});

const cached = (repoId: string, sizeBytes: number, complete = true): CachedModelData => ({
  repoId,
  folder: `/hub/models--${repoId.replace("/", "--")}`,
  sizeBytes,
  complete,
});

test("the form offers the downloaded models first, by catalog name and size, then the catalog to download", () => {
  const choices = modelChoices(
    [
      cached("mlx-community/whisper-large-v3-turbo", 1_614_000_000),
      cached("mlx-community/whisper-base.en-mlx-8bit", 82_000_000),
      cached("someone/whisper-finetuned-de", 300_000_000),
      cached("mlx-community/whisper-small-mlx", 480_000_000, false), // a partial download is not ready
      cached("mlx-community/parakeet-tdt-0.6b-v3", 2_510_000_000),
      cached("nvidia/nemotron-speech-streaming-en-0.6b", 2_470_000_000),
    ],
    "turbo-fp16",
  );
  expect(choices.ready).toEqual([
    { value: DAEMON_MODEL, title: "The Daemon's Model" },
    { value: "large-v3-turbo-fp16", title: "large-v3-turbo (16-bit), 1,614 MB" },
    { value: "base.en-8bit", title: "base.en (8-bit), 82 MB" },
    { value: "someone/whisper-finetuned-de", title: "someone/whisper-finetuned-de, 300 MB" },
    // A Parakeet download is also its packed names: the engine packs the same weights when it loads them.
    { value: "parakeet-v3", title: "parakeet-v3 (Parakeet, 25 European languages), 2,510 MB" },
    { value: "parakeet-v3-8bit", title: "parakeet-v3 (Parakeet, 25 European languages, 8-bit), 2,510 MB" },
    { value: "parakeet-v3-4bit", title: "parakeet-v3 (Parakeet, 25 European languages, 4-bit), 2,510 MB" },
    // A Nemotron download likewise.
    { value: "nemotron-streaming-en", title: "nemotron-streaming-en (Nemotron, streaming, English), 2,470 MB" },
    {
      value: "nemotron-streaming-en-8bit",
      title: "nemotron-streaming-en (Nemotron, streaming, English, 8-bit), 2,470 MB",
    },
    {
      value: "nemotron-streaming-en-4bit",
      title: "nemotron-streaming-en (Nemotron, streaming, English, 4-bit), 2,470 MB",
    },
  ]);
  const toDownload = choices.toDownload.map((choice) => choice.value);
  expect(toDownload).toContain("small-fp16");
  expect(toDownload).toContain("parakeet-v2");
  expect(toDownload).not.toContain("base.en-8bit");
  expect(toDownload).toContain("parakeet-v2-4bit");
  expect(toDownload).not.toContain("parakeet-v3");
  expect(toDownload).not.toContain("parakeet-v3-8bit");
  expect(toDownload).toContain("nemotron-3.5-8bit");
  expect(toDownload).not.toContain("nemotron-streaming-en-4bit");
  // Every catalog name but the eight downloaded ones (the dropdown also starts with "The Daemon's Model").
  expect(toDownload).toHaveLength(modelPreferenceData().length - 1 - 8);
});

test("the chosen model is always offered, under the name the dropdown uses", () => {
  expect(choiceValue(undefined)).toBe(DAEMON_MODEL);
  expect(choiceValue("  ")).toBe(DAEMON_MODEL);
  expect(choiceValue("turbo")).toBe("large-v3-turbo-4bit");
  expect(choiceValue("base.en")).toBe("base.en-4bit");
  expect(choiceValue("Parakeet-V3")).toBe("parakeet-v3");
  expect(choiceValue("parakeet-110M-4BIT")).toBe("parakeet-110m-4bit");
  expect(choiceValue("Nemotron-3.5-8BIT")).toBe("nemotron-3.5-8bit");
  // A model that is neither downloaded nor in the catalog (a folder set before) stays choosable.
  const { ready } = modelChoices([], "/Users/ana/models/whisper-de");
  expect(ready).toEqual([
    { value: DAEMON_MODEL, title: "The Daemon's Model" },
    { value: "/Users/ana/models/whisper-de", title: "/Users/ana/models/whisper-de" },
  ]);
  expect(modelChoices([], "small").ready).toEqual([{ value: DAEMON_MODEL, title: "The Daemon's Model" }]);
});
