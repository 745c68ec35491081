// The models a user can choose: the Model preference's dropdown (the daemon's own model, then the catalog, which
// package.json lists and the tests keep equal to this), and the Transcribe form's, which adds what the daemon has
// downloaded (models.list), catalog models by their names, others (a Hugging Face repository) by their ids.
import { catalogModelForRepo, catalogModels, parseCatalogName, type CatalogModel } from "../verbatimd/catalog";
import { PACKINGS } from "../verbatimd/packing";
import {
  packedParakeetModel,
  parakeetModelForRepo,
  parseParakeetName,
  PARAKEET_MODELS,
  type ParakeetCatalogModel,
} from "../verbatimd/parakeet-catalog";
import {
  nemotronModelForRepo,
  NEMOTRON_MODELS,
  packedNemotronModel,
  parseNemotronName,
  type NemotronCatalogModel,
} from "../verbatimd/nemotron-catalog";
import type { CachedModelData } from "../verbatimd/protocol";

/** The value meaning "no model asked for": the daemon's current model. */
export const DAEMON_MODEL = "default";

const QUANTIZATION_TITLES: Record<CatalogModel["quantization"], string> = {
  "4bit": "4-bit",
  "8bit": "8-bit",
  fp16: "16-bit",
};

export interface ModelChoice {
  value: string;
  title: string;
}

const DAEMON_CHOICE: ModelChoice = { value: DAEMON_MODEL, title: "The Daemon's Model" };

const whisperChoice = (model: CatalogModel): ModelChoice => ({
  value: model.name,
  title: `${model.size} (${QUANTIZATION_TITLES[model.quantization]})`,
});

/** A Parakeet model as it is downloaded, then packed to 8 and 4 bits when loaded (the same download). */
const parakeetChoices = (model: ParakeetCatalogModel): ModelChoice[] => [
  { value: model.name, title: `${model.name} (Parakeet, ${model.languagesLabel})` },
  ...PACKINGS.map((packing) => ({
    value: packedParakeetModel(model, packing).name,
    title: `${model.name} (Parakeet, ${model.languagesLabel}, ${QUANTIZATION_TITLES[packing]})`,
  })),
];

/**
 * A Nemotron model, which streams natively (live text a chunk at a time), as it is downloaded, then packed to 8 and 4
 * bits when loaded (the same download).
 */
const nemotronChoices = (model: NemotronCatalogModel): ModelChoice[] => [
  { value: model.name, title: `${model.name} (Nemotron, streaming, ${model.languagesLabel})` },
  ...PACKINGS.map((packing) => ({
    value: packedNemotronModel(model, packing).name,
    title: `${model.name} (Nemotron, streaming, ${model.languagesLabel}, ${QUANTIZATION_TITLES[packing]})`,
  })),
];

/** Every catalog model as the dropdowns offer it: Whisper's, then Parakeet's, then Nemotron's. */
function catalogChoices(): ModelChoice[] {
  return [
    ...catalogModels().map(whisperChoice),
    ...PARAKEET_MODELS.flatMap(parakeetChoices),
    ...NEMOTRON_MODELS.flatMap(nemotronChoices),
  ];
}

/** The catalog choices a cached repository gives (a Parakeet or Nemotron download is all its packings), or none. */
function catalogChoicesForRepo(repoId: string): ModelChoice[] {
  const whisper = catalogModelForRepo(repoId);
  if (whisper) return [whisperChoice(whisper)];
  const parakeet = parakeetModelForRepo(repoId);
  if (parakeet) return parakeetChoices(parakeet);
  const nemotron = nemotronModelForRepo(repoId);
  return nemotron ? nemotronChoices(nemotron) : [];
}

/** The Model preference's dropdown, as package.json must list it: the daemon's model, then every catalog model. */
export function modelPreferenceData(): ModelChoice[] {
  return [DAEMON_CHOICE, ...catalogChoices()];
}

/** A model as the dropdowns name it: a catalog alias by its full name (turbo → large-v3-turbo-4bit), else as given. */
export function choiceValue(model: string | undefined): string {
  const trimmed = model?.trim();
  if (!trimmed) return DAEMON_MODEL;
  return (
    parseCatalogName(trimmed)?.name ?? parseParakeetName(trimmed)?.name ?? parseNemotronName(trimmed)?.name ?? trimmed
  );
}

export interface ModelChoices {
  /** The daemon's model, then the downloaded models (and `chosen` when it is neither downloaded nor in the catalog). */
  ready: ModelChoice[];
  /** Catalog models not downloaded yet: the daemon downloads one the first time it is used. */
  toDownload: ModelChoice[];
}

const megabytes = (bytes: number) => `${Math.round(bytes / 1e6).toLocaleString("en-US")} MB`;

/** The Transcribe form's model dropdown from the daemon's downloaded models; `chosen` (the preference) is always offered. */
export function modelChoices(cached: readonly CachedModelData[], chosen?: string): ModelChoices {
  const ready: ModelChoice[] = [DAEMON_CHOICE];
  for (const model of cached.filter((entry) => entry.complete)) {
    const choices = catalogChoicesForRepo(model.repoId);
    for (const choice of choices.length > 0 ? choices : [{ value: model.repoId, title: model.repoId }]) {
      if (!ready.some((known) => known.value === choice.value)) {
        ready.push({ ...choice, title: `${choice.title}, ${megabytes(model.sizeBytes)}` });
      }
    }
  }
  const downloaded = new Set(ready.map((choice) => choice.value));
  const toDownload = catalogChoices().filter((choice) => !downloaded.has(choice.value));
  const wanted = choiceValue(chosen);
  if (!downloaded.has(wanted) && !toDownload.some((choice) => choice.value === wanted)) {
    ready.push({ value: wanted, title: wanted });
  }
  return { ready, toDownload };
}
