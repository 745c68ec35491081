// What a person types in a search box, as an FTS5 query, and the snippet of a found text around the words. The
// snippet is cut here, in one pass over the text, rather than by FTS5's snippet(): that one scores every window
// around every occurrence of every word, which for a page of long transcripts and a few common words held the
// daemon's event loop for seconds.
import type { HistorySnippet } from "../protocol";

/** The most different words a search looks for (what a person types; a longer text is not a search). */
export const MAX_SEARCH_WORDS = 32;
/** Words of context a snippet shows around the matches. */
const SNIPPET_WORDS = 16;
/** A word as FTS5's unicode61 tokenizer reads one: letters, digits and marks, no apostrophe. */
const TOKEN = /[\p{L}\p{N}\p{M}\p{Co}]+/gu;
/** A character outside printable ASCII: a word with one may carry accents to take off. */
const NOT_ASCII = /[^ -~]/;

export interface SearchQuery {
  /** The FTS5 MATCH expression. */
  match: string;
  /** The words' tokens as folded() makes them; the last one also matches as a prefix. */
  tokens: readonly string[];
}

/** A search text has more different words than MAX_SEARCH_WORDS. */
export class TooManyWordsError extends Error {
  constructor(readonly words: number) {
    super(
      `the search has ${words} different words; search for at most ${MAX_SEARCH_WORDS} (a few rare words find a ` +
        "transcript best)",
    );
    this.name = "TooManyWordsError";
  }
}

/**
 * Every word must occur (in any order, any case, accents ignored); the last word also matches as a prefix, so results
 * follow search-as-you-type. Words are quoted, so FTS5's operators and punctuation in the text are taken literally; a
 * word given twice is looked for once. Returns null when the text has no word to search for. Throws TooManyWordsError.
 */
export function searchQuery(text: string): SearchQuery | null {
  const typed = text.match(/[\p{L}\p{N}\p{M}]+(?:['’][\p{L}\p{N}\p{M}]+)*/gu);
  if (!typed) return null;
  const last = typed[typed.length - 1];
  const words = [...new Map(typed.map((word) => [folded(word), word])).values()].filter((word) => word !== last);
  words.push(last);
  if (words.length > MAX_SEARCH_WORDS) throw new TooManyWordsError(words.length);
  return {
    match: words.map((word, index) => `"${word}"${index === words.length - 1 ? "*" : ""}`).join(" "),
    tokens: distinctKeepingLast(words.flatMap((word) => word.match(TOKEN) ?? []).map(folded)),
  };
}

/** The tokens without repeats; the last stays last (it also matches as a prefix). */
function distinctKeepingLast(tokens: string[]): string[] {
  const last = tokens[tokens.length - 1];
  return [...new Set(tokens.filter((token) => token !== last)), last];
}

/**
 * The part of `text` around the query's words: SNIPPET_WORDS words from the first stretch that holds the most
 * different ones, its matches in the middle, "…" where text is left out, each matching word highlighted. `found`: how
 * many different words it holds. The text is read once, and only until a stretch holds every word.
 */
export function snippetOf(text: string, query: SearchQuery): { snippet: HistorySnippet; found: number } {
  const words = new Words(text, query.tokens);
  const inWindow = new Array<number>(query.tokens.length).fill(0);
  let found = 0;
  const count = (hit: number, by: number) => {
    if (hit < 0) return;
    if (inWindow[hit] === 0) found++;
    inWindow[hit] += by;
    if (inWindow[hit] === 0) found--;
  };
  let best = { from: 0, found: 0 };
  while (words.read()) {
    count(words.list[words.list.length - 1].hit, 1);
    const from = words.list.length - SNIPPET_WORDS;
    if (from > 0) count(words.list[from - 1].hit, -1);
    if (found > best.found) best = { from: Math.max(0, from), found };
    if (found === Math.min(query.tokens.length, SNIPPET_WORDS) && from >= 0) break; // none later holds more
  }
  // As many words before the first match as after the last.
  const hits = words.list
    .slice(best.from, best.from + SNIPPET_WORDS)
    .flatMap((word, index) => (word.hit >= 0 ? [best.from + index] : []));
  let from = best.from;
  if (hits.length > 0) {
    from = Math.max(0, hits[0] - Math.floor((SNIPPET_WORDS - (hits[hits.length - 1] - hits[0] + 1)) / 2));
    while (words.list.length < from + SNIPPET_WORDS && words.read());
    from = Math.max(0, Math.min(from, words.list.length - SNIPPET_WORDS));
  }
  const shown = words.list.slice(from, from + SNIPPET_WORDS);
  const start = from === 0 ? 0 : shown[0].start;
  const more = words.list.length > from + SNIPPET_WORDS || words.read();
  const end = more ? shown[shown.length - 1].end : text.length;
  const before = start > 0 ? "…" : "";
  const highlights = shown
    .filter((word) => word.hit >= 0)
    .map((word) => ({ start: word.start - start + before.length, end: word.end - start + before.length }));
  return { snippet: { text: before + text.slice(start, end) + (more ? "…" : ""), highlights }, found: best.found };
}

/** The words of a text, read on demand, each with which of the query's tokens it is (-1: none). */
class Words {
  readonly list: { start: number; end: number; hit: number }[] = [];
  private readonly pattern = new RegExp(TOKEN.source, "gu");
  private ended = false;

  constructor(
    private readonly text: string,
    private readonly tokens: readonly string[],
  ) {}

  /** Reads the next word into `list`; false at the end of the text. */
  read(): boolean {
    if (this.ended) return false;
    const match = this.pattern.exec(this.text);
    if (!match) {
      this.ended = true;
      return false;
    }
    const end = match.index + match[0].length;
    this.list.push({ start: match.index, end, hit: hitOf(folded(match[0]), this.tokens) });
    return true;
  }
}

/** Which of the query's tokens a word of the text is (the last also as a prefix); -1: none. */
function hitOf(word: string, tokens: readonly string[]): number {
  const whole = tokens.indexOf(word);
  if (whole >= 0) return whole;
  return tokens.length > 0 && word.startsWith(tokens[tokens.length - 1]) ? tokens.length - 1 : -1;
}

/** A word as the index compares words: lower case, without accents (unicode61 with remove_diacritics). */
function folded(word: string): string {
  const lower = word.toLowerCase();
  return NOT_ASCII.test(lower) ? lower.normalize("NFD").replace(/\p{M}/gu, "") : lower;
}
