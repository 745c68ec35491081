import { loadTokenizer, StreamingDecoder, TimedToken, Tokenizer, wordsFromTimings } from "../src/tokenizer";

// Building vocabularies is slow on a busy machine: allow for it.
jest.setTimeout(60_000);

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

/** Each token given a 0.1 s slot and a probability from its position. */
function timed(ids: number[]): TimedToken[] {
  return ids.map((token, i) => ({ token, start: i * 0.1, end: (i + 1) * 0.1, probability: 0.5 + (i % 5) * 0.1 }));
}

describe("StreamingDecoder", () => {
  test.each([
    ["CJK", "東京タワーに行きましょう。中文字符也一样。"],
    ["emoji", "Party 🎉🥳 family 👨‍👩‍👧 flag 🇯🇵 done"],
  ])("%s split across byte-level tokens comes out whole, one token at a time", (_name, text) => {
    const ids = multilingual.encode(text);
    const splitsInsideCharacter = ids.filter((id) =>
      new TextDecoder("utf-8", { fatal: false }).decode(multilingual.tokenBytes(id)).includes("\uFFFD"),
    );
    expect(splitsInsideCharacter.length).toBeGreaterThan(0);

    const decoder = new StreamingDecoder(multilingual);
    const pieces = ids.map((id) => decoder.push([id]));
    pieces.push(decoder.flush());
    expect(pieces.join("")).toBe(text);
    expect(pieces.filter((piece) => piece.includes("\uFFFD"))).toEqual([]);
    expect(pieces).toContain("");
  });

  test("special and timestamp tokens add no text", () => {
    const decoder = new StreamingDecoder(english);
    const text = decoder.push([50257, 50363, ...english.encode(" Hello"), 50363 + 25]) + decoder.push([50256]);
    expect(text + decoder.flush()).toBe(" Hello");
  });

  test("a character left unfinished at the end flushes as U+FFFD", () => {
    const ids = multilingual.encode("🎉");
    const decoder = new StreamingDecoder(multilingual);
    expect(decoder.push(ids.slice(0, -1))).toBe("");
    expect(decoder.flush()).toBe("\uFFFD");
  });
});

describe("wordsFromTimings", () => {
  test("English words split at spaces, punctuation joined to its word", () => {
    const ids = english.encode(' Hello, world! He said "(really)" - ok.');
    const items = timed([50257, ...ids, 50256]);
    const words = wordsFromTimings(english, items);
    expect(words.map((w) => w.word)).toEqual([" Hello,", " world!", " He", " said", ' "(really)"', " - ok."]);
    expect(words.flatMap((w) => w.tokens)).toEqual(ids);

    const hello = words[0];
    const helloItems = items.slice(1, 1 + hello.tokens.length);
    expect(hello.start).toBeCloseTo(helloItems[0].start);
    expect(hello.end).toBeCloseTo(helloItems[helloItems.length - 1].end);
    const helloProbabilities = helloItems.map((t) => t.probability);
    expect(hello.probability).toBeCloseTo(helloProbabilities.reduce((a, b) => a + b) / helloProbabilities.length);
  });

  test("a word made of several tokens keeps them together", () => {
    const ids = english.encode(" Transcription unbelievably");
    expect(ids.length).toBeGreaterThan(2);
    expect(wordsFromTimings(english, timed(ids)).map((w) => w.word)).toEqual([" Transcription", " unbelievably"]);
  });

  test("Japanese splits at every token that ends a character, never inside one", () => {
    const text = "東京に行きます。";
    const ids = multilingual.encode(text);
    expect(ids.map((id) => multilingual.decode([id]))).toContain("きます");
    const words = wordsFromTimings(multilingual, timed(ids), "ja");
    expect(words.map((w) => w.word)).toEqual(["東", "京", "に", "行", "きます。"]);
    for (const word of words) expect(word.end).toBeGreaterThan(word.start);
  });

  test("an emoji split over tokens is one word with the time of all its tokens", () => {
    const ids = multilingual.encode(" party 🎉");
    const words = wordsFromTimings(multilingual, timed(ids));
    expect(words.map((w) => w.word)).toEqual([" party", " 🎉"]);
    const emoji = words[1];
    expect(emoji.tokens.length).toBeGreaterThan(1);
    expect(emoji.end - emoji.start).toBeCloseTo(0.1 * emoji.tokens.length);
  });

  test("no text tokens, no words", () => {
    expect(wordsFromTimings(english, timed([50257, 50363, 50256]))).toEqual([]);
  });
});
