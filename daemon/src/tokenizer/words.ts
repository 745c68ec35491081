import { LANGUAGES_WITHOUT_SPACES } from "./languages";
import type { Tokenizer } from "./tokenizer";

/** A token with its time in the audio and its probability (the engine's per-token timings). */
export interface TimedToken {
  token: number;
  start: number;
  end: number;
  probability: number;
}

export interface Word {
  /** The word's text as decoded, with its leading space when it has one. */
  word: string;
  tokens: number[];
  start: number;
  end: number;
  /** Mean probability of the word's tokens. */
  probability: number;
}

/** Punctuation joined to the following word ("(hello") and to the preceding word ("hello,"), as openai does. */
export const PREPENDED_PUNCTUATION = "\"'“¿([{-";
export const APPENDED_PUNCTUATION = "\"'.。,，!！?？:：”)]}、";

// Python's string.punctuation; openai tests membership as a substring ("" and "()" count as punctuation).
const ASCII_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
const REPLACEMENT = "\uFFFD";

/**
 * Groups timed text tokens into words as openai's split_to_word_tokens and merge_punctuations do: split at tokens
 * that start with a space or are punctuation (by character for languages written without spaces), then join
 * punctuation to its word. A word runs from its first token's start to its last token's end, joined punctuation
 * included (openai keeps the bare word's times), and its probability is the mean over those tokens.
 */
export function wordsFromTimings(tokenizer: Tokenizer, timed: readonly TimedToken[], language = "en"): Word[] {
  const text = timed.filter((item) => tokenizer.isText(item.token));
  const groups = LANGUAGES_WITHOUT_SPACES.has(language)
    ? splitOnCharacters(tokenizer, text)
    : splitOnSpaces(tokenizer, text);
  return mergePunctuation(groups)
    .filter((group) => group.text.length > 0)
    .map(({ text: word, items }) => ({
      word,
      tokens: items.map((item) => item.token),
      start: items[0].start,
      end: items[items.length - 1].end,
      probability: items.reduce((sum, item) => sum + item.probability, 0) / items.length,
    }));
}

interface Group {
  text: string;
  items: TimedToken[];
}

/** Splits where the decoded text so far ends in whole characters (a character's bytes may span tokens). */
function splitOnCharacters(tokenizer: Tokenizer, items: readonly TimedToken[]): Group[] {
  const full = tokenizer.decode(items.map((item) => item.token));
  const groups: Group[] = [];
  let current: TimedToken[] = [];
  let offset = 0;
  for (const item of items) {
    current.push(item);
    const decoded = tokenizer.decode(current.map((token) => token.token));
    const replacementAt = decoded.indexOf(REPLACEMENT);
    // A U+FFFD that is also in the full text is a real invalid byte, not half a character still to come.
    if (replacementAt < 0 || full[offset + replacementAt] === REPLACEMENT) {
      groups.push({ text: decoded, items: current });
      current = [];
      offset += decoded.length;
    }
  }
  return groups;
}

function splitOnSpaces(tokenizer: Tokenizer, items: readonly TimedToken[]): Group[] {
  const words: Group[] = [];
  for (const piece of splitOnCharacters(tokenizer, items)) {
    const startsWord =
      piece.text.startsWith(" ") || ASCII_PUNCTUATION.includes(piece.text.trim()) || words.length === 0;
    if (startsWord) {
      words.push({ text: piece.text, items: [...piece.items] });
    } else {
      const last = words[words.length - 1];
      last.text += piece.text;
      last.items.push(...piece.items);
    }
  }
  return words;
}

/** openai's merge_punctuations: empties merged-away groups (dropped by the caller). */
function mergePunctuation(groups: Group[]): Group[] {
  for (let i = groups.length - 2, j = groups.length - 1; i >= 0; i--) {
    const previous = groups[i];
    const following = groups[j];
    if (previous.text.startsWith(" ") && PREPENDED_PUNCTUATION.includes(previous.text.trim())) {
      following.text = previous.text + following.text;
      following.items = [...previous.items, ...following.items];
      previous.text = "";
      previous.items = [];
    } else {
      j = i;
    }
  }
  for (let i = 0, j = 1; j < groups.length; j++) {
    const previous = groups[i];
    const following = groups[j];
    if (!previous.text.endsWith(" ") && APPENDED_PUNCTUATION.includes(following.text)) {
      previous.text += following.text;
      previous.items = [...previous.items, ...following.items];
      following.text = "";
      following.items = [];
    } else {
      i = j;
    }
  }
  return groups;
}
