/** The files a model folder needs: its config and one weights file (Parakeet's is model.safetensors). */

export const CONFIG_FILE = "config.json";

/** Weights file names in order of preference (older quantized repositories ship the later ones). */
export const WEIGHTS_FILES = ["weights.safetensors", "weights.npz", "model.safetensors"] as const;

export interface ModelFiles {
  config: typeof CONFIG_FILE;
  weights: (typeof WEIGHTS_FILES)[number];
}

/** Picks the model's files from the names at a folder's top level, or returns what is missing. */
export function selectModelFiles(names: Iterable<string>): { files: ModelFiles } | { missing: string } {
  const present = new Set(names);
  const weights = WEIGHTS_FILES.find((name) => present.has(name));
  if (!present.has(CONFIG_FILE)) return { missing: CONFIG_FILE };
  if (!weights) return { missing: `weights file (${WEIGHTS_FILES.join(", ")})` };
  return { files: { config: CONFIG_FILE, weights } };
}

export function modelFileNames(files: ModelFiles): string[] {
  return [files.config, files.weights];
}
