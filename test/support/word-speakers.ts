// Word-level speaker accuracy: of a transcript's words with speakers, the share whose speaker (through the DER's
// mapping of hypothesis to reference speakers) is the speaker of the reference word it shares most time with.
import { readFileSync } from "node:fs";

export interface TimedSpeakerWord {
  start: number;
  end: number;
  speaker: string | number;
}

export function wordSpeakerAccuracy(
  words: readonly TimedSpeakerWord[],
  reference: readonly TimedSpeakerWord[],
  mapping: ReadonlyMap<string | number, string | number>,
): { right: number; words: number; accuracy: number } {
  const shared = (a: TimedSpeakerWord, b: TimedSpeakerWord) => Math.min(a.end, b.end) - Math.max(a.start, b.start);
  const right = words.filter((word) => {
    const nearest = reference.reduce((best, other) => (shared(word, other) > shared(word, best) ? other : best));
    return mapping.get(word.speaker) === nearest.speaker;
  }).length;
  return { right, words: words.length, accuracy: words.length > 0 ? right / words.length : NaN };
}

/** Every word of a held-out conversation (test/fixtures/conversations/) with its speaker, from the JSON beside it. */
export function conversationWords(recording: string): TimedSpeakerWord[] {
  return JSON.parse(readFileSync(recording.replace(/\.wav$/, ".json"), "utf8")).words;
}
