// Long files as a user transcribes them (the engine's transcribe() with its defaults: seeking on timestamps,
// temperature fallback, the previous window's text as context, word timings from the alignment heads) on
// test/fixtures/heldout-long, against espeak-ng's own text, sentence and word timings. test/bench/long-form.mjs
// prints the same figures for any model. The committed models know one sentence per window and fail on long files
// (WER 94.0% fp16 and 93.3% 4-bit, 15 and 12 of 182 sentences timed, word starts 0.42 s and 0.26 s median off:
// test/fixtures/models/README.md), so these are regression bounds just beyond those figures, not issue 15's targets
// (WER <= 12% fp16 and <= 15% 4-bit, 90% of sentences timed within 0.5 s, word starts within 0.3 s median). They
// still catch a model that inserts words (a stopped second-generation run measured WER 106% and 128%). Since word
// timings follow openai's add_word_timestamps (segments begin and end at their words, checked against the PyTorch
// reference), the segments of 6 and 8 of the 182 sentences are within 0.5 s, not 15 and 12, and windows seek to
// their last word's end, which moves the 4-bit model's word starts to 0.91 s median off (0.26 s before).
import { readFileSync } from "node:fs";
import path from "node:path";
import { WhisperModel, type Segment } from "../../native/lib";
import { loadAudio } from "../../daemon/src/audio";
import { loadTokenizer, wordsFromTimings, type Tokenizer } from "../../daemon/src/tokenizer";
import { fixtureModel, repoRoot } from "../support/fixtures";
import { alignWords, normalizeWords, wordErrorRate } from "../support/wer";

jest.setTimeout(600_000);

interface TimedWord {
  word: string;
  start: number;
  end: number;
}
interface LongFile {
  file: string;
  voiceTrained: boolean;
  text: string;
  sentences: Array<{ text: string; start: number; end: number; words: TimedWord[] }>;
}

const folder = path.join(repoRoot, "test", "fixtures", "heldout-long");
const files: LongFile[] = JSON.parse(readFileSync(path.join(folder, "heldout-long.json"), "utf8"));
const SENTENCE_TOLERANCE_S = 0.5;
const bounds = [
  { name: "verbatim-tiny-en", maxWer: 0.97, minTimed: 0.03, maxWordStart: 0.5 },
  { name: "verbatim-tiny-en-4bit", maxWer: 0.97, minTimed: 0.04, maxWordStart: 1.0 },
];

let tokenizer: Tokenizer;
const samples = new Map<string, Float32Array>();

beforeAll(async () => {
  tokenizer = await loadTokenizer({ nVocab: 51864 });
  for (const item of files) samples.set(item.file, (await loadAudio(path.join(folder, item.file))).samples);
});

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

describe.each(bounds)("$name on long files", ({ name, maxWer, minTimed, maxWordStart }) => {
  const runs: Array<{ item: LongFile; segments: Segment[] }> = [];

  beforeAll(async () => {
    const model = await WhisperModel.load(fixtureModel(name), { threads: 2 }).promise;
    model.setVocabulary(tokenizer.tokenBytesTable());
    for (const item of files) {
      const { segments } = await model.transcribe(samples.get(item.file)!, {
        wordTimestamps: true,
        suppressTokens: tokenizer.resolveSuppressTokens("-1"),
      }).promise;
      runs.push({ item, segments });
    }
    model.free();
  });

  test(`WER stays within ${(maxWer * 100).toFixed(0)}%`, () => {
    const pairs = runs.map(({ item, segments }) => ({
      reference: item.text,
      hypothesis: tokenizer.decode(segments.flatMap((s) => s.tokens)),
    }));
    expect(wordErrorRate(pairs)).toBeLessThanOrEqual(maxWer);
  });

  test(`segments start and end within ${SENTENCE_TOLERANCE_S} s of at least ${minTimed * 100}% of sentences`, () => {
    const near = (a: number, b: number) => Math.abs(a - b) <= SENTENCE_TOLERANCE_S;
    const sentences = runs.flatMap(({ item, segments }) =>
      item.sentences.map(
        (s) => segments.some((g) => near(g.start, s.start)) && segments.some((g) => near(g.end, s.end)),
      ),
    );
    expect(sentences.filter(Boolean).length / sentences.length).toBeGreaterThanOrEqual(minTimed);
  });

  test(`word starts are within ${maxWordStart} s of the truth (median over the words recognised)`, () => {
    const errors = runs.flatMap(({ item, segments }) => {
      const truth = item.sentences.flatMap((s) => s.words);
      const heard = segments.flatMap((segment) => wordsFromTimings(tokenizer, segment.tokenTimings ?? []));
      const { pairs } = alignWords(
        truth.map((w) => normalizeWords(w.word).join(" ")),
        heard.map((w) => normalizeWords(w.word).join(" ")),
      );
      return pairs.map(([i, j]) => Math.abs(heard[j].start - truth[i].start));
    });
    expect(errors.length).toBeGreaterThan(0);
    expect(median(errors)).toBeLessThanOrEqual(maxWordStart);
  });
});
