// Manage Vocabulary's logic: the user's terms and replacements as the daemon keeps them, each edit one request to
// the daemon (which writes config.json), and the list the view shows.
import type { ReplacementCase, VocabularyData, VocabularyReplacement } from "../../../daemon/src/protocol";
import type { DaemonClient } from "./daemon-connection";

export type { ReplacementCase, VocabularyData, VocabularyReplacement } from "../../../daemon/src/protocol";

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
}

export const CASE_RULE_TITLES: Record<ReplacementCase | "any", string> = {
  any: "Any Case, Written As Given",
  keep: "Any Case, Keep Its Capitalisation",
  exact: "Only As Written",
};

/** The rows the view lists: terms newest first (the order the decoder prompt takes them), then replacements. */
export function vocabularyList(data: VocabularyData): VocabularyList {
  const inPrompt = data.promptTerms === null ? null : new Set(data.promptTerms);
  const terms = [...data.terms].reverse().map((term) => ({
    kind: "term" as const,
    key: term,
    title: term,
    subtitle:
      inPrompt === null ? "" : inPrompt.has(term) ? "In the decoder prompt" : "Does not fit the prompt: older terms",
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
      : "Add names, product terms and colleagues' spellings (⌘N) so they are recognised, or a replacement (⇧⌘N) for a word the recogniser keeps getting wrong.";
  return { terms, replacements, empty, problems: data.problems };
}
