// The text selected in the frontmost app, for a mode that asks for it (its `selection`; off unless the user turns it
// on): its most useful words as the dictation's own vocabulary terms ("context"), and for an edit by voice ("edit")
// the text itself, which the mode's finishing model edits as the spoken instruction says.
import type { DictationMode, TranscriptionOptions } from "../verbatimd/protocol";
import { MAX_JOB_TERM_CHARS, MAX_SELECTION_CHARS } from "../verbatimd/protocol";

/** Most terms a selection gives a dictation: enough for its names, within what Whisper's prompt keeps for terms. */
export const SELECTION_TERMS = 20;
/** Ordinary words shorter than this are too common to help (names and coined words of any length count). */
const MIN_WORD_LETTERS = 4;

/** Raycast's getSelectedText, passed in: the selected text, or null when there is none or it cannot be read. */
export type ReadSelection = () => Promise<string | null>;

const WORD = /[\p{L}\p{N}]+(?:['’.\-+][\p{L}\p{N}]+)*/gu;
/** Before a word: nothing, or the end of a sentence or line (and any closing quote or bracket), then spaces. */
const SENTENCE_START = /(?:^|[.!?…:;]["'”’)\]]*|\n)\s*$/u;

interface Candidate {
  spelling: string;
  name: boolean;
  count: number;
  first: number;
}

/**
 * The selection's most useful distinct words, at most `limit`: first its names and coined words (a capital that does
 * not merely start a sentence, capitals inside a word as in iPhone or API, letters with digits as in GPT-4), the more
 * often they occur the earlier; then the other words of 4 letters or more, the longest first (longer words are the
 * rarer ones, which a model misspells; short common words it gets right), then the more frequent. Words are compared
 * in any case and written as first seen (a name as it is written where it is one).
 */
export function selectionTerms(text: string, limit = SELECTION_TERMS): string[] {
  const candidates = new Map<string, Candidate>();
  for (const match of text.matchAll(WORD)) {
    const word = match[0];
    const letters = [...word].filter((character) => /\p{L}/u.test(character)).length;
    if (letters === 0 || [...word].length < 2 || word.length > MAX_JOB_TERM_CHARS) continue;
    const name = nameLike(word, text.slice(Math.max(0, match.index - 8), match.index));
    const key = word.toLocaleLowerCase();
    const known = candidates.get(key);
    if (!known) {
      if (!name && letters < MIN_WORD_LETTERS) continue;
      candidates.set(key, { spelling: word, name, count: 1, first: candidates.size });
      continue;
    }
    known.count += 1;
    if (name && !known.name) Object.assign(known, { name, spelling: word });
  }
  const all = [...candidates.values()];
  const names = all.filter((c) => c.name).sort((a, b) => b.count - a.count || a.first - b.first);
  const words = all
    .filter((c) => !c.name)
    .sort((a, b) => [...b.spelling].length - [...a.spelling].length || b.count - a.count || a.first - b.first);
  return [...names, ...words].slice(0, limit).map((c) => c.spelling);
}

function nameLike(word: string, before: string): boolean {
  if (/\p{N}/u.test(word)) return true;
  if (/\p{Lu}/u.test(word.slice(1))) return true;
  return /^\p{Lu}/u.test(word) && !SENTENCE_START.test(before);
}

/**
 * What a dictation in `mode` takes from the selection (read only when the mode asks): its terms in the options,
 * and for an edit the text itself. No selection, or one that cannot be read, is no failure: the dictation starts
 * without. A selection too long to edit is refused (throws, saying so) rather than cut, which would lose its end.
 */
export async function selectionFields(
  mode: Pick<DictationMode, "selection"> | null,
  options: TranscriptionOptions,
  readSelection: ReadSelection | undefined,
): Promise<{ options: TranscriptionOptions; selection?: string }> {
  if (!mode?.selection || !readSelection) return { options };
  const text = await readSelection().catch(() => null);
  if (!text?.trim()) return { options };
  const terms = selectionTerms(text);
  const withTerms = terms.length > 0 ? { ...options, terms } : options;
  if (mode.selection !== "edit") return { options: withTerms };
  if (text.length > MAX_SELECTION_CHARS) {
    throw new Error(
      `The selected text is ${text.length.toLocaleString("en-US")} characters long; Verbatim edits at most ` +
        `${MAX_SELECTION_CHARS.toLocaleString("en-US")} at a time. Select less, then dictate again.`,
    );
  }
  return { options: withTerms, selection: text };
}
