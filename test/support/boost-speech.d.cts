/** A sentence to speak: its text, the term in it (null: none) and the espeak-ng voice. */
export interface BoostUtterance {
  text: string;
  term: string | null;
  voice: string;
}

/** `count` distinct made-up terms, each two training words joined ("fundpoint"), none a training word. */
export function termNames(count: number, seed?: number): string[];

/** One sentence per term (the term among 3-6 training words), then `plain` sentences with no term. */
export function utterances(terms: readonly string[], plain: number, seed?: number): BoostUtterance[];

/** The utterance spoken into `dir`: a 16 kHz 16-bit wav, and the same as 32-bit float samples. */
export function speak(utterance: BoostUtterance, dir: string, index: number): { wav: string; samples: string };

/** Whether `text` holds `term` as a word of its own (case aside). */
export function hasTerm(text: string, term: string): boolean;

export const VOICES: readonly string[];
