/**
 * Speaker models (who spoke when) by name, and NVIDIA's repository behind each (transformers' layout: config.json,
 * model.safetensors, processor_config.json; the engine's native/DIARIZATION.md). Config speakerModel takes one of
 * these names, a hub repository id or a local folder. The model store resolves, downloads and lists them as it does
 * speech models; they never transcribe.
 */
import { ModelStoreError } from "./errors";
import type { Packing } from "./packing";

export interface SpeakerCatalogModel {
  /** The name a user gives, e.g. `nemotron-diarization`. */
  name: string;
  repoId: string;
  /**
   * About how many bytes the download takes. ESTIMATED, not measured: the repository was not reachable from where
   * this was written; 31 layers of width 512 in float32 come to about 400 MB.
   */
  downloadBytes: number;
  /** The most speakers it tells apart. */
  maxSpeakers: number;
  /** How the engine packs the weights when it loads them (its `quantize` load option): the same download, less memory. */
  quantize?: Packing;
}

const NEMOTRON_DIARIZATION = { repoId: "nvidia/Nemotron-3-Diarization", downloadBytes: 400e6, maxSpeakers: 8 };

export const SPEAKER_MODELS: readonly SpeakerCatalogModel[] = [
  { name: "nemotron-diarization", ...NEMOTRON_DIARIZATION },
  { name: "nemotron-diarization-8bit", ...NEMOTRON_DIARIZATION, quantize: "8bit" },
  { name: "nemotron-diarization-4bit", ...NEMOTRON_DIARIZATION, quantize: "4bit" },
];

export const DEFAULT_SPEAKER_MODEL = "nemotron-diarization";

/** The catalog speaker model a name stands for (any case), or undefined. */
export function findSpeakerModel(name: string): SpeakerCatalogModel | undefined {
  const wanted = name.trim().toLowerCase();
  return SPEAKER_MODELS.find((model) => model.name === wanted);
}

/** The catalog speaker model a hub repository holds (as stored, not packed), or undefined. */
export function speakerModelForRepo(repoId: string): SpeakerCatalogModel | undefined {
  return SPEAKER_MODELS.find((model) => model.repoId === repoId);
}

/** A speaker model named where a speech model is wanted (`models use`, a job's model): refused before any download. */
export function refuseSpeakerModelForSpeech(name: string): void {
  const model = findSpeakerModel(name) ?? speakerModelForRepo(name.trim());
  if (!model) return;
  throw new ModelStoreError(
    "not-a-model",
    `${name.trim()} is a speaker model (who spoke when), not a speech model: it cannot transcribe. Jobs with ` +
      `--speakers use it as config.json's "speakerModel" (${DEFAULT_SPEAKER_MODEL} by default; edit the file, then ` +
      `verbatim daemon restart). Choose a speech model from verbatim models list: verbatim models use NAME.`,
  );
}
