// Copied from daemon/src/models/whisper-facts.ts by `npm run sync:extension` (extension/scripts/daemon-copy.mjs): edit the original.
/**
 * What each Whisper catalog model costs to download and which languages it transcribes, for listings. Download sizes
 * are estimated from the parameter counts of each size (MLX keeps Linear layers and the token embedding in 4 or 8
 * bits plus a 16-bit scale and bias per 64 weights, everything else in 16 bits): within a few percent of the
 * mlx-community files (turbo fp16 1.61 GB, large-v3 fp16 3.08 GB, turbo 4-bit about half a gigabyte).
 */
import type { Quantization, WhisperSize } from "./catalog";

/** Estimated download in megabytes (10^6 bytes), by size and quantization. */
const DOWNLOAD_MB: Record<WhisperSize, Record<Quantization, number>> = {
  tiny: { fp16: 74, "8bit": 40, "4bit": 22 },
  "tiny.en": { fp16: 74, "8bit": 40, "4bit": 22 },
  base: { fp16: 144, "8bit": 77, "4bit": 42 },
  "base.en": { fp16: 144, "8bit": 77, "4bit": 42 },
  small: { fp16: 481, "8bit": 258, "4bit": 139 },
  "small.en": { fp16: 481, "8bit": 258, "4bit": 139 },
  medium: { fp16: 1525, "8bit": 814, "4bit": 435 },
  "medium.en": { fp16: 1525, "8bit": 814, "4bit": 435 },
  "large-v3": { fp16: 3083, "8bit": 1645, "4bit": 877 },
  "large-v3-turbo": { fp16: 1614, "8bit": 864, "4bit": 463 },
};

export function whisperDownloadBytes(size: WhisperSize, quantization: Quantization): number {
  return DOWNLOAD_MB[size][quantization] * 1e6;
}

/**
 * The languages a Whisper size transcribes, in words: `.en` models English only; the multilingual ones the 99 of
 * openai's tokenizer, 100 from large-v3 on (Cantonese added). They also translate into English.
 */
export function whisperLanguagesLabel(size: WhisperSize): string {
  if (size.endsWith(".en")) return "English";
  return size.startsWith("large-v3") ? "100 languages" : "99 languages";
}
