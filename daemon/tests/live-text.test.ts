// The terminal's live text, fed the events a dictation sends: committed text and guesses as the daemon's
// LiveReplacements gives them, with and without replacements set.
import { PassThrough } from "node:stream";
import type { Event } from "../src/protocol";
import { LiveText } from "../src/cli/live-text";
import { LiveReplacements } from "../src/vocabulary/live-replacements";
import { Replacer } from "../src/vocabulary/replacements";

/** What a terminal shows last: the text after the final redraw's erase, without the meter and colours. */
function screenOf(written: string): string {
  const lastDraw = written.split("\x1b[J").at(-1)!;
  return lastDraw.replaceAll("\x1b[2m", "").replaceAll("\x1b[0m", "").slice(2);
}

/** Steps of the engine (newly committed text, the guess after it), as the daemon relays them through `replacer`. */
function show(replacer: Replacer, steps: Array<[string, string]>): string {
  const out = Object.assign(new PassThrough(), { columns: 200 }) as unknown as NodeJS.WriteStream;
  let written = "";
  out.on("data", (chunk: Buffer) => (written += chunk.toString()));
  const live = new LiveText(out);
  const replacements = new LiveReplacements(replacer);
  for (const [committed, tentative] of steps) {
    const { text, tentativeText } = replacements.next(0, committed, tentative);
    const event: Event = {
      type: "dictation.committed",
      id: "d1",
      session: "s1",
      utterance: 0,
      text,
      tentativeText,
      at: 0,
    };
    live.show(event);
  }
  out.end();
  return screenOf(written);
}

const steps: Array<[string, string]> = [
  [" He", " 779 norm take"],
  [" 779", " norm take"],
  [" norm", " take"],
];

test.each([
  ["without replacements", new Replacer([])],
  ["with a replacement set", new Replacer([{ from: "Kubernetes", to: "K8s" }])],
])("keeps the space between the settled text and the guess %s", (_, replacer) => {
  expect(show(replacer, steps)).toBe("He 779 norm take");
});

test("a guess that finishes the last committed word joins it", () => {
  expect(show(new Replacer([]), [[" Kub", "ernetes runs"]])).toBe("Kubernetes runs");
});

test("a replacement shows once its words are settled, with the guess after it", () => {
  const replacer = new Replacer([{ from: "Kubernetes", to: "K8s" }]);
  expect(
    show(replacer, [
      [" Please use Kubernetes", " to think"],
      [" to", " think"],
    ]),
  ).toBe("Please use K8s to think");
});
