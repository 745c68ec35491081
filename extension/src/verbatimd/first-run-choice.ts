// Copied from daemon/src/models/first-run-choice.ts by `npm run sync:extension` (extension/scripts/daemon-copy.mjs): edit the original.
/**
 * The first-run choice of a speech model, as `verbatim doctor` and Raycast offer it: the Whisper default, or Parakeet
 * v3 or Nemotron Speech Streaming beside it, with the trade-off in numbers. Published figures: the Hugging Face Open
 * ASR leaderboard (English average WER and RTFx; the multilingual average over Parakeet v3's languages), NVIDIA's
 * model cards (v3's 25 languages; Nemotron's LibriSpeech test-clean WER and chunk sizes). The languages and download
 * sizes come from the catalog, as `verbatim models list` says them.
 */
import { DEFAULT_MODEL } from "./catalog";
import { findCatalogEntry, type CatalogEntry } from "./catalog-entries";
import { downloadPhrase } from "./byte-size";

export interface FirstRunOption {
  /** The catalog name `verbatim models use` and the model switch take. */
  model: string;
  title: string;
  /** One line: what it is best at. */
  summary: string;
  /** What it costs and gives, each a short phrase. */
  facts: string[];
}

function catalogEntry(model: string): CatalogEntry {
  const entry = findCatalogEntry(model);
  if (!entry) throw new Error(`The first-run choice offers ${model}, which the catalog does not know`);
  return entry;
}

const whisper = catalogEntry(DEFAULT_MODEL);
const parakeet = catalogEntry("parakeet-v3");
const nemotron = catalogEntry("nemotron-streaming-en");

export const WHISPER_CHOICE: FirstRunOption = {
  model: whisper.name,
  title: "Whisper Large v3 Turbo (4-bit), the default",
  summary: `${whisper.languagesLabel}, translation into English, and your vocabulary terms in its prompt`,
  facts: ["English WER 7.83% at RTFx 200 (Open ASR leaderboard)", downloadPhrase(whisper.downloadBytes)],
};

export const PARAKEET_CHOICE: FirstRunOption = {
  model: parakeet.name,
  title: "Parakeet TDT v3",
  summary: "faster and more accurate on English and 24 other European languages, which it detects itself",
  facts: [
    "English WER 6.32% at RTFx 3,333 (Open ASR leaderboard); 4.81% against Whisper turbo's 5.56% on its languages",
    "no translation; your vocabulary terms boosted while it decodes",
    `${downloadPhrase(parakeet.downloadBytes)} (mlx-community stores float32)`,
  ],
};

export const NEMOTRON_CHOICE: FirstRunOption = {
  model: nemotron.name,
  title: "Nemotron Speech Streaming (English)",
  summary: "live text as you speak from a model trained to stream, English only",
  facts: [
    "LibriSpeech test-clean WER 2.31% offline, 2.29% streaming (NVIDIA's model card, not the leaderboard)",
    "live text a chunk of 80, 160 (the default), 560 or 1120 ms at a time, never taken back",
    "no translation; your vocabulary terms boosted while it decodes",
    `${downloadPhrase(nemotron.downloadBytes)} (NVIDIA's float32 weights)`,
  ],
};

export const FIRST_RUN_OPTIONS: readonly FirstRunOption[] = [WHISPER_CHOICE, PARAKEET_CHOICE, NEMOTRON_CHOICE];
