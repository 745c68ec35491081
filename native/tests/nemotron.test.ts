// Nemotron Speech Streaming through the real addon (issue 64): the tiny random fixtures in transformers' layout give
// transformers 5.18's tokens (the committed reference of test/fixtures/models/nemotron-reference), offline for a file
// job and chunk by chunk for a live stream, for each right context the model was trained with. The TypeScript class
// over this family (native/lib) and the daemon's come with the daemon stage: this test drives the addon's raw
// model, as those will.
import { readFileSync } from "node:fs";
import path from "node:path";
import { addon, type RawModel, type RawStreamEvent, type RawUtterance } from "../lib/addon";
import { modelFamilyOf, PieceDecoder } from "../lib";
import { readSimpleWav } from "../../test/support/fixtures";

jest.setTimeout(120_000);

const repoRoot = path.join(__dirname, "..", "..");
const models = path.join(repoRoot, "test", "fixtures", "models");
const clips = ["heldout-00", "heldout-01", "heldout-02", "heldout-03"];
const rightContexts = [13, 6, 1, 0];

interface Decode {
  tokens: number[];
  frames: number[];
}
interface Reference {
  samples: number;
  offline: Record<string, Decode>;
  streaming: Record<string, Decode>;
}

const reference = (model: string, clip: string): Reference =>
  JSON.parse(readFileSync(path.join(models, "nemotron-reference", `${model}-${clip}.json`), "utf8")) as Reference;

/** A token's start: its encoder frame's (80 ms each), cut at the end of the audio (the last frames reach past it). */
const startsOf = (frames: number[], samples: number): number[] =>
  frames.map((f) => Math.min(f * 0.08, samples / 16000));

const expectStarts = (actual: number[], frames: number[], samples: number): void => {
  const expected = startsOf(frames, samples);
  expect(actual).toHaveLength(expected.length);
  actual.forEach((start, i) => expect(start).toBeCloseTo(expected[i], 9));
};

const audioOf = (clip: string): Float32Array =>
  readSimpleWav(path.join(repoRoot, "test", "fixtures", "heldout", `${clip}.wav`));

/** A live stream over `audio`, pushed in pieces of `piece` samples, as one utterance. */
async function stream(
  model: RawModel,
  audio: Float32Array,
  options: object,
  piece: number,
): Promise<{ live: number[]; utterance: RawUtterance }> {
  const live: number[] = [];
  let utterance: RawUtterance | undefined;
  const session = model.startStream(options, (event: RawStreamEvent) => {
    if (event.type === "update") live.push(...event.committed);
    else utterance = event.utterance;
  });
  for (let first = 0; first < audio.length; first += piece) session.push(audio.slice(first, first + piece));
  session.endUtterance();
  session.finish();
  await session.promise;
  if (!utterance) throw new Error("no utterance event");
  return { live, utterance };
}

describe.each(["tiny", "tiny-nobias"])("nemotron-%s through the addon", (name) => {
  let model: RawModel;
  beforeAll(async () => {
    model = await addon().loadModel(path.join(models, `nemotron-${name}`), { backend: "cpu", threads: 2 }).promise;
    // The pieces' bytes, as native/lib's family classes set them (the engine's text side for live sessions).
    const { vocabulary } = model.info() as unknown as { vocabulary: string[] };
    model.setVocabulary(new PieceDecoder(vocabulary).allTokenBytes());
  });
  afterAll(() => model.free());

  test("the engine names the family, its sizes and its pieces", () => {
    expect(modelFamilyOf(path.join(models, `nemotron-${name}`))).toBe("nemotron");
    const info = model.info() as unknown as {
      family: string;
      capabilities: Record<string, unknown>;
      sizes: Record<string, number>;
      vocabulary: string[];
    };
    expect(info.family).toBe("nemotron");
    expect(info.capabilities).toMatchObject({ streaming: true, translate: false, prompt: false, boosting: true });
    expect(info.sizes).toMatchObject({ dModel: 64, layers: 2, leftContext: 14, rightContext: 13 });
    expect(info.vocabulary).toHaveLength(name === "tiny" ? 64 : 48);
  });

  test.each(clips)("%s: a file job gives transformers' offline generate() tokens and frames", async (clip) => {
    const expected = reference(name, clip);
    const audio = audioOf(clip);
    expect(audio.length).toBe(expected.samples);
    for (const right of rightContexts) {
      const result = await model.transcribe(audio, { rightContext: right }, () => {}).promise;
      const timings = result.segments.flatMap((segment) => segment.tokenTimings ?? []);
      expect({ right, tokens: timings.map((t) => t.token) }).toEqual({ right, tokens: expected.offline[right].tokens });
      expectStarts(
        timings.map((t) => t.start),
        expected.offline[right].frames,
        audio.length,
      );
    }
  });

  test.each(clips)(
    "%s: a live stream gives transformers' streaming tokens, each chunk's as it is decoded",
    async (clip) => {
      const expected = reference(name, clip);
      const audio = audioOf(clip);
      for (const right of rightContexts) {
        const { live, utterance } = await stream(model, audio, { rightContext: right }, 1600);
        const final = utterance.segments.flatMap((segment) => segment.tokenTimings ?? []);
        expect({ right, tokens: final.map((t) => t.token) }).toEqual({
          right,
          tokens: expected.streaming[right].tokens,
        });
        expectStarts(
          final.map((t) => t.start),
          expected.streaming[right].frames,
          audio.length,
        );
        // Live tokens are the stream's own, never taken back: the final text starts with them, and only the last
        // chunk (flushed at the utterance's end) adds to them.
        expect(utterance.liveTokens).toEqual(live);
        expect(live.length).toBeGreaterThan(0);
        expect(final.map((t) => t.token).slice(0, live.length)).toEqual(live);
        const lastChunkFrames = right + 1;
        const framesAfterLive = final.slice(live.length).map((t) => Math.round(t.start / 0.08));
        const encoderFrames = Math.max(...expected.streaming[right].frames, 0) + 1;
        for (const frame of framesAfterLive) expect(frame).toBeGreaterThanOrEqual(encoderFrames - 2 * lastChunkFrames);
      }
    },
  );

  test("options it cannot take are refused, naming them", async () => {
    const audio = audioOf("heldout-00");
    expect(() => model.transcribe(audio, { rightContext: 5 }, () => {})).toThrow(/rightContext/);
    expect(() => model.transcribe(audio, { task: "translate" }, () => {})).toThrow(/translate/);
    expect(() => model.transcribe(audio, { language: "en" }, () => {})).toThrow(/takes no language/);
    expect(() => model.startStream({ policy: "alignatt" }, () => {})).toThrow(/policy/);
    expect(() => model.transcribe(audio, { boostPhrases: [[1, 999]] }, () => {})).toThrow(/boostPhrases/);
    expect(() => model.transcribe(audio, { boostStrength: 51 }, () => {})).toThrow(/boostStrength/);
    expect(() => model.startStream({ suppressTokens: [-1] }, () => {})).toThrow(/suppressTokens/);
  });

  test("boostPhrases and suppressTokens reach the file job and the live stream alike; strength 0 boosts nothing", async () => {
    const audio = audioOf("heldout-01");
    const tokensOf = async (options: Record<string, unknown>) => {
      const result = await model.transcribe(audio, { rightContext: 1, ...options }, () => {}).promise;
      return result.segments.flatMap((segment) => (segment.tokenTimings ?? []).map((t) => t.token));
    };
    const plain = await tokensOf({});
    const most = [...new Set(plain)].sort(
      (a, b) => plain.filter((t) => t === b).length - plain.filter((t) => t === a).length,
    )[0];
    const other = (most + 1) % (name === "tiny" ? 64 : 48);
    const boosted = await tokensOf({ boostPhrases: [[other]] });
    expect(boosted).not.toEqual(plain);
    expect(boosted).toContain(other);
    expect(await tokensOf({ boostPhrases: [[other]], boostStrength: 0 })).toEqual(plain);
    const masked = await tokensOf({ suppressTokens: [most] });
    expect(masked).not.toContain(most);
    // The live stream boosts as the file job does, on the frames both encode alike (all but the last chunk's): its
    // live tokens, committed before the utterance's end, begin the file job's.
    const { live } = await stream(model, audio, { rightContext: 1, boostPhrases: [[other]] }, 1600);
    expect(live.length).toBeGreaterThan(0);
    expect(boosted.slice(0, live.length)).toEqual(live);
  });
});

describe("nemotron-tiny-3.5 through the addon (Nemotron 3.5's language prompt)", () => {
  let model: RawModel;
  beforeAll(async () => {
    model = await addon().loadModel(path.join(models, "nemotron-tiny-3.5"), { backend: "cpu", threads: 2 }).promise;
    const { vocabulary } = model.info() as unknown as { vocabulary: string[] };
    model.setVocabulary(new PieceDecoder(vocabulary).allTokenBytes());
  });
  afterAll(() => model.free());

  test("its languages are its prompt dictionary's, and a language picks the prompt", async () => {
    const info = model.info() as unknown as { capabilities: { chooseLanguage: boolean; languages: string[] } };
    expect(info.capabilities.chooseLanguage).toBe(true);
    expect(info.capabilities.languages).toEqual(expect.arrayContaining(["en-US", "de-DE", "de"]));
    expect(info.capabilities.languages).not.toContain("auto");
    for (const [clip, language] of [
      ["heldout-00", "auto"],
      ["heldout-01", "de-DE"],
      ["heldout-02", "en"],
    ]) {
      const expected = reference("tiny-3.5", clip);
      const audio = audioOf(clip);
      const result = await model.transcribe(audio, { language, rightContext: 6 }, () => {}).promise;
      const tokens = result.segments.flatMap((segment) => (segment.tokenTimings ?? []).map((t) => t.token));
      expect({ clip, tokens }).toEqual({ clip, tokens: expected.offline["6"].tokens });
      const { utterance } = await stream(model, audio, { language, rightContext: 1 }, 1600);
      const final = utterance.segments.flatMap((segment) => (segment.tokenTimings ?? []).map((t) => t.token));
      expect({ clip, final }).toEqual({ clip, final: expected.streaming["1"].tokens });
    }
    expect(() => model.transcribe(audioOf("heldout-00"), { language: "xx-XX" }, () => {})).toThrow(/xx-XX/);
  });
});
