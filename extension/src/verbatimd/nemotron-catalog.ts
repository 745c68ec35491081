// Copied from daemon/src/models/nemotron-catalog.ts by `npm run sync:extension` (extension/scripts/daemon-copy.mjs): edit the original.
/**
 * Nemotron Speech Streaming model names and NVIDIA's repositories behind them (transformers' layout: config.json,
 * model.safetensors, tokenizer.json, processor_config.json; native/NEMOTRON.md), with what each costs to download and
 * the languages it transcribes. A Nemotron model streams natively, in chunks of 80, 160, 560 or 1120 ms (config
 * streamingChunkMs); it translates nothing and has no decoder prompt (it boosts vocabulary terms instead). The engine
 * holds its weights as stored; a name may end in a packing, `nemotron-3.5-4bit`: the same repository, its weights packed
 * when loaded (packing.ts).
 */
import { packedBytes, splitPacking, type Packing } from "./packing";

/**
 * The languages of nemotron-3.5-asr-streaming-0.6b's 40 locales (NVIDIA's model card), as the ISO 639-1 codes a job
 * names (its prompt dictionary takes these bare codes as well as the locales).
 */
export const NEMOTRON_3_5_LANGUAGES = [
  "ar",
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
  "he",
  "hi",
  "hr",
  "hu",
  "it",
  "ja",
  "ko",
  "lt",
  "lv",
  "nl",
  "nn",
  "pl",
  "pt",
  "ro",
  "ru",
  "sk",
  "sl",
  "sv",
  "th",
  "tr",
  "uk",
  "vi",
  "zh",
] as const;

export interface NemotronCatalogModel {
  /** The name a user gives, e.g. `nemotron-3.5`. */
  name: string;
  repoId: string;
  /** Bytes of the repository's model files (float32 weights, held as stored once loaded unless packed). */
  downloadBytes: number;
  /** The language codes it transcribes. */
  languages: readonly string[];
  /** The languages in words, for listings. */
  languagesLabel: string;
  /** How the engine packs the weights when it loads them; absent: as stored. */
  packing?: Packing;
}

export const NEMOTRON_MODELS: readonly NemotronCatalogModel[] = [
  {
    name: "nemotron-streaming-en",
    repoId: "nvidia/nemotron-speech-streaming-en-0.6b",
    // About 618 million float32 parameters: 24 layers of d 1024 (feed-forward 4096), a 2-layer LSTM of 640 and a
    // 1,025-piece joint, counted from the architecture (the model card's "600M").
    downloadBytes: 2_470_000_000,
    languages: ["en"],
    languagesLabel: "English",
  },
  {
    name: "nemotron-3.5",
    repoId: "nvidia/nemotron-3.5-asr-streaming-0.6b",
    // The same network with 13,088 pieces and the language prompt's projector: about 638 million float32 parameters.
    downloadBytes: 2_550_000_000,
    languages: NEMOTRON_3_5_LANGUAGES,
    languagesLabel: "40 language-locales",
  },
];

/** A catalog model with its weights packed when loaded, named `<name>-<packing>`. */
export function packedNemotronModel(model: NemotronCatalogModel, packing: Packing): NemotronCatalogModel {
  return { ...model, name: `${model.name}-${packing}`, packing };
}

/** The Nemotron model a name stands for (any case, with a packing or none), or undefined when it is not one of them. */
export function parseNemotronName(name: string): NemotronCatalogModel | undefined {
  const { base, packing } = splitPacking(name);
  const model = NEMOTRON_MODELS.find((known) => known.name === base);
  if (!model) return undefined;
  return packing ? packedNemotronModel(model, packing) : model;
}

/**
 * About how many bytes its weights take once loaded: the float32 download as stored, or packed (the engine rounds
 * float32 matrices to 16 bits before packing them, and keeps those too narrow to pack in 16 bits).
 */
export function nemotronMemoryBytes(model: NemotronCatalogModel): number {
  return model.packing ? packedBytes(model.downloadBytes / 2, model.packing) : model.downloadBytes;
}

export function nemotronModelForRepo(repoId: string): NemotronCatalogModel | undefined {
  return NEMOTRON_MODELS.find((model) => model.repoId === repoId);
}
