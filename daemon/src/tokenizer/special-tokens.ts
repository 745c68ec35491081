import { LANGUAGES } from "./languages";

/** The special token ids of one Whisper vocabulary (reference/special-tokens.json). */
export interface SpecialTokens {
  nVocab: number;
  multilingual: boolean;
  eot: number;
  sot: number;
  firstLanguage: number;
  /** How many language tokens follow firstLanguage (99, or 100 from v3 on, which adds yue). */
  languages: number;
  translate: number;
  transcribe: number;
  startOfLm: number;
  startOfPrev: number;
  noSpeech: number;
  noTimestamps: number;
  timestampBegin: number;
}

const TABLE: readonly SpecialTokens[] = [
  {
    nVocab: 51864,
    multilingual: false,
    eot: 50256,
    sot: 50257,
    firstLanguage: 50258,
    languages: 99,
    translate: 50357,
    transcribe: 50358,
    startOfLm: 50359,
    startOfPrev: 50360,
    noSpeech: 50361,
    noTimestamps: 50362,
    timestampBegin: 50363,
  },
  {
    nVocab: 51865,
    multilingual: true,
    eot: 50257,
    sot: 50258,
    firstLanguage: 50259,
    languages: 99,
    translate: 50358,
    transcribe: 50359,
    startOfLm: 50360,
    startOfPrev: 50361,
    noSpeech: 50362,
    noTimestamps: 50363,
    timestampBegin: 50364,
  },
  {
    nVocab: 51866,
    multilingual: true,
    eot: 50257,
    sot: 50258,
    firstLanguage: 50259,
    languages: 100,
    translate: 50359,
    transcribe: 50360,
    startOfLm: 50361,
    startOfPrev: 50362,
    noSpeech: 50363,
    noTimestamps: 50364,
    timestampBegin: 50365,
  },
];

export const SUPPORTED_VOCABULARY_SIZES: readonly number[] = TABLE.map((entry) => entry.nVocab);

export function specialTokensFor(nVocab: number): SpecialTokens {
  const entry = TABLE.find((candidate) => candidate.nVocab === nVocab);
  if (!entry) {
    throw new Error(
      `No Whisper vocabulary has ${nVocab} tokens (known: ${SUPPORTED_VOCABULARY_SIZES.join(", ")}). ` +
        "Check the model's config.json n_vocab, or choose a Whisper model.",
    );
  }
  return entry;
}

/** The language codes a vocabulary has tokens for, in token order. */
export function languageCodesFor(special: SpecialTokens): string[] {
  return LANGUAGES.slice(0, special.languages).map(([code]) => code);
}
