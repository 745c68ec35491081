#!/usr/bin/env node
// Long files as the daemon transcribes them (seeking from window to window on timestamps, temperature fallback, the
// previous window's text as context, word timings from the alignment heads), on test/fixtures/heldout-long: 45-120 s
// of held-out sentences with pauses, half by training voices and half by voices never trained on, with espeak-ng's
// own sentence and word timings as the truth. Prints per model: WER (all, trained voices, never-trained voices), the
// share of sentences that some segment starts and some segment ends within 0.5 s of, and the median and 90th
// percentile error of word start times. Issue 15's targets: WER <= 12% fp16 and <= 15% 4-bit, 90% of sentences
// timed, word starts within 0.3 s median.
//
// usage: npx tsc -b && node test/bench/long-form.mjs [--models FOLDER,FOLDER] [--threads 2]
//          [--no-fallback] [--no-previous-text]
//        (default: the two fixture models in test/fixtures/models). The two flags turn off transcribe()'s
//        temperature fallback and its previous-text context, to see which of them loses words.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { alignWords, normalizeWords, wordErrorRate } from "../support/words.cjs";

const require = createRequire(import.meta.url);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const { WhisperModel } = require(path.join(repoRoot, "native/dist/index.js"));
const { loadAudio } = require(path.join(repoRoot, "daemon/dist/audio/index.js"));
const { loadTokenizer, wordsFromTimings } = require(path.join(repoRoot, "daemon/dist/tokenizer/index.js"));

const fixtureModels = ["verbatim-tiny-en", "verbatim-tiny-en-4bit"].map((name) =>
  path.join(repoRoot, "test/fixtures/models", name),
);
const { values } = parseArgs({
  options: {
    models: { type: "string", default: fixtureModels.join(",") },
    threads: { type: "string", default: "2" },
    "no-fallback": { type: "boolean", default: false },
    "no-previous-text": { type: "boolean", default: false },
  },
});
const settings = {
  ...(values["no-fallback"] ? { temperatures: [0] } : {}),
  ...(values["no-previous-text"] ? { conditionOnPreviousText: false } : {}),
};
const folder = path.join(repoRoot, "test/fixtures/heldout-long");
const files = JSON.parse(readFileSync(path.join(folder, "heldout-long.json"), "utf8"));
const SENTENCE_TOLERANCE_S = 0.5;
const WORD_TOLERANCE_S = 1;

const near = (a, b) => Math.abs(a - b) <= SENTENCE_TOLERANCE_S;
const percentile = (values, p) => [...values].sort((a, b) => a - b)[Math.floor(values.length * p)];
const percent = (x) => `${(x * 100).toFixed(1)}%`;

const samples = new Map();
for (const item of files) samples.set(item.file, (await loadAudio(path.join(folder, item.file))).samples);

console.log(
  `load average ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}, ${os.cpus().length} cores, transcribe() settings ${JSON.stringify(settings)}`,
);
for (const modelFolder of values.models.split(",")) {
  const model = await WhisperModel.load(modelFolder, { threads: Number(values.threads) }).promise;
  const tokenizer = await loadTokenizer({ nVocab: model.info().dims.nVocab });
  model.setVocabulary(tokenizer.tokenBytesTable());
  const started = Date.now();
  const results = [];
  for (const item of files) {
    const { segments } = await model.transcribe(samples.get(item.file), {
      wordTimestamps: true,
      suppressTokens: tokenizer.resolveSuppressTokens("-1"),
      ...settings,
    }).promise;
    results.push({ item, segments, text: tokenizer.decode(segments.flatMap((s) => s.tokens)) });
  }
  model.free();
  const pairs = (trained) =>
    results
      .filter(({ item }) => trained === null || item.voiceTrained === trained)
      .map(({ item, text }) => ({ reference: item.text, hypothesis: text }));
  let timed = 0;
  let sentences = 0;
  const startErrors = [];
  for (const { item, segments } of results) {
    sentences += item.sentences.length;
    timed += item.sentences.filter(
      (s) => segments.some((g) => near(g.start, s.start)) && segments.some((g) => near(g.end, s.end)),
    ).length;
    const truth = item.sentences.flatMap((s) => s.words);
    const hyp = segments.flatMap((segment) => wordsFromTimings(tokenizer, segment.tokenTimings ?? []));
    const { pairs: equal } = alignWords(
      truth.map((w) => normalizeWords(w.word).join(" ")),
      hyp.map((w) => normalizeWords(w.word).join(" ")),
    );
    for (const [i, j] of equal) startErrors.push(Math.abs(hyp[j].start - truth[i].start));
  }
  console.log(
    `${path.basename(modelFolder)}: WER ${percent(wordErrorRate(pairs(null)))} (trained voices ${percent(wordErrorRate(pairs(true)))}, ` +
      `never-trained voices ${percent(wordErrorRate(pairs(false)))}); sentences timed within ${SENTENCE_TOLERANCE_S} s ` +
      `${timed}/${sentences} (${percent(timed / sentences)}); word start error median ` +
      (startErrors.length
        ? `${percentile(startErrors, 0.5).toFixed(3)} s, p90 ${percentile(startErrors, 0.9).toFixed(3)} s, ` +
          `${startErrors.filter((e) => e <= WORD_TOLERANCE_S).length} within ${WORD_TOLERANCE_S} s`
        : "n/a") +
      ` over ${startErrors.length} matched words; ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}
