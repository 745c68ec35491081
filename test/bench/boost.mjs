#!/usr/bin/env node
// Vocabulary boosting on a trained transducer fixture (issue 65's proof; parakeet-trained-en by default, or
// nemotron-trained-en, decoded whole at its default right context): made-up terms it reads wrongly today, each
// spoken in a sentence by a held-out voice, and as many sentences without any term (test/support/boost-speech.cjs).
// For 10, 100 and 1,000 boosted terms and each strength: the recall of the misread terms (a term sentence whose text
// holds the term), false insertions (a term-free sentence whose text holds any boosted term), the term-free WER
// against the same sentences unboosted, and the decoding time boosting adds (term-free sentences, against no terms in
// the same run: the fastest of three decodes of each term-free sentence, 10 terms' first group). 10 terms: the spoken terms in groups of 10, each group boosting its own sentences, and every group
// over every term-free sentence. 100 and 1,000: all spoken terms plus made-up terms never spoken.
// Prints figures; asserts nothing (test/e2e/parakeet-boost.test.ts bounds them).
//
// usage: npx tsc -b && node test/bench/boost.mjs [--model parakeet-trained-en] [--strengths 2,4,6,8] [--terms 30]
//          [--threads 2]
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { wordErrorRate } from "../support/words.cjs";

const require = createRequire(import.meta.url);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const { loadModel } = require(path.join(repoRoot, "native/dist/index.js"));
const { termNames, utterances, speak, hasTerm } = require(path.join(repoRoot, "test/support/boost-speech.cjs"));

const { values: options } = parseArgs({
  options: {
    model: { type: "string", default: "parakeet-trained-en" },
    strengths: { type: "string", default: "2,4,6,8" },
    terms: { type: "string", default: "30" },
    threads: { type: "string", default: "2" },
  },
});
const spokenCount = Number(options.terms);
const strengths = options.strengths.split(",").map(Number);
const loadStart = os.loadavg()[0];

const model = await loadModel(path.join(repoRoot, "test/fixtures/models", options.model), {
  threads: Number(options.threads),
}).promise;
const allTerms = termNames(1000);
const spoken = allTerms.slice(0, spokenCount);
const sentences = utterances(spoken, spokenCount);
const dir = mkdtempSync(path.join(os.tmpdir(), "verbatim-boost-"));
const files = sentences.map((u, i) => speak(u, dir, i).samples);
const withTerm = sentences.map((u, i) => ({ ...u, file: files[i] })).filter((u) => u.term);
const termFree = sentences.map((u, i) => ({ ...u, file: files[i] })).filter((u) => !u.term);

async function read(file, boost) {
  const started = process.hrtime.bigint();
  const { text } = await model.transcribe(file, () => {}, boost).promise;
  return { text, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

// Twice: the first pass warms the engine and the files' pages; the second gives the unboosted texts.
const plain = new Map();
for (let pass = 0; pass < 2; pass++) {
  for (const u of sentences.map((s, i) => ({ ...s, file: files[i] }))) plain.set(u.file, await read(u.file, {}));
}
const misread = withTerm.filter((u) => !hasTerm(plain.get(u.file).text, u.term));
const plainWer = wordErrorRate(termFree.map((u) => ({ reference: u.text, hypothesis: plain.get(u.file).text })));
console.log(
  `${options.model}: ${withTerm.length} term sentences (${misread.length} read wrongly unboosted), ` +
    `${termFree.length} term-free; unboosted term-free WER ${(100 * plainWer).toFixed(1)}%`,
);

/** The boosted lists for `count` terms: [list, the term sentences it is measured on]. */
function lists(count) {
  if (count >= spokenCount) {
    return [[[...spoken, ...allTerms.slice(spokenCount, spokenCount + count - spokenCount)], misread]];
  }
  const groups = [];
  for (let first = 0; first + count <= spokenCount; first += count) {
    const group = spoken.slice(first, first + count);
    groups.push([group, misread.filter((u) => group.includes(u.term))]);
  }
  return groups;
}

for (const count of [10, 100, 1000]) {
  for (const boostStrength of strengths) {
    let recalled = 0,
      measured = 0,
      inserted = 0,
      decoded = 0,
      boostedMs = 0,
      baseMs = 0;
    const pairs = [];
    for (const [boostTerms, termSentences] of lists(count)) {
      for (const u of termSentences) {
        measured += 1;
        if (hasTerm((await read(u.file, { boostTerms, boostStrength })).text, u.term)) recalled += 1;
      }
      for (const u of termFree) {
        const { text } = await read(u.file, { boostTerms, boostStrength });
        decoded += 1;
        if (boostTerms.some((term) => hasTerm(text, term))) inserted += 1;
        pairs.push({ reference: u.text, hypothesis: text });
      }
    }
    // The time: each term-free sentence decoded unboosted and boosted in turn, three times, the fastest of each kept
    // (the machine is shared: one decode at a time would measure its load as much as boosting).
    const [firstList] = lists(count)[0];
    boostedMs = 0;
    baseMs = 0;
    for (const u of termFree) {
      let fastestPlain = Infinity,
        fastestBoosted = Infinity;
      for (let round = 0; round < 3; round++) {
        fastestPlain = Math.min(fastestPlain, (await read(u.file, {})).ms);
        fastestBoosted = Math.min(fastestBoosted, (await read(u.file, { boostTerms: firstList, boostStrength })).ms);
      }
      baseMs += fastestPlain;
      boostedMs += fastestBoosted;
    }
    console.log(
      `${String(count).padStart(5)} terms, strength ${boostStrength}: recall of misread terms ` +
        `${recalled}/${measured} (${((100 * recalled) / measured).toFixed(0)}%), false insertions ${inserted}/${decoded} ` +
        `(${((100 * inserted) / decoded).toFixed(1)}%), term-free WER ${(100 * wordErrorRate(pairs)).toFixed(1)}% ` +
        `(unboosted ${(100 * plainWer).toFixed(1)}%), decoding ${baseMs.toFixed(0)} -> ${boostedMs.toFixed(0)} ms ` +
        `(x${(boostedMs / baseMs).toFixed(2)})`,
    );
  }
}
console.log(`load average ${loadStart.toFixed(1)} at start, ${os.loadavg()[0].toFixed(1)} at end`);
rmSync(dir, { recursive: true, force: true });
model.free();
