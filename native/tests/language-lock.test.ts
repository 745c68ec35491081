// Parakeet v3's language lock: which pieces a language locks out (CLDR's letters against the model's own vocabulary),
// and the engine decoding with them masked. parakeet-tiny-v3-multilingual (random weights, a vocabulary of Latin,
// Cyrillic and Greek pieces) writes Cyrillic pieces and "ł" on held-out English speech when free; locked to English it
// writes none, and gives exactly transformers' greedy decode with the same pieces masked (its committed reference,
// whose list of pieces English cannot write is written by hand in parakeet-reference/regenerate.sh).
import path from "node:path";
import { readFileSync } from "node:fs";
import {
  InvalidArgumentError,
  LOCK_LANGUAGES,
  lockedOutPieces,
  ParakeetModel,
  vocabularyScripts,
  type StreamEvent,
} from "../lib";
import { readSimpleWav } from "../../test/support/fixtures";

jest.setTimeout(120_000);

const repoRoot = path.join(__dirname, "..", "..");
const models = path.join(repoRoot, "test", "fixtures", "models");
const clip = (name: string): Float32Array =>
  readSimpleWav(path.join(repoRoot, "test", "fixtures", "heldout", `${name}.wav`));

interface Reference {
  greedy: { tokens: number[]; frames: number[]; durations: number[] };
  suppressed?: number[];
  text: string;
}
const reference = (name: string): Reference =>
  JSON.parse(readFileSync(path.join(models, "parakeet-reference", `${name}.json`), "utf8")) as Reference;

const W = "\u2581";

describe("lockedOutPieces: the pieces a language cannot write", () => {
  const pieces = [
    "<unk>",
    W,
    `${W}the`,
    "s",
    "ä",
    "é",
    "ß",
    "ł",
    "Ł",
    `${W}für`,
    `${W}и`,
    "ы",
    "α",
    `${W}και`,
    ",",
    "?",
    "1",
    `${W}2024`,
    "<0x21>",
    "<0xC3>",
    "<0x41>",
    "<pad>",
    "ё",
  ];
  const locked = (language: string) => lockedOutPieces(pieces, language).map((id) => pieces[id]);

  test("English: other scripts and letters English does not write; its loanwords' letters (café, naïve) stay", () => {
    expect(locked("en")).toEqual(["ß", "ł", "Ł", `${W}и`, "ы", "α", `${W}και`, "<0xC3>", "ё"]);
  });

  test("German writes ß, ä and für; Polish ł in either case", () => {
    expect(locked("de")).not.toContain("ß");
    expect(locked("de")).not.toContain(`${W}für`);
    expect(locked("de")).toContain("ł");
    expect(locked("pl")).not.toContain("ł");
    expect(locked("pl")).not.toContain("Ł");
  });

  test("Russian and Greek lock out Latin letters but keep punctuation, digits, the word mark and special pieces", () => {
    const shared = ["<unk>", W, ",", "?", "1", `${W}2024`, "<0x21>", "<pad>"];
    expect(locked("ru")).toEqual([
      `${W}the`,
      "s",
      "ä",
      "é",
      "ß",
      "ł",
      "Ł",
      `${W}für`,
      "α",
      `${W}και`,
      "<0xC3>",
      "<0x41>",
    ]);
    for (const piece of shared) expect(locked("ru")).not.toContain(piece);
    expect(locked("el")).toContain(`${W}и`);
    expect(locked("el")).not.toContain(`${W}και`);
    // Russian does not write Ukrainian's ї; Ukrainian's auxiliary letters (names, quotations) hold Russian's ы.
    expect(lockedOutPieces(["ї", "ы"], "ru")).toEqual([0]);
    expect(lockedOutPieces(["ї", "ы"], "uk")).toEqual([]);
  });

  test("the lock knows v3's 25 languages; another is refused, naming them", () => {
    expect(LOCK_LANGUAGES).toHaveLength(25);
    expect(() => lockedOutPieces(pieces, "ja")).toThrow(InvalidArgumentError);
    expect(() => lockedOutPieces(pieces, "ja")).toThrow(/bg, cs, da, de, el, en, .*uk/);
  });

  test("vocabularyScripts names the scripts a vocabulary writes", () => {
    expect([...vocabularyScripts(pieces)].sort()).toEqual(["Cyrillic", "Greek", "Latin"]);
    expect([...vocabularyScripts(["<unk>", `${W}the`, ","])]).toEqual(["Latin"]);
  });
});

describe("parakeet-tiny-v3-multilingual locked to English", () => {
  let model: ParakeetModel;
  beforeAll(async () => {
    model = await ParakeetModel.load(path.join(models, "parakeet-tiny-v3-multilingual"), { backend: "cpu", threads: 2 })
      .promise;
  });
  afterAll(() => model.free());

  test("the lib's pieces for English are the reference's, listed by hand", () => {
    expect(model.lockedOutPieces("en")).toEqual(reference("tiny-v3-multilingual-en-heldout-00").suppressed);
  });

  test.each(["heldout-00", "heldout-01", "heldout-02", "heldout-03"])(
    "%s: free and locked decodes are transformers' with and without the mask",
    async (name) => {
      const free = reference(`tiny-v3-multilingual-${name}`);
      const en = reference(`tiny-v3-multilingual-en-${name}`);
      const audio = clip(name);
      const freeResult = await model.transcribe(audio).promise;
      expect(freeResult.tokens.map((t) => t.id)).toEqual(free.greedy.tokens);
      const locked = await model.transcribe(audio, () => {}, { language: "en" }).promise;
      expect(locked.tokens.map((t) => t.id)).toEqual(en.greedy.tokens);
      expect(locked.tokens.map((t) => Math.round(t.start / 0.08))).toEqual(en.greedy.frames);
      expect(locked.text).toBe(en.text.trim());
      const suppressed = new Set(model.lockedOutPieces("en"));
      for (const token of locked.tokens) {
        expect(suppressed.has(token.id)).toBe(false);
        expect(token.probability).toBeGreaterThan(0);
      }
    },
  );

  test("free decoding writes another script on held-out English speech, the lock does not", async () => {
    const audio = clip("heldout-02");
    const free = await model.transcribe(audio).promise;
    expect(free.text).toMatch(/\p{Script=Cyrillic}/u);
    const locked = await model.transcribe(audio, () => {}, { language: "en" }).promise;
    expect(locked.text).not.toMatch(/[\p{Script=Cyrillic}\p{Script=Greek}ł]/u);
  });

  test("a long file's chunks and a live session are locked too", async () => {
    const audio = new Float32Array([...clip("heldout-00"), ...clip("heldout-02"), ...clip("heldout-03")]);
    const suppressed = new Set(model.lockedOutPieces("en"));
    const free = await model.transcribe(audio, () => {}, { chunkSeconds: 4, chunkOverlapSeconds: 1 }).promise;
    expect(free.tokens.some((t) => suppressed.has(t.id))).toBe(true);
    const chunked = await model.transcribe(audio, () => {}, { chunkSeconds: 4, chunkOverlapSeconds: 1, language: "en" })
      .promise;
    expect(chunked.tokens.length).toBeGreaterThan(0);
    expect(chunked.tokens.some((t) => suppressed.has(t.id))).toBe(false);

    const events: StreamEvent[] = [];
    const session = model.startStream({ minChunkSeconds: 0.2, language: "en" }, (event) => events.push(event));
    for (let at = 0; at < audio.length; at += 3200) session.push(audio.subarray(at, at + 3200));
    const transcript = await session.finish();
    const committed = events.flatMap((e) => (e.type === "committed" ? e.tokens : []));
    const finals = transcript.utterances.flatMap((u) => u.segments.flatMap((s) => s.tokens));
    expect(finals.length).toBeGreaterThan(0);
    for (const id of [...committed, ...finals]) expect(suppressed.has(id)).toBe(false);
  });

  test("a language the lock does not know is refused before the engine runs", () => {
    expect(() => model.transcribe(clip("heldout-00"), () => {}, { language: "ja" })).toThrow(InvalidArgumentError);
  });
});
