/** Lowercase words without punctuation, as the held-out evaluation counts them. */
export function normalizeWords(text: string): string[];

/** Word-level edit alignment: the edit distance and the pairs (i, j) of equal words, in order. */
export function alignWords(
  reference: string[],
  hypothesis: string[],
): { errors: number; pairs: Array<[number, number]> };

export function wordErrors(reference: string, hypothesis: string): { errors: number; words: number };

/** Corpus WER: total errors over total reference words (0 when there are none). */
export function wordErrorRate(pairs: Array<{ reference: string; hypothesis: string }>): number;
