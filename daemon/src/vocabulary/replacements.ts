// The vocabulary's replacements applied to recognised text: whole words only (a `from` that starts or ends with a
// letter or digit does not match inside a longer word), in one left-to-right pass where at each place the longest
// `from` that matches wins, so a replacement's output is never replaced again.
import type { SegmentData, TranscriptData, VocabularyReplacement, WordTiming } from "../protocol";

export interface Match {
  start: number;
  end: number;
  text: string;
}

interface Rule {
  pattern: RegExp;
  entry: VocabularyReplacement;
}

const WORD_CHAR = /[\p{L}\p{N}]/u;

export class Replacer {
  /** The most words any `from` has: how far back a match can reach from the end of growing text. */
  readonly maxWords: number;
  private readonly rulesByFirstChar = new Map<string, Rule[]>();

  constructor(entries: readonly VocabularyReplacement[]) {
    const rules = [...entries]
      .sort((a, b) => b.from.length - a.from.length)
      .map((entry) => ({ entry, pattern: rulePattern(entry) }));
    for (const rule of rules) {
      const first = rule.entry.from.trim()[0].toLowerCase();
      const list = this.rulesByFirstChar.get(first) ?? [];
      list.push(rule);
      this.rulesByFirstChar.set(first, list);
    }
    this.maxWords = Math.max(0, ...entries.map((entry) => entry.from.trim().split(/\s+/).length));
  }

  get empty(): boolean {
    return this.rulesByFirstChar.size === 0;
  }

  /** Where replacements apply in `text`, left to right, not overlapping. */
  matches(text: string): Match[] {
    const found: Match[] = [];
    if (this.empty) return found;
    for (let i = 0; i < text.length;) {
      const match = this.matchAt(text, i);
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

  private matchAt(text: string, i: number): Match | null {
    const rules = this.rulesByFirstChar.get(text[i].toLowerCase());
    if (!rules) return null;
    for (const { pattern, entry } of rules) {
      pattern.lastIndex = i;
      const found = pattern.exec(text);
      if (found) return { start: i, end: i + found[0].length, text: written(entry, found[0]) };
    }
    return null;
  }
}

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
