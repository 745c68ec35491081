// Manage Vocabulary's logic: the user's terms and replacements as the daemon keeps them, each edit one request to
// the daemon (which writes config.json), and the list the view shows.
import {
  isBoostStrength,
  MAX_BOOST_STRENGTH,
  type ReplacementCase,
  type VocabularyData,
  type VocabularyReplacement,
} from "../verbatimd/protocol";
import type { DaemonClient } from "./daemon-connection";

export type { ReplacementCase, VocabularyData, VocabularyReplacement } from "../verbatimd/protocol";

type VocabularyRequest = Extract<Parameters<DaemonClient["request"]>[0], { type: `vocabulary.${string}` }>;

async function vocabularyRequest(client: DaemonClient, request: VocabularyRequest): Promise<VocabularyData> {
  const event = await client.request(request);
  if (event.type !== "done" || !event.vocabulary) {
    throw new Error("this daemon does not keep a vocabulary: update Verbatim and restart the daemon");
  }
  return event.vocabulary;
}

const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

export function loadVocabulary(client: DaemonClient): Promise<VocabularyData> {
  return vocabularyRequest(client, { type: "vocabulary.list" });
}

/** Adds `term`, or when `replacing` is given, puts it in that term's place (a new spelling, or another term). */
export async function saveTerm(client: DaemonClient, term: string, replacing?: string): Promise<VocabularyData> {
  const saved = await vocabularyRequest(client, { type: "vocabulary.add", term });
  if (replacing === undefined || same(replacing, term)) return saved;
  return vocabularyRequest(client, { type: "vocabulary.remove", term: replacing });
}

/** Adds a replacement, or when `replacingFrom` is given, puts it in the place of the replacement of that text. */
export async function saveReplacement(
  client: DaemonClient,
  replacement: VocabularyReplacement,
  replacingFrom?: string,
): Promise<VocabularyData> {
  const saved = await vocabularyRequest(client, { type: "vocabulary.add", replacement });
  if (replacingFrom === undefined || same(replacingFrom, replacement.from)) return saved;
  return vocabularyRequest(client, { type: "vocabulary.remove", from: replacingFrom });
}

/** Sets how strongly a model that boosts terms favours them; null: the default. */
export function saveBoostStrength(client: DaemonClient, boostStrength: number | null): Promise<VocabularyData> {
  return vocabularyRequest(client, { type: "vocabulary.strength", boostStrength });
}

export function deleteTerm(client: DaemonClient, term: string): Promise<VocabularyData> {
  return vocabularyRequest(client, { type: "vocabulary.remove", term });
}

export function deleteReplacement(client: DaemonClient, from: string): Promise<VocabularyData> {
  return vocabularyRequest(client, { type: "vocabulary.remove", from });
}

export interface VocabularyRow {
  kind: "term" | "replacement";
  /** The term, or the replacement's `from` (what edit and delete name). */
  key: string;
  title: string;
  subtitle: string;
  replacement?: VocabularyReplacement;
}

export interface VocabularyList {
  terms: VocabularyRow[];
  replacements: VocabularyRow[];
  /** What the empty list says, null when there are entries. */
  empty: string | null;
  /** Entries of config.json the daemon does not use, each with why. */
  problems: string[];
  /** The daemon's word when the loaded model takes no terms, null when it takes them. */
  termsNotice: string | null;
  /** The boosting strength, when the loaded model boosts terms (null: it does not, or none is loaded). */
  strength: { title: string; subtitle: string } | null;
}

export const CASE_RULE_TITLES: Record<ReplacementCase | "any", string> = {
  any: "Any Case, Written As Given",
  keep: "Any Case, Keep Its Capitalization",
  exact: "Only As Written",
};

// The daemon's limits (daemon/src/vocabulary/vocabulary.ts), checked in the form before anything is sent.
const MAX_PHRASE_CHARS = 100;
const MAX_REPLACEMENT_TO_CHARS = 200;

function phraseProblem(value: string | undefined, empty: string, maxChars: number): string | undefined {
  if (!value?.trim()) return empty;
  if (value.length > maxChars) return `At most ${maxChars} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return "One line, without tabs";
  return undefined;
}

/** The form's check of a term (undefined: the daemon takes it). */
export const termProblem = (value: string | undefined) =>
  phraseProblem(value, "Type a name, product term or spelling", MAX_PHRASE_CHARS);
/** The form's check of what a replacement replaces. */
export const replacedProblem = (value: string | undefined) =>
  phraseProblem(value, "Type the words as they are recognized", MAX_PHRASE_CHARS);
/** The form's check of a boosting strength: empty is the default. */
export function boostStrengthProblem(value: string | undefined): string | undefined {
  if (!value?.trim()) return undefined;
  return isBoostStrength(Number(value.trim())) ? undefined : `A number from 0 to ${MAX_BOOST_STRENGTH}`;
}

/** The strength a form's text asks for: null (the default) when empty. */
export const boostStrengthOf = (value: string): number | null => (value.trim() ? Number(value.trim()) : null);

/** The form's check of what a replacement writes. */
export const replacementTextProblem = (value: string | undefined) =>
  phraseProblem(value, "Type what to write instead", MAX_REPLACEMENT_TO_CHARS);

// Optimistic updates: the vocabulary as the daemon will answer an edit (its rules, PROTOCOL.md's "Editing"), shown
// while the edit goes through. Which terms fit the prompt is the daemon's to say, so it is unknown until then.

/** After saveTerm: the term at the end (the most recent), spelled as typed; `replacing` removed. */
export function withTermSaved(data: VocabularyData, term: string, replacing?: string): VocabularyData {
  let terms = [...data.terms.filter((known) => !same(known, term)), term.trim()];
  if (replacing !== undefined && !same(replacing, term)) terms = terms.filter((known) => !same(known, replacing));
  return { ...data, terms, promptTerms: null };
}

export function withBoostStrength(data: VocabularyData, boostStrength: number | null): VocabularyData {
  return { ...data, boostStrength };
}

export function withTermDeleted(data: VocabularyData, term: string): VocabularyData {
  return { ...data, terms: data.terms.filter((known) => !same(known, term)), promptTerms: null };
}

/** After saveReplacement: one with the same `from` replaced where it stands, else added at the end. */
export function withReplacementSaved(
  data: VocabularyData,
  replacement: VocabularyReplacement,
  replacingFrom?: string,
): VocabularyData {
  const entry: VocabularyReplacement = { from: replacement.from.trim(), to: replacement.to.trim() };
  if (replacement.case) entry.case = replacement.case;
  const at = data.replacements.findIndex((known) => same(known.from, entry.from));
  let replacements =
    at >= 0 ? data.replacements.map((known, index) => (index === at ? entry : known)) : [...data.replacements, entry];
  if (replacingFrom !== undefined && !same(replacingFrom, entry.from)) {
    replacements = replacements.filter((known) => !same(known.from, replacingFrom));
  }
  return { ...data, replacements };
}

export function withReplacementDeleted(data: VocabularyData, from: string): VocabularyData {
  return { ...data, replacements: data.replacements.filter((known) => !same(known.from, from)) };
}

/** The rows the view lists: terms oldest first (as `verbatim vocabulary list` prints them), then replacements. */
export function vocabularyList(data: VocabularyData): VocabularyList {
  const inPrompt = data.promptTerms === null ? null : new Set(data.promptTerms);
  const termSubtitle = (term: string) => {
    if (data.termsNotice) return "Not used with the loaded model";
    if (inPrompt === null) return "";
    if (data.termsUse === "boosting") {
      return inPrompt.has(term) ? "Boosted while decoding" : "The model's pieces cannot spell it";
    }
    return inPrompt.has(term) ? "In the decoder prompt" : "Does not fit the prompt: older terms";
  };
  const terms = data.terms.map((term) => ({
    kind: "term" as const,
    key: term,
    title: term,
    subtitle: termSubtitle(term),
  }));
  const replacements = data.replacements.map((replacement) => ({
    kind: "replacement" as const,
    key: replacement.from,
    title: `${replacement.from} → ${replacement.to}`,
    subtitle: CASE_RULE_TITLES[replacement.case ?? "any"],
    replacement,
  }));
  const empty =
    terms.length + replacements.length > 0
      ? null
      : "Add names, product terms and colleagues' spellings (⌘N) so they are recognized, or a replacement (⇧⌘N) for a word Verbatim keeps getting wrong.";
  const strength =
    data.termsUse === "boosting"
      ? {
          title: `Boost Strength: ${data.boostStrength ?? `${data.defaultBoostStrength ?? "The Model's"} (Default)`}`,
          subtitle: data.boostStrength === 0 ? "Terms are not boosted" : `0 (not at all) to ${MAX_BOOST_STRENGTH}`,
        }
      : null;
  return { terms, replacements, empty, problems: data.problems, termsNotice: data.termsNotice ?? null, strength };
}
