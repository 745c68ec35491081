export { LANGUAGES, LANGUAGES_WITHOUT_SPACES, languageName, unknownLanguage } from "./languages";
export { specialTokensFor, SUPPORTED_VOCABULARY_SIZES } from "./special-tokens";
export type { SpecialTokens } from "./special-tokens";
export { loadTokenizer, promptTail, Tokenizer } from "./tokenizer";
export type { Task, TokenizerOptions } from "./tokenizer";
export { StreamingDecoder } from "./streaming-decoder";
export { wordsFromTimings } from "./words";
export type { TimedToken, Word } from "./words";
