// The user's vocabulary (config key "vocabulary"): terms that condition recognition through the decoder prompt or
// boosting (and how strongly boosting favours them), and replacements applied to final text. Reading it from
// config.json keeps every valid entry and names each invalid one.
import {
  isBoostStrength,
  MAX_BOOST_STRENGTH,
  type ReplacementCase,
  type TranscriptionOptions,
  type VocabularyReplacement,
} from "../protocol";

export interface Vocabulary {
  /** Oldest first. */
  terms: string[];
  replacements: VocabularyReplacement[];
  /** How strongly a model that boosts terms favours them; absent: the model's own default. */
  boostStrength?: number;
}

export const EMPTY_VOCABULARY: Vocabulary = { terms: [], replacements: [] };

/** The terms a job's model is given, and how strongly a model that boosts them does. */
export interface JobTerms {
  terms: string[];
  /** Absent: the model's own default (its family's defaultBoostStrength). */
  boostStrength?: number;
}

/**
 * The terms a job's model is given: the vocabulary's (oldest first), then the job's own (options.terms, the most
 * useful first) as if added after them, the most useful last: a model that has room for only some takes the most
 * recently added first (Whisper's decoder prompt), so the job's come before the vocabulary's.
 */
export function withJobTerms(vocabulary: Vocabulary, options: TranscriptionOptions): JobTerms {
  return {
    terms: [...vocabulary.terms, ...[...(options.terms ?? [])].reverse()],
    ...(vocabulary.boostStrength !== undefined && { boostStrength: vocabulary.boostStrength }),
  };
}

/** Why `value` cannot be the boosting strength (null: it can). */
export function boostStrengthProblem(value: unknown): string | null {
  return isBoostStrength(value)
    ? null
    : `it must be a number from 0 to ${MAX_BOOST_STRENGTH} (0: no boosting; absent: the model's default)`;
}

export const MAX_TERM_CHARS = 100;
export const MAX_REPLACEMENT_TO_CHARS = 200;
export const MAX_ENTRIES = 1000;

const CASE_RULES: readonly ReplacementCase[] = ["keep", "exact"];

/** Why `text` cannot be a term or a replacement's `from` (null: it can). */
export function phraseProblem(text: unknown, maxChars = MAX_TERM_CHARS): string | null {
  if (typeof text !== "string") return "it is not text";
  if (text.trim().length === 0) return "it is empty";
  if (text.length > maxChars) return `it is longer than ${maxChars} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(text))
    return "it holds a line break or another control character";
  const hidden = INVISIBLE.exec(text);
  if (hidden) {
    const point = `U+${hidden[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
    return (
      `it holds ${point}, an invisible formatting character (a text-direction control or a zero-width space) ` +
      "that makes text look other than it is; type it without that character"
    );
  }
  return null;
}

/**
 * Unicode's invisible formatting characters (bidi overrides and isolates, zero-width spaces, the byte order mark…):
 * they change how text around them looks, so a term could pass for another. The zero-width non-joiner and joiner
 * (U+200C, U+200D) are kept: Persian, Indic scripts and emoji sequences spell words with them.
 */
const INVISIBLE = /(?![\u200c\u200d])\p{Cf}/u;

/** `text` in JSON quotes with control and invisible formatting characters escaped (\u202e): safe to print. */
export function quoted(text: unknown): string {
  return JSON.stringify(text).replace(/[\u007f-\u009f\u2028\u2029]|(?![\u200c\u200d])\p{Cf}/gu, (character) =>
    [...Array(character.length).keys()]
      .map((unit) => `\\u${character.charCodeAt(unit).toString(16).padStart(4, "0")}`)
      .join(""),
  );
}

/** Why `value` cannot be a replacement entry (null: it can). */
export function replacementProblem(value: unknown): string | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return 'it must be an object {"from": "…", "to": "…", "case"?: "keep" | "exact"}';
  }
  const entry = value as Record<string, unknown>;
  const from = phraseProblem(entry.from);
  if (from) return `its "from" is not usable: ${from}`;
  const to = phraseProblem(entry.to, MAX_REPLACEMENT_TO_CHARS);
  if (to) return `its "to" is not usable: ${to}`;
  if (entry.case !== undefined && !CASE_RULES.includes(entry.case as ReplacementCase)) {
    return `its "case" must be "keep" or "exact" (or left out), not ${JSON.stringify(entry.case)}`;
  }
  return null;
}

export const sameText = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

export interface ReadVocabulary {
  vocabulary: Vocabulary;
  /** Each entry not used, named by its place in the config ("vocabulary.terms[2]") with why. */
  problems: string[];
}

/** The usable entries of a config "vocabulary" value (absent: empty). */
export function readVocabulary(value: unknown): ReadVocabulary {
  if (value === undefined || value === null) return { vocabulary: { terms: [], replacements: [] }, problems: [] };
  if (typeof value !== "object" || Array.isArray(value)) {
    return {
      vocabulary: { terms: [], replacements: [] },
      problems: ['"vocabulary" must be an object {"terms": [...], "replacements": [...]}; no vocabulary is used'],
    };
  }
  const section = value as Record<string, unknown>;
  const problems: string[] = [];
  const list = (key: "terms" | "replacements"): unknown[] => {
    const entries = section[key];
    if (entries === undefined) return [];
    if (Array.isArray(entries)) return entries;
    problems.push(`"vocabulary.${key}" must be a list; none of it is used`);
    return [];
  };
  const terms: string[] = [];
  list("terms").forEach((term, index) => {
    const problem = phraseProblem(term);
    if (problem) problems.push(`"vocabulary.terms[${index}]" (${quoted(term)}) is not used: ${problem}`);
    else terms.push((term as string).trim());
  });
  const replacements: VocabularyReplacement[] = [];
  list("replacements").forEach((entry, index) => {
    const problem = replacementProblem(entry);
    if (problem) {
      problems.push(`"vocabulary.replacements[${index}]" is not used: ${problem}`);
      return;
    }
    const { from, to, case: rule } = entry as VocabularyReplacement;
    const trimmed = { from: from.trim(), to: to.trim() };
    replacements.push(rule ? { ...trimmed, case: rule } : trimmed);
  });
  const vocabulary: Vocabulary = { terms, replacements };
  if (section.boostStrength !== undefined) {
    const problem = boostStrengthProblem(section.boostStrength);
    if (problem) {
      problems.push(`"vocabulary.boostStrength" (${quoted(section.boostStrength)}) is not used: ${problem}`);
    } else {
      vocabulary.boostStrength = section.boostStrength as number;
    }
  }
  return { vocabulary, problems };
}
