// Replacements in a dictation's live text without flicker. Committed text is only ever appended to, so it may carry
// a replacement only where no later text can change whether or how one applies: its last word may still grow
// ("Kub" + "ernetes") and a `from` of several words may still complete. So the committed text sent holds back its
// last (unfinished) word and the last maxWords - 1 words before it, and never splits a match; what is held back goes
// in front of the tentative text instead, unreplaced, until it is settled. Tentative text is never replaced.
import { applyMatches, type Replacer } from "./replacements";

export interface LiveText {
  /** Newly committed text (append it). */
  text: string;
  /** The current guess after it (replaces the previous guess). */
  tentativeText: string;
}

export class LiveReplacements {
  private utterance = -1;
  /** The utterance's committed text as the engine gave it. */
  private raw = "";
  /** How much of `raw` has been sent as committed text (replaced). */
  private sent = 0;

  constructor(private readonly replacer: Replacer) {}

  /** The engine's newly committed text and guess for `utterance`, as they should be sent. */
  next(utterance: number, committed: string, tentative: string): LiveText {
    if (this.replacer.empty) return { text: committed, tentativeText: tentative };
    if (utterance !== this.utterance) {
      this.utterance = utterance;
      this.raw = "";
      this.sent = 0;
    }
    this.raw += committed;
    const settled = this.raw.slice(0, lastWordBreak(this.raw));
    const matches = this.replacer.matches(settled);
    let until = Math.max(this.sent, startOfLastWords(settled, this.replacer.maxWords - 1));
    const split = matches.find((match) => match.start < until && match.end > until);
    if (split) until = Math.max(this.sent, split.start);
    const from = this.sent;
    const inside = matches
      .filter((match) => match.start >= from && match.end <= until)
      .map((match) => ({ ...match, start: match.start - from, end: match.end - from }));
    this.sent = until;
    return {
      text: applyMatches(this.raw.slice(from, until), inside),
      tentativeText: this.raw.slice(until) + tentative,
    };
  }
}

/** The position just after the last white space: what comes after it is a word that may still grow. */
function lastWordBreak(text: string): number {
  const match = /\s\S*$/.exec(text);
  return match ? match.index + 1 : 0;
}

/** Where the last `count` words of `text` (which ends in white space) start; its end when count is 0. */
function startOfLastWords(text: string, count: number): number {
  let at = text.length;
  for (let n = 0; n < count; n++) {
    const before = text.slice(0, at).trimEnd();
    const gap = before.search(/\S*$/);
    if (gap <= 0) return 0;
    at = gap;
  }
  return at;
}
