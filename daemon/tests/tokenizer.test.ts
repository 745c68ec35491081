import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LANGUAGES, loadTokenizer, specialTokensFor, SUPPORTED_VOCABULARY_SIZES, Tokenizer } from "../src/tokenizer";
import { loadMultilingualRanks, MULTILINGUAL_RANKS_FILE } from "../src/tokenizer/multilingual-ranks";
import { referenceDir } from "../../test/support/fixtures";
import { readTiktokenFile } from "./support/tokenizer-fixtures";

// Building vocabularies is slow on a busy machine: allow for it.
jest.setTimeout(60_000);

const WHISPER_LANGUAGE_ORDER =
  "en zh de es ru ko fr ja pt tr pl ca nl ar sv it id hi fi vi he uk el ms cs ro da hu ta no th ur hr bg lt la mi ml " +
  "cy sk te fa lv bn sr az sl kn et mk br eu is hy ne mn bs kk sq sw gl mr pa si km sn yo so af oc ka be tg sd gu am " +
  "yi lo uz fo ht ps tk nn mt sa lb my bo tl mg as tt haw ln ha ba jw su yue";

let english: Tokenizer;
let multilingual: Tokenizer;

beforeAll(async () => {
  english = await loadTokenizer({ nVocab: 51864 });
  multilingual = await loadTokenizer({ nVocab: 51866 });
});

afterAll(() => {
  english.free();
  multilingual.free();
});

describe("special tokens", () => {
  const reference = JSON.parse(readFileSync(join(referenceDir, "special-tokens.json"), "utf8"));

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
    const v2 = await loadTokenizer({ nVocab: 51865 });
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
    const reference = readTiktokenFile(join(referenceDir, "gpt2.tiktoken"));
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

describe("multilingual vocabulary shipped with the daemon", () => {
  test("is openai/whisper's multilingual.tiktoken, byte for byte", () => {
    const sha256 = createHash("sha256").update(readFileSync(MULTILINGUAL_RANKS_FILE)).digest("hex");
    expect(sha256).toBe("b34b360dbb493e781e479794586d661700670d65564001f23024971d1f2fa126");
  });

  // Ids pinned from the tokenizer as it was built from openai/whisper-large-v3's vocab.json before this file shipped.
  test.each([
    [
      "Grüße aus München! Die Straße ist schön, äußerst große Bäume.",
      [
        20038, 774, 11451, 3437, 35840, 2470, 0, 3229, 43817, 1418, 13527, 11, 3078, 43796, 16398, 19691, 47571, 2540,
        13,
      ],
    ],
    [
      "今日は良い天気ですね。東京タワーに行きましょう。",
      [43791, 33950, 1764, 6135, 25870, 14277, 1543, 18413, 31375, 12144, 39613, 3384, 4108, 8082, 7016, 26513, 1543],
    ],
    [
      "Hello 👋🏽 world 🎉🇩🇪 family 👨‍👩‍👧",
      [
        15947, 36276, 233, 4222, 237, 121, 1002, 19034, 231, 4222, 229, 102, 4222, 229, 103, 1605, 36276, 101, 913, 235,
        31017, 102, 913, 235, 31017, 100,
      ],
    ],
    [
      "Привет, мир! 你好，世界。 مرحبا",
      [43971, 31259, 11, 20536, 0, 10930, 2131, 171, 120, 234, 24486, 1543, 3714, 2288, 5016, 3555, 995],
    ],
  ])("%s encodes to openai's ids and decodes back", (text, ids) => {
    expect(multilingual.encode(text)).toEqual(ids);
    expect(multilingual.decode(ids)).toBe(text);
  });

  test("has every rank of the file, including the empty token 50256", () => {
    const reference = readTiktokenFile(MULTILINGUAL_RANKS_FILE);
    expect(reference).toHaveLength(50257);
    const mismatches = reference.filter((bytes, rank) => !bytes.equals(multilingual.tokenBytes(rank)));
    expect(mismatches).toHaveLength(0);
    expect(multilingual.tokenBytes(50256)).toHaveLength(0);
    expect(multilingual.tokenBytesTable()).toHaveLength(51866);
  });

  test("a missing, damaged or truncated file gives an error that says how to restore it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "verbatim-tokenizer-"));
    const file = join(dir, "multilingual.tiktoken");
    try {
      const restore = /restore it with `git checkout -- daemon\/assets\/tokenizer`/;
      await expect(loadMultilingualRanks(file)).rejects.toThrow(/Could not read the multilingual vocabulary.*ENOENT/);
      await expect(loadMultilingualRanks(file)).rejects.toThrow(restore);
      writeFileSync(file, "IQ== 0\nnot a rank line\n");
      await expect(loadMultilingualRanks(file)).rejects.toThrow(/line 2 is not a "base64 rank" line.*damaged/);
      writeFileSync(file, readFileSync(MULTILINGUAL_RANKS_FILE, "utf8").split("\n").slice(0, 1000).join("\n"));
      await expect(loadMultilingualRanks(file)).rejects.toThrow(/holds 1000 tokens, not 50257/);
      await expect(loadMultilingualRanks(file)).rejects.toThrow(restore);
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
    const v2 = await loadTokenizer({ nVocab: 51865 });
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

  test("only a prompt's last 2,000 characters are tokenized: the same tokens from natural text, and no freeze", () => {
    // Natural text: its last 223 tokens lie well inside its last 2,000 characters.
    const words = Array.from({ length: 20_000 }, (_, i) => ["Verbatim", "dictation", "of", "meeting", "notes"][i % 5]);
    const natural = words.join(" ");
    expect(english.promptTokens(natural)).toEqual(english.encode(" " + natural).slice(-223));
    expect(multilingual.promptTokens(natural)).toEqual(multilingual.encode(" " + natural).slice(-223));
    // One character repeated costs the encoder the square of its length: 100,000 took 3.4 s of CPU whole ("a"; "漢"
    // 19 s) on an AMD EPYC core, where these four calls take 90 ms: the bound leaves six times more either way.
    const before = process.cpuUsage();
    expect(english.promptTokens("a".repeat(100_000))).toEqual(english.encode(" " + "a".repeat(2000)).slice(-223));
    expect(multilingual.promptTokens("漢".repeat(100_000))).toEqual(
      multilingual.encode(" " + "漢".repeat(2000)).slice(-223),
    );
    const used = process.cpuUsage(before);
    expect((used.user + used.system) / 1000).toBeLessThan(600);
    // A cut through a surrogate pair leaves the half character out; white space at the end does not take the room.
    const emoji = "😀".repeat(1500) + "a";
    expect(english.promptTokens(emoji)).toEqual(english.encode(" " + "😀".repeat(999) + "a").slice(-223));
    expect(english.promptTokens("word ".repeat(100) + " ".repeat(5000))).toEqual(
      english.encode(" " + "word ".repeat(100).trim()).slice(-223),
    );
  });
});
