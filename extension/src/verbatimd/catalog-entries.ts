// Copied from daemon/src/models/catalog-entries.ts by `npm run sync:extension` (extension/scripts/daemon-copy.mjs): edit the original.
/**
 * The catalog across model families: every name a user may give (Whisper's in catalog.ts, Parakeet's in
 * parakeet-catalog.ts, Nemotron's in nemotron-catalog.ts), the repository behind it and what a listing says of it. Name resolution, the cache listing
 * and `verbatim models list` ask this, never a family's catalog.
 */
import type { ModelFamily } from "./protocol";
import { catalogModelForRepo, catalogModels, fallbackVariants, parseCatalogName, type CatalogModel } from "./catalog";
import { PACKINGS, type Packing } from "./packing";
import {
  packedParakeetModel,
  parakeetMemoryBytes,
  parakeetModelForRepo,
  parseParakeetName,
  PARAKEET_MODELS,
  type ParakeetCatalogModel,
} from "./parakeet-catalog";
import {
  nemotronMemoryBytes,
  nemotronModelForRepo,
  NEMOTRON_MODELS,
  packedNemotronModel,
  parseNemotronName,
  type NemotronCatalogModel,
} from "./nemotron-catalog";
import { whisperDownloadBytes, whisperLanguagesLabel } from "./whisper-facts";

export interface CatalogEntry {
  /** Canonical name, e.g. `large-v3-turbo-4bit`, `parakeet-v3`. */
  name: string;
  family: ModelFamily;
  repoId: string;
  /** Repositories to try, in order, when `repoId` is not available (Whisper's other quantizations of its size). */
  fallbacks: string[];
  /** About how many bytes a download takes. */
  downloadBytes: number;
  /**
   * About how many bytes its weights take once loaded (Whisper's and Nemotron's as stored; Parakeet's in 16 bits;
   * packed ones smaller).
   */
  memoryBytes: number;
  /**
   * How the engine packs the weights when it loads them (its `quantize` load option): Parakeet's and Nemotron's
   * `-8bit`, `-4bit`.
   */
  quantize?: Packing;
  /** The languages it transcribes, in words ("99 languages", "English", "25 European languages"). */
  languagesLabel: string;
  /**
   * Its language codes where the catalog must say them (Parakeet models do not list theirs); absent where the model
   * itself says (Whisper's tokenizer).
   */
  languages?: readonly string[];
}

function whisperEntry(model: CatalogModel): CatalogEntry {
  const bytes = whisperDownloadBytes(model.size, model.quantization);
  return {
    name: model.name,
    family: "whisper",
    repoId: model.repoId,
    fallbacks: fallbackVariants(model).map((variant) => variant.repoId),
    downloadBytes: bytes,
    memoryBytes: bytes,
    languagesLabel: whisperLanguagesLabel(model.size),
  };
}

function parakeetEntry(model: ParakeetCatalogModel): CatalogEntry {
  return {
    name: model.name,
    family: "parakeet",
    repoId: model.repoId,
    fallbacks: [],
    downloadBytes: model.downloadBytes,
    memoryBytes: parakeetMemoryBytes(model),
    languagesLabel: model.languagesLabel,
    languages: model.languages,
    ...(model.packing && { quantize: model.packing }),
  };
}

function nemotronEntry(model: NemotronCatalogModel): CatalogEntry {
  return {
    name: model.name,
    family: "nemotron",
    repoId: model.repoId,
    fallbacks: [],
    downloadBytes: model.downloadBytes,
    memoryBytes: nemotronMemoryBytes(model),
    languagesLabel: model.languagesLabel,
    languages: model.languages,
    ...(model.packing && { quantize: model.packing }),
  };
}

/**
 * The catalog model a name stands for (`turbo`, `small.en-8bit`, `parakeet-v3`, `parakeet-v3-8bit`,
 * `nemotron-3.5-4bit`), or undefined.
 */
export function findCatalogEntry(name: string): CatalogEntry | undefined {
  const whisper = parseCatalogName(name);
  if (whisper) return whisperEntry(whisper);
  const parakeet = parseParakeetName(name);
  if (parakeet) return parakeetEntry(parakeet);
  const nemotron = parseNemotronName(name);
  return nemotron && nemotronEntry(nemotron);
}

/** The catalog model a hub repository holds, or undefined when it is not one of them. */
export function catalogEntryForRepo(repoId: string): CatalogEntry | undefined {
  const whisper = catalogModelForRepo(repoId);
  if (whisper) return whisperEntry(whisper);
  const parakeet = parakeetModelForRepo(repoId);
  if (parakeet) return parakeetEntry(parakeet);
  const nemotron = nemotronModelForRepo(repoId);
  return nemotron && nemotronEntry(nemotron);
}

/** Every catalog model: Whisper's sizes in each quantization, then Parakeet's, then Nemotron's. */
export function catalogEntries(): CatalogEntry[] {
  return [
    ...catalogModels().map(whisperEntry),
    ...PARAKEET_MODELS.map(parakeetEntry),
    ...NEMOTRON_MODELS.map(nemotronEntry),
  ];
}

/**
 * A Parakeet or Nemotron model's packed names (`parakeet-v3-8bit`, `nemotron-3.5-4bit`: its repository, packed when
 * loaded); Whisper's and a packed name's: none.
 */
export function packedEntries(entry: CatalogEntry): CatalogEntry[] {
  if (entry.quantize !== undefined) return [];
  const parakeet = parakeetModelForRepo(entry.repoId);
  if (parakeet) return PACKINGS.map((packing) => parakeetEntry(packedParakeetModel(parakeet, packing)));
  const nemotron = nemotronModelForRepo(entry.repoId);
  return nemotron ? PACKINGS.map((packing) => nemotronEntry(packedNemotronModel(nemotron, packing))) : [];
}
