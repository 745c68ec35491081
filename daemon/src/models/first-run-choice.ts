/**
 * The first-run choice of a speech model, as `verbatim doctor` and Raycast offer it: the Whisper default, or Parakeet
 * v3 beside it with the trade-off in numbers. Published figures: the Hugging Face Open ASR leaderboard (English average
 * WER and RTFx; the multilingual average over Parakeet v3's languages), NVIDIA's model card for v3's 25 languages.
 * The languages come from the catalog, as `verbatim models list` says them.
 */
import { DEFAULT_MODEL, parseCatalogName } from "./catalog";
import { whisperLanguagesLabel } from "./whisper-facts";

export interface FirstRunOption {
  /** The catalog name `verbatim models use` and the model switch take. */
  model: string;
  title: string;
  /** One line: what it is best at. */
  summary: string;
  /** What it costs and gives, each a short phrase. */
  facts: string[];
}

/** The default's languages in words ("100 languages"), as the catalog lists them. */
const DEFAULT_LANGUAGES = whisperLanguagesLabel(parseCatalogName(DEFAULT_MODEL)!.size);

export const FIRST_RUN_OPTIONS: readonly FirstRunOption[] = [
  {
    model: DEFAULT_MODEL,
    title: "Whisper Large v3 Turbo (4-bit), the default",
    summary: `${DEFAULT_LANGUAGES}, translation into English, and your vocabulary terms in its prompt`,
    facts: ["English WER 7.83% at RTFx 200 (Open ASR leaderboard)", "about a 0.5 GB download"],
  },
  {
    model: "parakeet-v3",
    title: "Parakeet TDT v3",
    summary: "faster and more accurate on English and 24 other European languages, which it detects itself",
    facts: [
      "English WER 6.32% at RTFx 3,333 (Open ASR leaderboard); 4.81% against Whisper turbo's 5.56% on its languages",
      "no translation; your vocabulary terms boosted while it decodes",
      "a 2.5 GB download (mlx-community stores float32)",
    ],
  },
];
