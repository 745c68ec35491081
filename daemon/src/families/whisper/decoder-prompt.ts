// The decoder prompt of a job: the vocabulary's terms, then the job's own prompt, as Whisper's <|startofprev|>
// context. Whisper keeps the last n_text_ctx/2 - 1 = 223 prompt tokens, and in a long file the previous windows'
// text joins the prompt after these, pushing its oldest tokens out. So the terms take at most
// VOCABULARY_PROMPT_TOKENS of it: the most recently added terms first, as many as fit, and never more than the room
// the job's own prompt leaves. The chosen terms are written oldest first, so the most recent sit nearest the audio
// and are the last to be pushed out.
import type { Tokenizer } from "../../tokenizer";

/** The prompt tokens the terms may take, leaving 127 of the 223 for the job's prompt and the previous window's text. */
export const VOCABULARY_PROMPT_TOKENS = 96;
/** openai's limit, the last n_text_ctx/2 - 1 tokens (n_text_ctx is 448 in every Whisper model). */
const PROMPT_TOKENS = 223;

/** The terms written into the prompt, most recently added first: the longest run of recent terms that fits `budget`. */
export function promptTerms(
  tokenizer: Tokenizer,
  terms: readonly string[],
  budget = VOCABULARY_PROMPT_TOKENS,
): string[] {
  const chosen: string[] = [];
  const seen = new Set<string>();
  for (let i = terms.length - 1; i >= 0; i--) {
    const term = terms[i].trim();
    if (seen.has(term.toLowerCase())) continue;
    if (tokenizer.encode(termsText([...chosen, term])).length > budget) break;
    chosen.push(term);
    seen.add(term.toLowerCase());
  }
  return chosen;
}

/**
 * The prompt tokens for a job with these terms and its own prompt (empty: no prompt): those of " Terms. Prompt",
 * tokenized in two parts (the space before the prompt always starts a token), the prompt's only once.
 */
export function decoderPrompt(tokenizer: Tokenizer, terms: readonly string[], jobPrompt = ""): number[] {
  const own = tokenizer.promptTokens(jobPrompt);
  const chosen = promptTerms(tokenizer, terms, Math.min(VOCABULARY_PROMPT_TOKENS, PROMPT_TOKENS - own.length));
  return [...(chosen.length > 0 ? tokenizer.encode(termsText(chosen)) : []), ...own];
}

/** " Oldest, …, Newest." from terms given newest first. */
function termsText(newestFirst: readonly string[]): string {
  return ` ${[...newestFirst].reverse().join(", ")}.`;
}
