// Words as the held-out evaluation counts them (lowercase, punctuation stripped), their word-level alignment and
// error rate. CommonJS, so that the TypeScript tests (through test/support/wer.ts) and the benches (plain Node, no
// ts-jest) share one implementation; types in words.d.cts.

function normalizeWords(text) {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s']/gu, " ")
    .split(/\s+/)
    .filter(Boolean);
}

function alignWords(reference, hypothesis) {
  const d = Array.from({ length: reference.length + 1 }, (_, i) =>
    Array.from({ length: hypothesis.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const cost = (i, j) => (reference[i - 1] === hypothesis[j - 1] ? 0 : 1);
  for (let i = 1; i <= reference.length; i++) {
    for (let j = 1; j <= hypothesis.length; j++) {
      d[i][j] = Math.min(d[i - 1][j - 1] + cost(i, j), d[i - 1][j] + 1, d[i][j - 1] + 1);
    }
  }
  const pairs = [];
  for (let i = reference.length, j = hypothesis.length; i > 0 && j > 0;) {
    if (d[i][j] === d[i - 1][j - 1] + cost(i, j)) {
      if (cost(i, j) === 0) pairs.push([i - 1, j - 1]);
      i--;
      j--;
    } else if (d[i][j] === d[i - 1][j] + 1) i--;
    else j--;
  }
  return { errors: d[reference.length][hypothesis.length], pairs: pairs.reverse() };
}

function wordErrors(reference, hypothesis) {
  const ref = normalizeWords(reference);
  return { errors: alignWords(ref, normalizeWords(hypothesis)).errors, words: ref.length };
}

function wordErrorRate(pairs) {
  let errors = 0;
  let words = 0;
  for (const { reference, hypothesis } of pairs) {
    const counted = wordErrors(reference, hypothesis);
    errors += counted.errors;
    words += counted.words;
  }
  return words === 0 ? 0 : errors / words;
}

module.exports = { normalizeWords, alignWords, wordErrors, wordErrorRate };
