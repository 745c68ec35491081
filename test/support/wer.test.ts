import { alignWords, normalizeWords, wordErrorRate, wordErrors } from "./wer";

test("words are compared without case or punctuation", () => {
  expect(normalizeWords("He said: Hello, World!")).toEqual(["he", "said", "hello", "world"]);
  expect(wordErrors("He said hello.", "he said hello")).toEqual({ errors: 0, words: 3 });
});

test("substitutions, insertions and deletions each count once", () => {
  expect(wordErrors("a b c d", "a x c d").errors).toBe(1);
  expect(wordErrors("a b c d", "a b c d e").errors).toBe(1);
  expect(wordErrors("a b c d", "a c d").errors).toBe(1);
  expect(wordErrors("a b c d", "").errors).toBe(4);
});

test("the corpus rate weights sentences by their length", () => {
  expect(
    wordErrorRate([
      { reference: "one two three four", hypothesis: "one two three four" },
      { reference: "five six", hypothesis: "five seven" },
    ]),
  ).toBeCloseTo(1 / 6);
});

test("alignWords pairs the equal words of the cheapest alignment", () => {
  expect(alignWords(["a", "b", "c", "d"], ["a", "x", "c", "d", "e"])).toEqual({
    errors: 2,
    pairs: [
      [0, 0],
      [2, 2],
      [3, 3],
    ],
  });
  expect(alignWords(["a", "b"], [])).toEqual({ errors: 2, pairs: [] });
});
