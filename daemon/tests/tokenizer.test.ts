import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Tiktoken } from "tiktoken";
import {
  LANGUAGES,
  loadTokenizer,
  specialTokensFor,
  SUPPORTED_VOCABULARY_SIZES,
  Tokenizer,
  vocabularyRepository,
} from "../src/tokenizer";
import { WHISPER_PATTERN } from "../src/tokenizer/ranks";
import { readTiktokenFile, REFERENCE_DIR, vocabJsonFrom } from "./support/tokenizerFixtures";

// Building vocabularies is slow on a busy machine: allow for it.
jest.setTimeout(60_000);

const WHISPER_LANGUAGE_ORDER =
  "en zh de es ru ko fr ja pt tr pl ca nl ar sv it id hi fi vi he uk el ms cs ro da hu ta no th ur hr bg lt la mi ml " +
  "cy sk te fa lv bn sr az sl kn et mk br eu is hy ne mn bs kk sq sw gl mr pa si km sn yo so af oc ka be tg sd gu am " +
  "yi lo uz fo ht ps tk nn mt sa lb my bo tl mg as tt haw ln ha ba jw su yue";

const multilingualRanks = readTiktokenFile("multilingual.tiktoken");
const multilingualVocabJson = vocabJsonFrom(multilingualRanks, {
  "<|endoftext|>": 50257,
  "<|startoftranscript|>": 50258,
});

let cacheDir: string;
let english: Tokenizer;
let multilingual: Tokenizer;
let hubRequests: string[];

async function loadMultilingual(nVocab: number): Promise<Tokenizer> {
  return loadTokenizer({
    nVocab,
    cacheDir,
    loadHubFile: async (repo, file) => {
      hubRequests.push(`${repo}/${file}`);
      return multilingualVocabJson;
    },
  });
}

beforeAll(async () => {
  cacheDir = mkdtempSync(join(tmpdir(), "verbatim-tokenizer-"));
  hubRequests = [];
  english = await loadTokenizer({ nVocab: 51864 });
  multilingual = await loadMultilingual(51866);
});

afterAll(() => {
  english.free();
  multilingual.free();
  rmSync(cacheDir, { recursive: true, force: true });
});

describe("special tokens", () => {
  const reference = JSON.parse(readFileSync(join(REFERENCE_DIR, "special-tokens.json"), "utf8"));

  test.each([51864, 51865, 51866])("n_vocab %i matches special-tokens.json", (nVocab) => {
    const expected = reference[String(nVocab)];
    const special = specialTokensFor(nVocab);
    expect({
      eot: special.eot,
      sot: special.sot,
      first_language: special.firstLanguage,
      languages: special.languages,
      translate: special.translate,
      transcribe: special.transcribe,
      startoflm: special.startOfLm,
      startofprev: special.startOfPrev,
      nospeech: special.noSpeech,
      notimestamps: special.noTimestamps,
      timestamp_begin: special.timestampBegin,
    }).toEqual(Object.fromEntries(Object.entries(expected).filter(([key]) => !["vocabulary", "ranks"].includes(key))));
    // Timestamps 0.00 … 30.00 s fill the vocabulary to its end.
    expect(special.timestampBegin + 1501).toBe(nVocab);
  });

  test("only the known vocabulary sizes are accepted", () => {
    expect(SUPPORTED_VOCABULARY_SIZES).toEqual([51864, 51865, 51866]);
    expect(() => specialTokensFor(51800)).toThrow(/No Whisper vocabulary has 51800 tokens.*config\.json/);
  });

  test("languages come in Whisper's token order with English names", () => {
    expect(LANGUAGES.map(([code]) => code).join(" ")).toBe(WHISPER_LANGUAGE_ORDER);
    expect(Object.fromEntries(LANGUAGES)).toMatchObject({
      en: "English",
      de: "German",
      ht: "Haitian Creole",
      yue: "Cantonese",
    });
  });

  test("language tokens, sot sequences and timestamps per vocabulary", async () => {
    const v2 = await loadMultilingual(51865);
    try {
      expect(v2.languages).toHaveLength(99);
      expect(() => v2.languageToken("yue")).toThrow(/no language "yue"/);
      expect(multilingual.languageToken("yue")).toBe(50358);
      expect(multilingual.languageToken("de")).toBe(50261);
      expect(multilingual.languageOfToken(50261)).toBe("de");
      expect(multilingual.languageOfToken(50257)).toBeUndefined();
      expect(v2.sotSequence({ language: "en", task: "transcribe" })).toEqual([50258, 50259, 50359]);
      expect(multilingual.sotSequenceIncludingNoTimestamps({ language: "ja", task: "translate" })).toEqual([
        50258, 50266, 50359, 50364,
      ]);
    } finally {
      v2.free();
    }
    expect(english.sotSequence({ language: "en", task: "transcribe" })).toEqual([50257]);
    expect(english.sotSequenceIncludingNoTimestamps()).toEqual([50257, 50362]);

    expect(multilingual.isTimestamp(50365)).toBe(true);
    expect(multilingual.isTimestamp(50364)).toBe(false);
    expect(multilingual.timestampSeconds(50365 + 1500)).toBe(30);
    expect(multilingual.timestampSeconds(50365 + 57)).toBe(1.14);
    expect(multilingual.timestampToken(1.14)).toBe(50365 + 57);
    expect(english.timestampSeconds(50363 + 1)).toBe(0.02);
    expect(() => english.timestampSeconds(50362)).toThrow(/not a timestamp/);
  });
});

describe("English-only vocabulary (tiktoken's gpt2)", () => {
  test("has exactly the ranks of gpt2.tiktoken", () => {
    const reference = readTiktokenFile("gpt2.tiktoken");
    expect(reference).toHaveLength(50256);
    const mismatches = reference.filter((bytes, rank) => !bytes.equals(english.tokenBytes(rank)));
    expect(mismatches).toHaveLength(0);
  });

  test("encodes with Whisper's pre-tokenisation and decodes back", () => {
    const text = "Hello world, it's 2024! <|endoftext|> isn't special here.";
    const ids = english.encode(text);
    expect(ids.slice(0, 4)).toEqual([15496, 995, 11, 340]);
    expect(ids).not.toContain(50256);
    expect(english.decode(ids)).toBe(text);
  });

  test("the bytes table covers n_vocab with empty special and timestamp tokens", () => {
    const table = english.tokenBytesTable();
    expect(table).toHaveLength(51864);
    expect(Buffer.from(table[15496]).toString()).toBe("Hello");
    expect(table.slice(50256).every((bytes) => bytes.length === 0)).toBe(true);
    expect(() => english.tokenBytes(51864)).toThrow(RangeError);
  });

  test("decode leaves out special and timestamp tokens", () => {
    const ids = [50257, 50363, ...english.encode(" Hi there."), 50363 + 50, 50256];
    expect(english.decode(ids)).toBe(" Hi there.");
  });
});

describe("multilingual vocabulary from vocab.json", () => {
  const reference = new Tiktoken(
    multilingualRanks
      .map((bytes, rank) => `${bytes.toString("base64")} ${rank}`)
      .filter((line) => !line.startsWith(" ") && !line.startsWith("="))
      .join("\n"),
    {},
    WHISPER_PATTERN,
  );
  afterAll(() => reference.free());

  test.each([
    ["German", "Grüße aus München! Die Straße ist schön, äußerst große Bäume."],
    ["Japanese", "今日は良い天気ですね。東京タワーに行きましょう。"],
    ["emoji", "Hello 👋🏽 world 🎉🇩🇪 family 👨‍👩‍👧"],
    ["mixed", "Привет, мир! 你好，世界。 مرحبا"],
  ])("%s encodes to the ids of the reference ranks", (_name, text) => {
    const ids = multilingual.encode(text);
    expect(ids).toEqual(Array.from(reference.encode_ordinary(text)));
    expect(multilingual.decode(ids)).toBe(text);
  });

  test("has every reference rank, including the empty token 50256", () => {
    const mismatches = multilingualRanks.filter((bytes, rank) => !bytes.equals(multilingual.tokenBytes(rank)));
    expect(mismatches).toHaveLength(0);
    expect(multilingual.tokenBytesTable()).toHaveLength(51866);
  });

  test("vocab.json is downloaded once, then read from the cache", async () => {
    expect(vocabularyRepository(51866)).toBe("openai/whisper-large-v3");
    const before = hubRequests.length;
    const cached = await loadTokenizer({
      nVocab: 51866,
      cacheDir,
      loadHubFile: () => Promise.reject(new Error("offline")),
    });
    try {
      expect(cached.encode("Grüße")).toEqual(multilingual.encode("Grüße"));
    } finally {
      cached.free();
    }
    expect(hubRequests.length).toBe(before);
    expect(hubRequests).toContain("openai/whisper-large-v3/vocab.json");
    expect(readdirSync(cacheDir)).toContain("openai--whisper-large-v3.tiktoken");
  });

  test("a damaged cache file is rebuilt from vocab.json", async () => {
    const dir = mkdtempSync(join(tmpdir(), "verbatim-tokenizer-"));
    try {
      writeFileSync(join(dir, "openai--whisper-large-v3.tiktoken"), "IQ== 0\nnot a rank line\n");
      const rebuilt = await loadTokenizer({
        nVocab: 51866,
        cacheDir: dir,
        loadHubFile: async () => multilingualVocabJson,
      });
      expect(rebuilt.encode("日本")).toEqual(Array.from(reference.encode_ordinary("日本")));
      rebuilt.free();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("download failures and wrong files give errors that say what to do", async () => {
    const dir = mkdtempSync(join(tmpdir(), "verbatim-tokenizer-"));
    const load = (loadHubFile: () => Promise<string>) => loadTokenizer({ nVocab: 51865, cacheDir: dir, loadHubFile });
    try {
      await expect(load(() => Promise.reject(new Error("ENOTFOUND huggingface.co")))).rejects.toThrow(
        /Could not download the vocab.json of openai\/whisper-large-v2.*ENOTFOUND.*Check the internet connection/,
      );
      await expect(load(async () => "<html>")).rejects.toThrow(/not valid JSON/);
      await expect(load(async () => JSON.stringify({ a: 0, b: 1 }))).rejects.toThrow(/lacks 50255 of the 50257/);
      await expect(load(async () => JSON.stringify({ "a\u4e00": 0 }))).rejects.toThrow(/not a byte-level BPE token/);
      await expect(loadTokenizer({ nVocab: 51865 })).rejects.toThrow(/needs a cache folder and a hub file loader/);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("suppress lists and prompts", () => {
  // openai/whisper-large-v2 generation_config.json suppress_tokens: openai's "-1" for a 51865 vocabulary.
  const LARGE_V2_SUPPRESS = [
    1, 2, 7, 8, 9, 10, 14, 25, 26, 27, 28, 29, 31, 58, 59, 60, 61, 62, 63, 90, 91, 92, 93, 359, 503, 522, 542, 873, 893,
    902, 918, 922, 931, 1350, 1853, 1982, 2460, 2627, 3246, 3253, 3268, 3536, 3846, 3961, 4183, 4667, 6585, 6647, 7273,
    9061, 9383, 10428, 10929, 11938, 12033, 12331, 12562, 13793, 14157, 14635, 15265, 15618, 16553, 16604, 18362, 18956,
    20075, 21675, 22520, 26130, 26161, 26435, 28279, 29464, 31650, 32302, 32470, 36865, 42863, 47425, 49870, 50254,
    50258, 50358, 50359, 50360, 50361, 50362,
  ];

  test('"-1" expands to openai\'s non-speech tokens plus the task and start tokens', async () => {
    const v2 = await loadMultilingual(51865);
    try {
      expect(v2.resolveSuppressTokens("-1")).toEqual(LARGE_V2_SUPPRESS);
      expect(v2.resolveSuppressTokens()).toEqual(LARGE_V2_SUPPRESS);
      expect(v2.suppressTokens()).toEqual(LARGE_V2_SUPPRESS.filter((id) => id < 50257));
    } finally {
      v2.free();
    }
  });

  test("explicit suppress lists keep their ids and add the task and start tokens", () => {
    const always = [50258, 50359, 50360, 50361, 50362, 50363];
    expect(multilingual.resolveSuppressTokens("")).toEqual(always);
    expect(multilingual.resolveSuppressTokens("13, 11")).toEqual([11, 13, ...always]);
    expect(multilingual.resolveSuppressTokens([5, -1])).toEqual(
      [...new Set([5, ...multilingual.suppressTokens(), ...always])].sort((a, b) => a - b),
    );
    expect(() => multilingual.resolveSuppressTokens("1,x")).toThrow(/"x" is not a token id/);
  });

  // openai/whisper-tiny.en generation_config.json suppress_tokens: openai's "-1" for the 51864 vocabulary.
  const TINY_EN_SUPPRESS = [
    1, 2, 7, 8, 9, 10, 14, 25, 26, 27, 28, 29, 31, 58, 59, 60, 61, 62, 63, 90, 91, 92, 93, 357, 366, 438, 532, 685, 705,
    796, 930, 1058, 1220, 1267, 1279, 1303, 1343, 1377, 1391, 1635, 1782, 1875, 2162, 2361, 2488, 3467, 4008, 4211,
    4600, 4808, 5299, 5855, 6329, 7203, 9609, 9959, 10563, 10786, 11420, 11709, 11907, 13163, 13697, 13700, 14808,
    15306, 16410, 16791, 17992, 19203, 19510, 20724, 22305, 22935, 27007, 30109, 30420, 33409, 34949, 40283, 40493,
    40549, 47282, 49146, 50257, 50357, 50358, 50359, 50360, 50361,
  ];

  test('"-1" for the English vocabulary matches whisper-tiny.en\'s list', () => {
    expect(english.resolveSuppressTokens("-1")).toEqual(TINY_EN_SUPPRESS);
  });

  test("an initial prompt is ' ' + the text, cut to its last n_text_ctx/2 - 1 tokens", () => {
    expect(english.promptTokens("  Verbatim, Raycast. ")).toEqual(english.encode(" Verbatim, Raycast."));
    expect(english.promptTokens("   ")).toEqual([]);
    const long = Array.from({ length: 300 }, (_, i) => `word${i}`).join(" ");
    const tokens = english.promptTokens(long);
    expect(tokens).toHaveLength(223);
    expect(tokens).toEqual(english.encode(" " + long).slice(-223));
    expect(english.promptTokens(long, 64)).toHaveLength(31);
  });
});
