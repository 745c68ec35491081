// What a person types in a search box, as an FTS5 query, and FTS5's marked snippets as text with highlight ranges.
import type { HistorySnippet } from "../protocol";

/** Marks snippet() puts around matches: control characters, which transcripts never contain. */
export const MATCH_OPEN = "\u0002";
export const MATCH_CLOSE = "\u0003";

/**
 * Every word must occur (in any order, any case, accents ignored); the last word also matches as a prefix, so results
 * follow search-as-you-type. Words are quoted, so FTS5's operators and punctuation in the text are taken literally.
 * Returns null when the text has no word to search for.
 */
export function ftsQuery(text: string): string | null {
  const words = text.match(/[\p{L}\p{N}\p{M}]+(?:['’][\p{L}\p{N}\p{M}]+)*/gu);
  if (!words) return null;
  return words.map((word, index) => `"${word}"${index === words.length - 1 ? "*" : ""}`).join(" ");
}

export function parseSnippet(marked: string): HistorySnippet {
  const highlights: HistorySnippet["highlights"] = [];
  let text = "";
  let start = -1;
  for (const char of marked) {
    if (char === MATCH_OPEN) start = text.length;
    else if (char === MATCH_CLOSE) {
      if (start >= 0 && text.length > start) highlights.push({ start, end: text.length });
      start = -1;
    } else text += char;
  }
  return { text, highlights };
}
