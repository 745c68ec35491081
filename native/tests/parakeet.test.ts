// Parakeet through the addon: the tiny random fixtures give transformers' greedy tokens and frames (the committed
// reference of test/fixtures/models/parakeet-reference), and the SentencePiece decoder gives the reference's text.
import { readFileSync } from "node:fs";
import path from "node:path";
import { InvalidArgumentError, loadModel, ParakeetModel, PieceDecoder, WhisperModel } from "../lib";
import { readSimpleWav } from "../../test/support/fixtures";

jest.setTimeout(60_000);

const repoRoot = path.join(__dirname, "..", "..");
const models = path.join(repoRoot, "test", "fixtures", "models");

interface Reference {
  samples: number;
  greedy: { tokens: number[]; frames: number[]; durations: number[] };
  text: string;
}

const reference = (model: string, clip: string): Reference =>
  JSON.parse(readFileSync(path.join(models, "parakeet-reference", `${model}-${clip}.json`), "utf8")) as Reference;

describe.each(["tiny", "tiny-v3"])("parakeet-%s", (name) => {
  let model: ParakeetModel;
  beforeAll(async () => {
    model = await ParakeetModel.load(path.join(models, `parakeet-${name}`), { backend: "cpu", threads: 2 }).promise;
  });
  afterAll(() => model.free());

  test("info names the family, its capabilities and its pieces", () => {
    const info = model.info();
    expect(info.family).toBe("parakeet");
    expect(info.dims).toBeNull();
    expect(info.nVocab).toBe(64);
    expect(info.vocabulary).toHaveLength(64);
    expect(info.capabilities).toMatchObject({
      translate: false,
      prompt: false,
      streaming: false,
      wordTimestamps: true,
    });
    expect(info.sizes).toMatchObject({ dModel: 64, layers: 2, heads: 4, durations: 5 });
  });

  test.each(["heldout-00", "heldout-01", "heldout-02", "heldout-03"])("%s: tokens, times and text", async (clip) => {
    const expected = reference(name, clip);
    const audio = readSimpleWav(path.join(repoRoot, "test", "fixtures", "heldout", `${clip}.wav`));
    expect(audio.length).toBe(expected.samples);
    const result = await model.transcribe(audio).promise;
    expect(result.tokens.map((t) => t.id)).toEqual(expected.greedy.tokens);
    expect(result.tokens.map((t) => Math.round(t.start / 0.08))).toEqual(expected.greedy.frames);
    // A token's end is its frame plus its duration, cut at the end of the audio.
    const seconds = expected.samples / 16000;
    const ends = expected.greedy.frames.map((frame, i) =>
      Math.min((frame + expected.greedy.durations[i]) * 0.08, seconds),
    );
    result.tokens.forEach((t, i) => expect(t.end).toBeCloseTo(ends[i], 9));
    for (const token of result.tokens) {
      expect(token.probability).toBeGreaterThan(0);
      expect(token.probability).toBeLessThanOrEqual(1);
    }
    expect(model.pieces.piecesToText(result.tokens.map((t) => t.id))).toBe(expected.text);
    expect(result.text).toBe(expected.text.trim());
  });

  test("a Parakeet folder is not a Whisper model, and loadModel picks the family", async () => {
    await expect(WhisperModel.load(path.join(models, `parakeet-${name}`)).promise).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    const any = await loadModel(path.join(models, `parakeet-${name}`), { backend: "cpu" }).promise;
    expect(any).toBeInstanceOf(ParakeetModel);
    any.free();
  });
});

describe("PieceDecoder", () => {
  const pieces = ["<unk>", "\u2581caf", "\u00e9", "<0xC3>", "<0xA9>", "\u2581the", "<0xF0>", "<0x9F>", "s"];
  const decoder = new PieceDecoder(pieces);

  test("word boundaries are spaces; the first is dropped by decode", () => {
    expect(decoder.piecesToText([5, 8])).toBe(" thes");
    expect(decoder.decode([5, 1, 2])).toBe("the café");
  });

  test("byte pieces join into UTF-8 characters; a cut sequence is U+FFFD, never an exception", () => {
    expect(decoder.decode([1, 3, 4])).toBe("café");
    expect(decoder.decode([5, 6, 7])).toBe("the\ufffd");
    expect(decoder.startsWord(5)).toBe(true);
    expect(decoder.startsWord(8)).toBe(false);
  });

  test("ids outside the vocabulary are a RangeError", () => {
    expect(() => decoder.decode([9])).toThrow(RangeError);
    expect(() => decoder.decode([-1])).toThrow(RangeError);
  });
});
