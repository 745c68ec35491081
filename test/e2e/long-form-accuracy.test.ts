// Long files as a user transcribes them (the engine's transcribe() with its defaults: seeking on timestamps,
// temperature fallback, the previous window's text as context, word timings from the alignment heads) on
// test/fixtures/heldout-long, against espeak-ng's own text, sentence and word timings. The committed models know one
// sentence per window and fail on long files, so these are regression bounds, not issue 15's targets; that the
// engine follows openai's transcribe() exactly is long-form-reference.test.ts's job. The figures move with the
// BLAS's rounding, so each bound is half the worst figure measured with `node test/bench/long-form.mjs` on two
// machines (AMD EPYC here, and the machines of issues 27 and 39) and under six OpenBLAS kernels on one of them
// (OPENBLAS_CORETYPE default, Haswell, Sandybridge, SkylakeX, Zen, Nehalem):
// - WER 93.3-94.6% (both models): bounded below 100%, what an empty transcript scores; a model that inserts words
//   fails it (a stopped second-generation run measured 106% and 128%).
// - sentences whose segments start and end within 0.5 s: 6-8 of 182 (fp16), 7-10 (4-bit): at least 3 of 182.
// - words recognised: 74-81 (fp16), 67-77 (4-bit): at least 33.
// - of those, starting within 1 s of the truth: 66-78% (fp16), 47-65% (4-bit): at least 25%. (The median error is
//   no bound: half the words are off by tens of seconds, so it jumped from 0.10 s to 3.76 s between kernels.)
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
const WORD_TOLERANCE_S = 1;
const MAX_WER = 1;
const MIN_SENTENCES_TIMED = 3;
const MIN_WORDS_MATCHED = 33;
const MIN_WORDS_TIMED = 0.25;
const models = ["verbatim-tiny-en", "verbatim-tiny-en-4bit"];

let tokenizer: Tokenizer;
const samples = new Map<string, Float32Array>();

beforeAll(async () => {
  tokenizer = await loadTokenizer({ nVocab: 51864 });
  for (const item of files) samples.set(item.file, (await loadAudio(path.join(folder, item.file))).samples);
});

describe.each(models)("%s on long files", (name) => {
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

  test(`WER stays below ${MAX_WER * 100}%`, () => {
    const pairs = runs.map(({ item, segments }) => ({
      reference: item.text,
      hypothesis: tokenizer.decode(segments.flatMap((s) => s.tokens)),
    }));
    expect(wordErrorRate(pairs)).toBeLessThan(MAX_WER);
  });

  test(`segments start and end within ${SENTENCE_TOLERANCE_S} s of at least ${MIN_SENTENCES_TIMED} sentences`, () => {
    const near = (a: number, b: number) => Math.abs(a - b) <= SENTENCE_TOLERANCE_S;
    const sentences = runs.flatMap(({ item, segments }) =>
      item.sentences.map(
        (s) => segments.some((g) => near(g.start, s.start)) && segments.some((g) => near(g.end, s.end)),
      ),
    );
    expect(sentences.filter(Boolean).length).toBeGreaterThanOrEqual(MIN_SENTENCES_TIMED);
  });

  test(`at least ${MIN_WORDS_TIMED * 100}% of the words recognised start within ${WORD_TOLERANCE_S} s of the truth`, () => {
    const errors = runs.flatMap(({ item, segments }) => {
      const truth = item.sentences.flatMap((s) => s.words);
      const heard = segments.flatMap((segment) => wordsFromTimings(tokenizer, segment.tokenTimings ?? []));
      const { pairs } = alignWords(
        truth.map((w) => normalizeWords(w.word).join(" ")),
        heard.map((w) => normalizeWords(w.word).join(" ")),
      );
      return pairs.map(([i, j]) => Math.abs(heard[j].start - truth[i].start));
    });
    expect(errors.length).toBeGreaterThanOrEqual(MIN_WORDS_MATCHED);
    expect(errors.filter((e) => e <= WORD_TOLERANCE_S).length / errors.length).toBeGreaterThanOrEqual(MIN_WORDS_TIMED);
  });
});
