// A job's options checked once against the loaded model's capabilities (families/job-options.ts): each family words
// its refusals, naming the model to use instead (for Parakeet, the family's first catalog model that transcribes the
// language, then the default Whisper model).
import { checkJobOptions } from "../src/families";
import { PARAKEET_V3_LANGUAGES } from "../src/models/parakeet-catalog";
import type { ModelCapabilities, TranscriptionOptions } from "../src/protocol";
import { languageName } from "../src/tokenizer";

const parakeet = (languages: readonly string[] | null): ModelCapabilities => ({
  family: "parakeet",
  languages: languages && [...languages],
  translate: false,
  prompt: false,
  boosting: true,
  decodingOptions: false,
  streaming: true,
});
const whisper = (languages: string[]): ModelCapabilities => ({
  family: "whisper",
  languages,
  translate: languages.length > 1,
  prompt: true,
  boosting: false,
  decodingOptions: true,
  streaming: true,
});

function refusal(id: string, capabilities: ModelCapabilities, options: TranscriptionOptions): string | null {
  try {
    checkJobOptions({ id, model: { capabilities } }, options);
    return null;
  } catch (error) {
    expect(error).toMatchObject({ code: "unsupported" });
    return (error as Error).message;
  }
}

test.each([
  [
    "a Parakeet folder of its own",
    "/models/my-parakeet",
    parakeet(null),
    "de",
    "/models/my-parakeet is a Parakeet model whose languages are not known (its folder is not a catalog model), so " +
      'it cannot be asked for "de" (German); leave the language out (the model recognizes its languages itself), or ' +
      "use parakeet-v3 or large-v3-turbo-4bit (a Whisper model) for it",
  ],
  [
    "an English-only Parakeet model",
    "parakeet-v2",
    parakeet(["en"]),
    "fr",
    'parakeet-v2 is an English-only model and cannot transcribe "fr" (French); use parakeet-v3 or ' +
      "large-v3-turbo-4bit (a Whisper model) for it, or leave the language out",
  ],
  [
    "Parakeet v3 packed, outside its languages",
    "parakeet-v3-8bit",
    parakeet(PARAKEET_V3_LANGUAGES),
    "ja",
    "parakeet-v3-8bit is a Parakeet model of 25 languages (bg, cs, da, de, el, en, es, et, fi, fr, hr, hu, it, lt, " +
      'lv, mt, nl, pl, pt, ro, ru, sk, sl, sv, uk) and cannot transcribe "ja" (Japanese); use ' +
      "large-v3-turbo-4bit (a Whisper model) for it, or leave the language out",
  ],
  [
    "an English-only Whisper model",
    "small.en",
    whisper(["en"]),
    "de",
    'small.en is an English-only model and cannot transcribe "de" (German); use a multilingual model (such as ' +
      'large-v3 or small) for it, or language "en"',
  ],
  [
    "a multilingual Whisper model, outside its languages",
    "tiny",
    whisper(["en", "de"]),
    "yue",
    'tiny was not trained on the language "yue" (Cantonese); use a model that was (large-v3 knows the most), or no ' +
      "language, to have it detected",
  ],
])("%s: a language it cannot transcribe is refused, naming what to use", (_, id, capabilities, language, words) => {
  expect(languageName(language)).toBeDefined();
  expect(refusal(id, capabilities, { language })).toBe(words);
});

test("a language a model has, and no language, are taken; translation is refused in its family's words", () => {
  expect(refusal("parakeet-v3", parakeet(PARAKEET_V3_LANGUAGES), { language: "de" })).toBeNull();
  expect(refusal("tiny", whisper(["en", "de"]), {})).toBeNull();
  expect(refusal("parakeet-v3", parakeet(PARAKEET_V3_LANGUAGES), { task: "translate" })).toBe(
    "parakeet-v3 is a Parakeet model and cannot translate; use large-v3-turbo-4bit (a multilingual Whisper model) " +
      'for task "translate", or task "transcribe"',
  );
  expect(refusal("tiny.en", whisper(["en"]), { task: "translate" })).toBe(
    "tiny.en is an English-only model and cannot translate; use a multilingual model (such as large-v3 or small) " +
      'for task "translate", or task "transcribe"',
  );
});
