// Copied from daemon/src/models/catalog.ts by `npm run sync:extension` (extension/scripts/daemon-copy.mjs): edit the original.
/**
 * Whisper model names and the mlx-community repositories behind them (table in native/WHISPER.md).
 * A name is a size, optionally followed by a quantization: `small`, `base.en-8bit`, `turbo-fp16`.
 */

export const QUANTIZATIONS = ["fp16", "8bit", "4bit"] as const;
export type Quantization = (typeof QUANTIZATIONS)[number];

export const WHISPER_SIZES = [
  "tiny",
  "tiny.en",
  "base",
  "base.en",
  "small",
  "small.en",
  "medium",
  "medium.en",
  "large-v3",
  "large-v3-turbo",
] as const;
export type WhisperSize = (typeof WHISPER_SIZES)[number];

const SIZE_ALIASES: Record<string, WhisperSize> = { turbo: "large-v3-turbo" };

/** A bare size means its 4-bit variant: the smallest download and the product's choice. */
export const DEFAULT_QUANTIZATION: Quantization = "4bit";
export const DEFAULT_MODEL = "large-v3-turbo-4bit";

export interface CatalogModel {
  /** Canonical name, e.g. `large-v3-turbo-4bit`. */
  name: string;
  size: WhisperSize;
  quantization: Quantization;
  repoId: string;
}

export function catalogModel(size: WhisperSize, quantization: Quantization): CatalogModel {
  return { name: `${size}-${quantization}`, size, quantization, repoId: repoIdFor(size, quantization) };
}

function repoIdFor(size: WhisperSize, quantization: Quantization): string {
  // turbo's repositories are named without "-mlx".
  const base = size === "large-v3-turbo" ? "whisper-large-v3-turbo" : `whisper-${size}-mlx`;
  return `mlx-community/${quantization === "fp16" ? base : `${base}-${quantization}`}`;
}

/** The catalog model a name stands for, or undefined when the name is not a catalog name. */
export function parseCatalogName(name: string): CatalogModel | undefined {
  const match = /^(.+?)(?:-(fp16|8bit|4bit))?$/.exec(name.trim().toLowerCase());
  if (!match) return undefined;
  const size = SIZE_ALIASES[match[1]] ?? WHISPER_SIZES.find((known) => known === match[1]);
  if (!size) return undefined;
  return catalogModel(size, (match[2] as Quantization | undefined) ?? DEFAULT_QUANTIZATION);
}

/**
 * The variants to try, in order, when the requested one is not available: first those of equal or higher
 * precision (closest first), then lower ones, so a fallback never quietly costs accuracy when it can avoid it.
 */
export function fallbackVariants(model: CatalogModel): CatalogModel[] {
  const byPrecision: Quantization[] = ["4bit", "8bit", "fp16"];
  const index = byPrecision.indexOf(model.quantization);
  const order = [...byPrecision.slice(index + 1), ...byPrecision.slice(0, index).reverse()];
  return order.map((quantization) => catalogModel(model.size, quantization));
}

/** All catalog models, for listings and for naming cached repositories. */
export function catalogModels(): CatalogModel[] {
  return WHISPER_SIZES.flatMap((size) => QUANTIZATIONS.map((quantization) => catalogModel(size, quantization)));
}

export function catalogModelForRepo(repoId: string): CatalogModel | undefined {
  return catalogModels().find((model) => model.repoId === repoId);
}
