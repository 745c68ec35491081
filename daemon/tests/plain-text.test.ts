// Text from outside Verbatim as it is shown and kept (plain-text.ts): control and text-direction characters out,
// a transcript's tabs and line breaks in, a name on one line.
import { plainLine, plainSegment, plainText } from "../src/plain-text";

test("a transcript loses control and text-direction characters and keeps its tabs, line breaks and joiners", () => {
  expect(plainText("one\ttwo\nthree\r\n\u0000\u001b[0m\u007f\u009b2J\u202eLRO\u2066isolate\u2069")).toBe(
    "one\ttwo\nthree\n[0m2JLROisolate",
  );
  // Marks and joiners that scripts and emoji spell with stay: left-to-right mark, zero-width joiner, non-joiner.
  expect(plainText("\u200eشكرا \u{1F469}\u200d\u{1F4BB} \u200c")).toBe("\u200eشكرا \u{1F469}\u200d\u{1F4BB} \u200c");
  expect(
    plainSegment({
      start: 0,
      end: 1,
      text: "a\u001bb",
      words: [{ word: " a\u001bb", start: 0, end: 1, probability: 1 }],
    }),
  ).toEqual({ start: 0, end: 1, text: "ab", words: [{ word: " ab", start: 0, end: 1, probability: 1 }] });
});

test("a name is one line: tabs, line breaks and Unicode's separators go too", () => {
  expect(plainLine("memo\t1\n2\r3\u2028\u2029\u001b]0;x\u0007.wav")).toBe("memo123]0;x.wav");
});
