/**
 * Parakeet TDT model names and the mlx-community repositories behind them (parakeet-mlx's layout: config.json, the
 * NeMo config, and model.safetensors; native/PARAKEET.md), with what each costs to download and the languages it
 * transcribes. A Parakeet model recognizes its languages itself: it takes no language, translates nothing and has no
 * decoder prompt. A name may end in a packing, `parakeet-v3-8bit`: the same repository, its weights packed when loaded.
 */
import { packedBytes, splitPacking, type Packing } from "./packing";

/** The 25 European languages of parakeet-tdt-0.6b-v3 (NVIDIA's model card), as ISO 639-1 codes. */
export const PARAKEET_V3_LANGUAGES = [
  "bg",
  "cs",
  "da",
  "de",
  "el",
  "en",
  "es",
  "et",
  "fi",
  "fr",
  "hr",
  "hu",
  "it",
  "lt",
  "lv",
  "mt",
  "nl",
  "pl",
  "pt",
  "ro",
  "ru",
  "sk",
  "sl",
  "sv",
  "uk",
] as const;

export interface ParakeetCatalogModel {
  /** The name a user gives, e.g. `parakeet-v3`, `parakeet-v3-8bit`. */
  name: string;
  repoId: string;
  /** Bytes of the repository's config.json and model.safetensors (mlx-community stores float32). */
  downloadBytes: number;
  /** The language codes it transcribes. */
  languages: readonly string[];
  /** The languages in words, for listings. */
  languagesLabel: string;
  /** How the engine packs the weights when it loads them (packing.ts); absent: 16 bits (the repositories store float32). */
  packing?: Packing;
}

export const PARAKEET_MODELS: readonly ParakeetCatalogModel[] = [
  {
    name: "parakeet-v3",
    repoId: "mlx-community/parakeet-tdt-0.6b-v3",
    // 627,052,166 float32 parameters (native/PARAKEET.md).
    downloadBytes: 2_510_000_000,
    languages: PARAKEET_V3_LANGUAGES,
    languagesLabel: "25 European languages",
  },
  {
    name: "parakeet-v2",
    repoId: "mlx-community/parakeet-tdt-0.6b-v2",
    downloadBytes: 2_470_000_000,
    languages: ["en"],
    languagesLabel: "English",
  },
  {
    name: "parakeet-110m",
    repoId: "mlx-community/parakeet-tdt_ctc-110m",
    downloadBytes: 459_000_000,
    languages: ["en"],
    languagesLabel: "English",
  },
];

/** A catalog model with its weights packed when loaded, named `<name>-<packing>`. */
export function packedParakeetModel(model: ParakeetCatalogModel, packing: Packing): ParakeetCatalogModel {
  return { ...model, name: `${model.name}-${packing}`, packing };
}

/** The Parakeet model a name stands for (any case, with a packing or none), or undefined when it is not one of them. */
export function parseParakeetName(name: string): ParakeetCatalogModel | undefined {
  const { base, packing } = splitPacking(name);
  const model = PARAKEET_MODELS.find((known) => known.name === base);
  if (!model) return undefined;
  return packing ? packedParakeetModel(model, packing) : model;
}

/** About how many bytes its weights take once loaded: the float32 download in 16 bits, or packed. */
export function parakeetMemoryBytes(model: ParakeetCatalogModel): number {
  const sixteenBits = model.downloadBytes / 2;
  return model.packing ? packedBytes(sixteenBits, model.packing) : sixteenBits;
}

export function parakeetModelForRepo(repoId: string): ParakeetCatalogModel | undefined {
  return PARAKEET_MODELS.find((model) => model.repoId === repoId);
}
