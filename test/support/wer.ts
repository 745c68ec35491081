// Word error rate as the held-out evaluation computes it: lowercase, punctuation stripped, word-level Levenshtein
// distance over the reference's word count. Implemented in words.cjs, which the benches share.
export { alignWords, normalizeWords, wordErrorRate, wordErrors } from "./words.cjs";
