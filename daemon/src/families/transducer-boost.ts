// What a transducer job (Parakeet, Nemotron) boosts while it decodes (the engine's phrase boosting): the job's prompt
// read as terms, else the vocabulary's terms, with the vocabulary's strength or the family's default.
import type { BoostOptions } from "@verbatim/native";
import type { TranscriptionOptions } from "../protocol";
import type { JobTerms } from "../vocabulary/vocabulary";

/** A prompt's terms a job boosts at most (its last ones), and their longest (the vocabulary's own limit). */
const PROMPT_TERMS = 1000;
const PROMPT_TERM_CHARS = 100;

/**
 * A job's boosting: its prompt read as terms (commas, semicolons or new lines between them), else the vocabulary's.
 * Of a prompt, as Whisper keeps a prompt's end, the last PROMPT_TERMS terms of at most PROMPT_TERM_CHARS characters
 * (a longer one is a sentence, not a term): an API prompt may be 256 KiB, and splitting is done on the event loop.
 */
export function jobBoost(
  options: TranscriptionOptions,
  { terms, boostStrength: set }: JobTerms,
  familyDefault: number,
): BoostOptions {
  const boostStrength = set ?? familyDefault;
  if (options.prompt === undefined) return { boostTerms: [...terms], boostStrength };
  const boostTerms = options.prompt
    .split(/[,;\n]+/u)
    .map((term) => term.trim())
    .filter((term) => term.length > 0 && term.length <= PROMPT_TERM_CHARS)
    .slice(-PROMPT_TERMS);
  return { boostTerms, boostStrength };
}

/** The terms a transducer model boosts: those its pieces can spell. */
export function boostedTerms(model: { termPieces(term: string): number[][] }, terms: readonly string[]): string[] {
  return terms.filter((term) => model.termPieces(term).length > 0);
}
