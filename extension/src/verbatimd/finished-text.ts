// Copied from daemon/src/modes/finished-text.ts by `npm run sync:extension` (extension/scripts/daemon-copy.mjs): edit the original.
// Whether a model's finished text can stand for the transcript. Its control and text-direction characters go, as a
// transcript's do (plain-text.ts); an answer wrapped in a code fence or quotes is unwrapped (saying so); one that is
// empty, or more than three times as long as the transcript (the model wrote something else: a reply, a poem), is not
// used: the transcript is delivered instead, with the reason.
import { plainText } from "./plain-text";

/** How much longer than the transcript a finished text may be. */
export const MAX_GROWTH = 3;

export type Judged = { text: string; notice?: string } | { rejected: string };

const FENCE = /^```[^\n`]*\n([\s\S]*?)\n?```$/;
const QUOTES: [string, string][] = [
  ['"', '"'],
  ["'", "'"],
  ["\u201c", "\u201d"],
  ["\u2018", "\u2019"],
  ["\u00ab", "\u00bb"],
  ["\u201e", "\u201c"],
  ["`", "`"],
];

export function judgeFinishedText(transcript: string, answer: string): Judged {
  let text = plainText(answer).trim();
  let unwrapped: string | null = null;
  const fenced = FENCE.exec(text);
  if (fenced) {
    text = fenced[1]!.trim();
    unwrapped = "a code fence";
  }
  const quotes = QUOTES.find(([open, close]) => text.length >= 2 && text.startsWith(open) && text.endsWith(close));
  if (quotes && !(transcript.startsWith(quotes[0]) && transcript.endsWith(quotes[1]))) {
    text = text.slice(quotes[0].length, text.length - quotes[1].length).trim();
    unwrapped = unwrapped ? `${unwrapped} and quotes` : "quotes";
  }
  if (text.length === 0) return { rejected: "it answered with no text" };
  if (text.length > MAX_GROWTH * transcript.length) {
    return {
      rejected:
        `its answer (${text.length} characters) was more than ${MAX_GROWTH} times as long as the transcript ` +
        `(${transcript.length}), so it wrote something else`,
    };
  }
  return unwrapped
    ? { text, notice: `the finished text came wrapped in ${unwrapped}: the text inside is used` }
    : { text };
}
