export { LANGUAGES, LANGUAGES_WITHOUT_SPACES, languageName } from "./languages";
export { specialTokensFor, SUPPORTED_VOCABULARY_SIZES } from "./specialTokens";
export type { SpecialTokens } from "./specialTokens";
export { loadTokenizer, Tokenizer } from "./tokenizer";
export type { Task, TokenizerOptions } from "./tokenizer";
export { StreamingDecoder } from "./streamingDecoder";
export { wordsFromTimings } from "./words";
export type { TimedToken, Word } from "./words";
