/**
 * Speaker models (who spoke when) by name, and NVIDIA's repository behind each (transformers' layout: config.json,
 * model.safetensors, processor_config.json; the engine's native/DIARIZATION.md). Config speakerModel takes one of
 * these names, a hub repository id or a local folder.
 */

export interface SpeakerCatalogModel {
  /** The name a user gives, e.g. `nemotron-diarization`. */
  name: string;
  repoId: string;
  /**
   * About how many bytes the download takes. ESTIMATED, not measured: the repository was not reachable from where
   * this was written; 31 layers of width 512 in float32 come to about 400 MB.
   */
  downloadBytes: number;
}

export const SPEAKER_MODELS: readonly SpeakerCatalogModel[] = [
  { name: "nemotron-diarization", repoId: "nvidia/Nemotron-3-Diarization", downloadBytes: 400e6 },
];

export const DEFAULT_SPEAKER_MODEL = "nemotron-diarization";

/** What the model store is asked for: a catalog name's repository, else the name as given (a repo id or a folder). */
export function speakerModelSource(name: string): string {
  return SPEAKER_MODELS.find((model) => model.name === name.trim())?.repoId ?? name;
}
