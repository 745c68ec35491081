// `verbatim vocabulary list|add|rm|strength`: the user's words (and how strongly a model that boosts them does),
// edited in the running daemon (a stopped one stays stopped) so that its config.json keeps every other setting and
// concurrent edits from Raycast are not lost.
import type { DaemonClient } from "../client";
import type { VerbatimPaths } from "../paths";
import {
  isBoostStrength,
  MAX_BOOST_STRENGTH,
  type Event,
  type ReplacementCase,
  type VocabularyData,
} from "../protocol";
import { connectRunning } from "../daemon-control";
import { EXIT, UsageError } from "./exit-codes";
import { parseCommandLine } from "./command-line";
import { needsOneOf } from "./did-you-mean";

type RequestBody = Extract<Parameters<DaemonClient["request"]>[0], { type: `vocabulary.${string}` }>;

export function parseVocabulary(args: string[]): { request: RequestBody; json: boolean } {
  const parsed = parseCommandLine({
    args,
    allowPositionals: true,
    options: {
      json: { type: "boolean" },
      replace: { type: "string" },
      with: { type: "string" },
      case: { type: "string" },
    },
  });
  const { values, positionals } = parsed;
  const [action, ...words] = positionals;
  const term = words.join(" ");
  if (values.json && action !== "list") throw new UsageError("--json goes with vocabulary list");
  if ((values.with !== undefined || values.case !== undefined) && !(action === "add" && values.replace !== undefined)) {
    throw new UsageError("--with and --case go with vocabulary add --replace FROM");
  }
  switch (action) {
    case "list":
      if (words.length > 0 || values.replace !== undefined) throw new UsageError("vocabulary list takes no arguments");
      return { request: { type: "vocabulary.list" }, json: Boolean(values.json) };
    case "add":
      if (values.replace !== undefined) {
        if (words.length > 0) throw new UsageError("give either a TERM or --replace FROM --with TO, not both");
        if (values.with === undefined) throw new UsageError("vocabulary add --replace FROM needs --with TO");
        if (values.case !== undefined && values.case !== "keep" && values.case !== "exact") {
          throw new UsageError("--case must be keep or exact");
        }
        const replacement: { from: string; to: string; case?: ReplacementCase } = {
          from: values.replace,
          to: values.with,
        };
        if (values.case) replacement.case = values.case as ReplacementCase;
        return { request: { type: "vocabulary.add", replacement }, json: false };
      }
      if (!term) throw new UsageError("vocabulary add needs a TERM (or --replace FROM --with TO)");
      return { request: { type: "vocabulary.add", term }, json: false };
    case "rm":
      if (values.replace !== undefined) {
        if (words.length > 0) throw new UsageError("give either a TERM or --replace FROM, not both");
        return { request: { type: "vocabulary.remove", from: values.replace }, json: false };
      }
      if (!term) throw new UsageError("vocabulary rm needs a TERM (or --replace FROM)");
      return { request: { type: "vocabulary.remove", term }, json: false };
    case "strength":
      if (values.replace !== undefined) throw new UsageError("vocabulary strength takes no --replace");
      return { request: { type: "vocabulary.strength", boostStrength: parseStrength(words) }, json: false };
    default:
      throw new UsageError(needsOneOf("vocabulary", action, ["list", "add", "rm", "strength"]));
  }
}

/** `strength N` (0 to MAX_BOOST_STRENGTH) or `strength default` (null). */
function parseStrength(words: string[]): number | null {
  const [word] = words;
  if (words.length === 1 && word === "default") return null;
  const value = words.length === 1 && /^\d+(\.\d+)?$/.test(word) ? Number(word) : NaN;
  if (!isBoostStrength(value)) {
    throw new UsageError(
      `vocabulary strength needs a number from 0 to ${MAX_BOOST_STRENGTH} (0: terms are not boosted) or "default" ` +
        `(the loaded model's own)${words.length > 0 ? `, not ${JSON.stringify(words.join(" "))}` : ""}`,
    );
  }
  return value;
}

export async function runVocabulary(
  command: ReturnType<typeof parseVocabulary>,
  paths: VerbatimPaths,
): Promise<number> {
  const client = await connectRunning(paths);
  let event: Event;
  try {
    event = await client.request(command.request);
  } finally {
    client.close();
  }
  const vocabulary = event.type === "done" ? event.vocabulary : undefined;
  if (!vocabulary) throw new Error("the daemon answered without the vocabulary; update Verbatim so both match");
  if (command.json) {
    process.stdout.write(JSON.stringify(vocabulary) + "\n");
    return EXIT.ok;
  }
  const { request } = command;
  if (request.type === "vocabulary.add") {
    process.stdout.write(
      "term" in request
        ? `added the term ${request.term.trim()}${promptNote(vocabulary, request.term.trim())}\n`
        : `added the replacement ${describeReplacement(request.replacement)}\n`,
    );
  } else if (request.type === "vocabulary.strength") {
    process.stdout.write(`${describeStrength(vocabulary)}\n`);
  } else if (request.type === "vocabulary.remove") {
    process.stdout.write(
      `removed ${"term" in request ? `the term ${request.term}` : `the replacement of ${request.from}`}\n`,
    );
  } else {
    process.stdout.write(describeVocabulary(vocabulary));
  }
  for (const problem of vocabulary.problems) process.stderr.write(`verbatim: config.json: ${problem}\n`);
  return EXIT.ok;
}

function promptNote(vocabulary: VocabularyData, term: string): string {
  if (vocabulary.termsNotice) return ` (${vocabulary.termsNotice})`;
  if (vocabulary.promptTerms === null || vocabulary.promptTerms.includes(term)) return "";
  if (vocabulary.termsUse === "boosting") return " (the loaded model's pieces cannot spell it, so it is not boosted)";
  return " (it does not fit the decoder prompt: remove older terms to make room)";
}

function describeReplacement(replacement: { from: string; to: string; case?: ReplacementCase }): string {
  const rule = replacement.case ? `  (case: ${replacement.case})` : "";
  return `${replacement.from} → ${replacement.to}${rule}`;
}

export function describeVocabulary(vocabulary: VocabularyData): string {
  // The loaded model takes no terms: said after the list, or after the empty vocabulary's hint.
  const notice = vocabulary.termsNotice ? `Note: ${vocabulary.termsNotice}\n` : "";
  if (vocabulary.terms.length === 0 && vocabulary.replacements.length === 0) {
    return "The vocabulary is empty. Add a name with: verbatim vocabulary add TERM\n" + notice;
  }
  const inPrompt = new Set(vocabulary.promptTerms ?? []);
  const lines: string[] = [];
  if (vocabulary.terms.length > 0) {
    const legend = vocabulary.termsNotice
      ? "(oldest first; not used by the loaded model, see the note)"
      : vocabulary.promptTerms === null
        ? "(oldest first; how they are used shows once a model is loaded)"
        : vocabulary.termsUse === "boosting"
          ? "(oldest first; * boosted while the loaded model decodes)"
          : "(oldest first; * in the decoder prompt)";
    lines.push(`Terms ${legend}:`);
    for (const term of vocabulary.terms) lines.push(`  ${inPrompt.has(term) ? "*" : " "} ${term}`);
  }
  if (vocabulary.replacements.length > 0) {
    lines.push("Replacements:");
    for (const replacement of vocabulary.replacements) lines.push(`    ${describeReplacement(replacement)}`);
  }
  if (vocabulary.termsUse === "boosting") lines.push(describeStrength(vocabulary));
  return lines.join("\n") + "\n" + notice;
}

/** The boosting strength as set, or the loaded model's default (each boosting model's own where none is loaded). */
export function describeStrength(vocabulary: VocabularyData): string {
  const strength =
    vocabulary.boostStrength === null
      ? `${vocabulary.defaultBoostStrength ?? "each boosting model's own"} (the default)`
      : `${vocabulary.boostStrength}`;
  const note = vocabulary.boostStrength === 0 ? "; terms are not boosted" : "";
  return `Boost strength: ${strength}${note} (0 to ${MAX_BOOST_STRENGTH}: verbatim vocabulary strength N)`;
}
