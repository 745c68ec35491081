// The vocabulary's replacements applied to recognised text: whole words only (a `from` that starts or ends with a
// letter or digit does not match inside a longer word), in one left-to-right pass where at each place the longest
// `from` that matches wins, so a replacement's output is never replaced again. The `from`s are kept in a trie of
// their case-folded characters (white space as one step), so each place of the text is compared with the few rules
// that can match there, not with all of them: a long transcript and a thousand replacements take milliseconds.
import type { SegmentData, TranscriptData, VocabularyReplacement, WordTiming } from "../protocol";

export interface Match {
  start: number;
  end: number;
  text: string;
}

interface Rule {
  entry: VocabularyReplacement;
  /** Its place in the order rules are tried: the longest `from` first. */
  rank: number;
  /** Made the first time the trie leads to the rule: a thousand of them took most of a second to compile. */
  pattern?: RegExp;
}

/** A node of the trie: the rules whose `from` ends here, and the steps onward (a folded character, or " "). */
interface TrieNode {
  rules: Rule[];
  next: Map<string, TrieNode>;
}

const WORD_CHAR = /[\p{L}\p{N}]/u;
const WHITE_SPACE = /\s/u;
/** The trie's step for a run of white space (which a `from`'s \s+ matches whole). */
const SPACE_STEP = " ";

export class Replacer {
  /** The most words any `from` has: how far back a match can reach from the end of growing text. */
  readonly maxWords: number;
  private readonly trie: TrieNode = { rules: [], next: new Map() };

  constructor(entries: readonly VocabularyReplacement[]) {
    const rules = [...entries]
      .sort((a, b) => b.from.length - a.from.length)
      .map((entry, rank): Rule => ({ entry, rank }));
    for (const rule of rules) {
      const from = new Steps(rule.entry.from.trim());
      let node = this.trie;
      for (let at = 0; at < from.length; at = from.after[at]) {
        let child = node.next.get(from.keys[at]);
        if (!child) node.next.set(from.keys[at], (child = { rules: [], next: new Map() }));
        node = child;
      }
      node.rules.push(rule);
    }
    this.maxWords = Math.max(0, ...entries.map((entry) => entry.from.trim().split(/\s+/).length));
  }

  get empty(): boolean {
    return this.trie.next.size === 0;
  }

  /** Where replacements apply in `text`, left to right, not overlapping. */
  matches(text: string): Match[] {
    const found: Match[] = [];
    if (this.empty) return found;
    const steps = new Steps(text);
    for (let i = 0; i < text.length;) {
      const match = this.matchAt(text, steps, i);
      if (match) {
        found.push(match);
        i = match.end;
      } else i++;
    }
    return found;
  }

  replace(text: string): string {
    return applyMatches(text, this.matches(text));
  }

  segment(segment: SegmentData): SegmentData {
    if (this.empty) return segment;
    const replaced: SegmentData = { ...segment, text: this.replace(segment.text) };
    if (segment.words) replaced.words = this.words(segment.words);
    return replaced;
  }

  transcript(transcript: TranscriptData): TranscriptData {
    if (this.empty) return transcript;
    return {
      ...transcript,
      text: this.replace(transcript.text),
      segments: transcript.segments.map((segment) => this.segment(segment)),
    };
  }

  /** Timed words with replacements: the words a match spans become one word, from the first's start to the last's end. */
  words(words: readonly WordTiming[]): WordTiming[] {
    const text = words.map((word) => word.word).join("");
    const matches = this.matches(text);
    if (matches.length === 0) return [...words];
    const starts: number[] = [];
    let offset = 0;
    for (const word of words) {
      starts.push(offset);
      offset += word.word.length;
    }
    const out: WordTiming[] = [];
    let m = 0;
    for (let i = 0; i < words.length;) {
      const wordEnd = starts[i] + words[i].word.length;
      while (m < matches.length && matches[m].end <= starts[i]) m++;
      if (m >= matches.length || matches[m].start >= wordEnd) {
        out.push(words[i++]);
        continue;
      }
      // Words i..j overlap matches: merge them, extending while the next match still overlaps.
      let j = i;
      let end = wordEnd;
      while (m < matches.length && matches[m].start < end) {
        while (starts[j] + words[j].word.length < matches[m].end) j++;
        end = starts[j] + words[j].word.length;
        m++;
      }
      const from = starts[i];
      const inside = matches.filter((match) => match.start >= from && match.end <= end);
      const local = inside.map((match) => ({ ...match, start: match.start - from, end: match.end - from }));
      out.push({
        word: applyMatches(text.slice(from, end), local),
        start: words[i].start,
        end: words[j].end,
        probability: Math.min(...words.slice(i, j + 1).map((word) => word.probability)),
      });
      i = j + 1;
    }
    return out;
  }

  /** The first rule, in their order, that matches at `i`: of those the trie leads to, each checked by its pattern. */
  private matchAt(text: string, steps: Steps, i: number): Match | null {
    let candidates: Rule[] = [];
    let node: TrieNode | undefined = this.trie;
    for (let at = i; at < text.length; at = steps.after[at]) {
      node = node.next.get(steps.keys[at]);
      if (!node) break;
      if (node.rules.length > 0) candidates = candidates.concat(node.rules);
    }
    if (candidates.length === 0) return null;
    candidates.sort((a, b) => a.rank - b.rank);
    for (const rule of candidates) {
      const pattern = (rule.pattern ??= rulePattern(rule.entry));
      pattern.lastIndex = i;
      const found = pattern.exec(text);
      if (found) return { start: i, end: i + found[0].length, text: written(rule.entry, found[0]) };
    }
    return null;
  }
}

/**
 * A text as the trie's steps, from any place in it: each character case-folded, each run of white space one step.
 * `keys[i]` is the step that starts at code unit i, `after[i]` where the step after it starts.
 */
class Steps {
  readonly keys: string[];
  readonly after: Int32Array;

  constructor(text: string) {
    this.keys = new Array<string>(text.length);
    this.after = new Int32Array(text.length);
    for (let at = text.length - 1; at >= 0; at--) {
      if (WHITE_SPACE.test(text[at])) {
        this.keys[at] = SPACE_STEP;
        this.after[at] = at + 1 < text.length && this.keys[at + 1] === SPACE_STEP ? this.after[at + 1] : at + 1;
      } else {
        const character = String.fromCodePoint(text.codePointAt(at)!);
        this.keys[at] = folded(character);
        this.after[at] = at + character.length;
      }
    }
  }

  get length(): number {
    return this.keys.length;
  }
}

/**
 * One character's case-insensitive key: its upper case's lower case ("ſ" and "S" are "s"), where each is one
 * character. It joins every two characters that a case-insensitive pattern matches to each other (and a few more,
 * which the pattern then tells apart).
 */
function folded(character: string): string {
  let key = foldedKeys.get(character);
  if (key === undefined) {
    const upper = character.toUpperCase();
    const lower = [...upper].length === 1 ? upper.toLowerCase() : character.toLowerCase();
    key = [...lower].length === 1 ? lower : character;
    foldedKeys.set(character, key);
  }
  return key;
}
const foldedKeys = new Map<string, string>();

/** `text` with each match's span replaced by its text (matches in order, not overlapping). */
export function applyMatches(text: string, matches: readonly Match[]): string {
  let out = "";
  let at = 0;
  for (const match of matches) {
    out += text.slice(at, match.start) + match.text;
    at = match.end;
  }
  return out + text.slice(at);
}

function rulePattern(entry: VocabularyReplacement): RegExp {
  const from = entry.from.trim();
  const body = from
    .split(/\s+/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join("\\s+");
  const before = WORD_CHAR.test(from[0]) ? "(?<![\\p{L}\\p{N}])" : "";
  const after = WORD_CHAR.test(from[from.length - 1]) ? "(?![\\p{L}\\p{N}])" : "";
  return new RegExp(before + body + after, entry.case === "exact" ? "uy" : "iuy");
}

/** The replacement's text for `matched`, following its case rule. */
function written(entry: VocabularyReplacement, matched: string): string {
  if (entry.case !== "keep") return entry.to;
  const letters = matched.replace(/[^\p{L}]/gu, "");
  if (letters.length > 1 && letters === letters.toUpperCase() && letters !== letters.toLowerCase())
    return entry.to.toUpperCase();
  if (letters && letters[0] !== letters[0].toLowerCase()) return entry.to[0].toUpperCase() + entry.to.slice(1);
  return entry.to.toLowerCase();
}
