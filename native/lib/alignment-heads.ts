// Which cross-attention heads of each OpenAI Whisper model track the audio position (for word timestamps and
// streaming), as curated by openai/whisper (_ALIGNMENT_HEADS) and whisper.cpp, and how to tell the models apart
// from their dimensions. Fine-tunes and models not listed fall back to the heads stored with the weights.
import type { AlignmentHeads, ModelDims } from "./types";

// prettier-ignore
const curatedHeads: Record<string, AlignmentHeads> = {
  "tiny.en": [[1, 0], [2, 0], [2, 5], [3, 0], [3, 1], [3, 2], [3, 3], [3, 4]],
  "tiny": [[2, 2], [3, 0], [3, 2], [3, 3], [3, 4], [3, 5]],
  "base.en": [[3, 3], [4, 7], [5, 1], [5, 5], [5, 7]],
  "base": [[3, 1], [4, 2], [4, 3], [4, 7], [5, 1], [5, 2], [5, 4], [5, 6]],
  "small.en": [[6, 6], [7, 0], [7, 3], [7, 8], [8, 2], [8, 5], [8, 7], [9, 0], [9, 4], [9, 8], [9, 10], [10, 0], [10, 1], [10, 2], [10, 3], [10, 6], [10, 11], [11, 2], [11, 4]],
  "small": [[5, 3], [5, 9], [8, 0], [8, 4], [8, 7], [8, 8], [9, 0], [9, 7], [9, 9], [10, 5]],
  "medium.en": [[11, 4], [14, 1], [14, 12], [14, 14], [15, 4], [16, 0], [16, 4], [16, 9], [17, 12], [17, 14], [18, 7], [18, 10], [18, 15], [20, 0], [20, 3], [20, 9], [20, 14], [21, 12]],
  "medium": [[13, 15], [15, 4], [15, 15], [16, 1], [20, 0], [23, 4]],
  "large-v1": [[9, 19], [11, 2], [11, 4], [11, 17], [22, 7], [22, 11], [22, 17], [23, 2], [23, 15]],
  "large-v2": [[10, 12], [13, 17], [16, 11], [16, 12], [16, 13], [17, 15], [17, 16], [18, 4], [18, 11], [18, 19], [19, 11], [21, 2], [21, 3], [22, 3], [22, 9], [22, 12], [23, 5], [23, 7], [23, 13], [25, 5], [26, 1], [26, 12], [27, 15]],
  "large-v3": [[7, 0], [10, 17], [12, 18], [13, 12], [16, 1], [17, 14], [19, 11], [21, 4], [24, 1], [25, 6]],
  "large-v3-turbo": [[2, 4], [2, 11], [3, 3], [3, 6], [3, 11], [3, 14]],
};

const sizesByWidth: Record<number, string> = { 384: "tiny", 512: "base", 768: "small", 1024: "medium" };

/** The OpenAI model these dims belong to ("base.en", "large-v3-turbo", …), or null for other shapes. */
export function identifyModel(dims: ModelDims): string | null {
  const { nVocab, nTextState, nTextLayer, nAudioLayer } = dims;
  const size = sizesByWidth[nTextState];
  if (nVocab === 51864 && size) return `${size}.en`;
  if (nVocab === 51865 && size) return size;
  // v1 and v2 share every dimension; v2 is the one still distributed, so it is assumed.
  if (nVocab === 51865 && nTextState === 1280 && nTextLayer === 32) return "large-v2";
  if (nVocab === 51866 && nTextState === 1280 && nAudioLayer === 32)
    return nTextLayer === 4 ? "large-v3-turbo" : "large-v3";
  return null;
}

/** The curated heads of a known model, else the heads stored with its weights. */
export function alignmentHeadsFor(dims: ModelDims, storedHeads: AlignmentHeads): AlignmentHeads {
  const name = identifyModel(dims);
  return (name && curatedHeads[name]) || storedHeads;
}
