// Speech for measuring vocabulary boosting (issue 65) on the trained fixtures: made-up words as the terms (none is a
// word of the fixtures' 1,200-word training list, so the fixtures read every one wrongly unless boosted), sentences
// of the training words with one term in them or none, spoken by espeak-ng in the held-out voices (never trained on).
// Deterministic: a seeded generator, and espeak-ng gives the same samples for the same text and voice. Shared by
// test/bench/boost.mjs and test/e2e/parakeet-boost.test.ts.
const { execFileSync } = require("node:child_process");
const { readFileSync } = require("node:fs");
const path = require("node:path");

const WORDS = readFileSync(path.join(__dirname, "..", "fixtures", "train", "words.txt"), "utf8")
  .split(/\s+/)
  .filter(Boolean);
const KNOWN = new Set(WORDS);
const STARTERS =
  "the we they you she he this that our my some many every most each then now here today maybe please only".split(" ");
// The voices never trained on (test/fixtures/models/README.md), at espeak-ng's default speed and a slower one.
const VOICES = ["en-us+m7", "en-gb-x-rp+f4", "en-us-nyc+m6", "en-gb+m7", "en-us+f4", "en-gb-x-rp+m6"];

/** mulberry32: a small seeded generator, so every run makes the same names and sentences. */
function generator(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` distinct made-up product words, each two training words of 3-6 letters joined ("fundpoint"), none a
 * training word itself: the fixtures hear the two words in them and write them apart, so they misread every term
 * unless boosted. Lower case, as the fixtures were trained on sentences capitalised only at their start.
 */
function termNames(count, seed = 65) {
  const random = generator(seed);
  const short = WORDS.filter((word) => /^[a-z]{3,6}$/.test(word));
  const pick = () => short[Math.floor(random() * short.length)];
  const names = new Set();
  while (names.size < count) {
    const name = pick() + pick();
    if (!KNOWN.has(name)) names.add(name);
  }
  return [...names];
}

/**
 * Utterances: one per term of `terms` (the term among 3-6 training words), then `plain` with no term; each with its
 * text, term (or null) and voice.
 */
function utterances(terms, plain, seed = 6500) {
  const random = generator(seed);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const sentence = (term) => {
    const words = [pick(STARTERS)];
    const n = 3 + Math.floor(random() * 4);
    for (let i = 0; i < n; i++) words.push(pick(WORDS));
    if (term) words.splice(1 + Math.floor(random() * n), 0, term);
    words[0] = words[0].charAt(0).toUpperCase() + words[0].slice(1);
    return words.join(" ") + ".";
  };
  const out = [];
  for (const term of terms) out.push({ text: sentence(term), term, voice: pick(VOICES) });
  for (let i = 0; i < plain; i++) out.push({ text: sentence(null), term: null, voice: pick(VOICES) });
  return out;
}

/**
 * The utterance spoken by espeak-ng into `dir`, resampled by sox: `wav`, 16 kHz 16-bit mono (what the daemon and a
 * dictation take), and `samples`, the same as 32-bit float samples (what the engine's transcribe() reads).
 */
function speak(utterance, dir, index) {
  const spoken = path.join(dir, `boost-${index}-espeak.wav`);
  const wav = path.join(dir, `boost-${index}.wav`);
  const samples = path.join(dir, `boost-${index}.f32`);
  execFileSync("espeak-ng", ["-v", utterance.voice, "-w", spoken, utterance.text]);
  execFileSync("sox", [spoken, "-r", "16000", "-c", "1", "-b", "16", wav]);
  execFileSync("sox", [wav, "-e", "floating-point", "-b", "32", "-t", "raw", samples]);
  return { wav, samples };
}

/** Whether `text` holds `term` as a word of its own, spelled as the term is (case aside). */
function hasTerm(text, term) {
  const words = text.toLowerCase().split(/[^\p{L}\p{N}']+/u);
  return words.includes(term.toLowerCase());
}

module.exports = { termNames, utterances, speak, hasTerm, VOICES };
