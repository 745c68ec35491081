/**
 * The files a model folder needs: its config and one weights file (Parakeet's and Nemotron's is model.safetensors),
 * and where they are there, transformers' tokenizer and processor files (Nemotron's pieces and chunk choices).
 */

export const CONFIG_FILE = "config.json";

/** Weights file names in order of preference (older quantized repositories ship the later ones). */
export const WEIGHTS_FILES = ["weights.safetensors", "weights.npz", "model.safetensors"] as const;

/** Files a model in transformers' layout (Nemotron) reads beside its config and weights, taken where present. */
export const SIDE_FILES = ["tokenizer.json", "processor_config.json"] as const;

export interface ModelFiles {
  config: typeof CONFIG_FILE;
  weights: (typeof WEIGHTS_FILES)[number];
  /** The side files the folder or repository has. */
  side: Array<(typeof SIDE_FILES)[number]>;
}

/** Picks the model's files from the names at a folder's top level, or returns what is missing. */
export function selectModelFiles(names: Iterable<string>): { files: ModelFiles } | { missing: string } {
  const present = new Set(names);
  const weights = WEIGHTS_FILES.find((name) => present.has(name));
  if (!present.has(CONFIG_FILE)) return { missing: CONFIG_FILE };
  if (!weights) return { missing: `weights file (${WEIGHTS_FILES.join(", ")})` };
  return { files: { config: CONFIG_FILE, weights, side: SIDE_FILES.filter((name) => present.has(name)) } };
}

export function modelFileNames(files: ModelFiles): string[] {
  return [files.config, files.weights, ...files.side];
}
