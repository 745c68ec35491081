// Word error rate as the held-out evaluation computes it: lowercase, punctuation stripped, word-level
// Levenshtein distance over the reference's word count.
export function normalizeWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s']/gu, " ")
    .split(/\s+/)
    .filter(Boolean);
}

/** Word-level edit alignment: the edit distance and the pairs (i, j) of equal words, in order. */
export function alignWords(
  reference: string[],
  hypothesis: string[],
): { errors: number; pairs: Array<[number, number]> } {
  const d = Array.from({ length: reference.length + 1 }, (_, i) =>
    Array.from({ length: hypothesis.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const cost = (i: number, j: number) => (reference[i - 1] === hypothesis[j - 1] ? 0 : 1);
  for (let i = 1; i <= reference.length; i++) {
    for (let j = 1; j <= hypothesis.length; j++) {
      d[i][j] = Math.min(d[i - 1][j - 1] + cost(i, j), d[i - 1][j] + 1, d[i][j - 1] + 1);
    }
  }
  const pairs: Array<[number, number]> = [];
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

export function wordErrors(reference: string, hypothesis: string): { errors: number; words: number } {
  const ref = normalizeWords(reference);
  return { errors: alignWords(ref, normalizeWords(hypothesis)).errors, words: ref.length };
}

/** Corpus WER: total errors over total reference words. */
export function wordErrorRate(pairs: Array<{ reference: string; hypothesis: string }>): number {
  let errors = 0;
  let words = 0;
  for (const { reference, hypothesis } of pairs) {
    const counted = wordErrors(reference, hypothesis);
    errors += counted.errors;
    words += counted.words;
  }
  return words === 0 ? 0 : errors / words;
}
