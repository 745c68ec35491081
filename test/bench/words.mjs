// Words as the held-out evaluation counts them (test/support/wer.ts does the same for the TypeScript tests; the
// benches run without ts-jest): lowercase, punctuation stripped; their word-level alignment and error rate.

export const words = (text) =>
  text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s']/gu, " ")
    .split(/\s+/)
    .filter(Boolean);

/** Word-level edit alignment of two word lists: the edit distance and the pairs (i, j) of equal words, in order. */
export function align(reference, hypothesis) {
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

/** Corpus WER of [reference, hypothesis] text pairs: all errors over all reference words (NaN for none). */
export function wer(pairs) {
  let errors = 0;
  let total = 0;
  for (const [reference, hypothesis] of pairs) {
    const expected = words(reference);
    errors += align(expected, words(hypothesis)).errors;
    total += expected.length;
  }
  return total ? errors / total : NaN;
}
