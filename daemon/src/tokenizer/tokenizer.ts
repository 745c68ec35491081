import type { Tiktoken } from "tiktoken";
import { languageCodesFor, SpecialTokens, specialTokensFor } from "./special-tokens";
import { englishEncoding, encodingFromRanks, Ranks } from "./ranks";
import { loadMultilingualRanks } from "./multilingual-ranks";

const SECONDS_PER_TIMESTAMP = 0.02;
const DEFAULT_TEXT_CONTEXT = 448;
const EMPTY = new Uint8Array(0);

export type Task = "transcribe" | "translate";

export interface TokenizerOptions {
  /** n_vocab from the model's config.json: 51864 English-only, 51865 v1/v2, 51866 v3/turbo. */
  nVocab: number;
}

/** The tokenizer of a Whisper model, chosen by its n_vocab. */
export async function loadTokenizer(options: TokenizerOptions): Promise<Tokenizer> {
  const special = specialTokensFor(options.nVocab);
  if (!special.multilingual) {
    const { encoding, ranks } = englishEncoding();
    return new Tokenizer(special, encoding, ranks);
  }
  const ranks = await loadMultilingualRanks();
  return new Tokenizer(special, encodingFromRanks(ranks), ranks);
}

/** Text ↔ token ids for one Whisper vocabulary; ids from `special.eot` on are special or timestamp tokens. */
export class Tokenizer {
  readonly languages: readonly string[];

  constructor(
    readonly special: SpecialTokens,
    private readonly encoding: Tiktoken,
    private readonly ranks: Ranks,
  ) {
    if (ranks.length !== special.eot) {
      throw new Error(`A vocabulary of ${special.nVocab} tokens needs ${special.eot} ranks, not ${ranks.length}`);
    }
    this.languages = languageCodesFor(special);
  }

  get nVocab(): number {
    return this.special.nVocab;
  }

  /** Token ids of plain text (text that looks like a special token is encoded as text). */
  encode(text: string): number[] {
    return Array.from(this.encoding.encode_ordinary(text));
  }

  /** The bytes of a token; special and timestamp tokens have none. */
  tokenBytes(id: number): Uint8Array {
    if (!Number.isInteger(id) || id < 0 || id >= this.nVocab) {
      throw new RangeError(`Token id ${id} is outside the vocabulary of ${this.nVocab} tokens`);
    }
    return id < this.ranks.length ? this.ranks[id] : EMPTY;
  }

  /** Every token's bytes by id (n_vocab entries, special tokens empty), as the native engine's setVocabulary takes. */
  tokenBytesTable(): Uint8Array[] {
    return Array.from({ length: this.nVocab }, (_, id) => (id < this.ranks.length ? this.ranks[id] : EMPTY));
  }

  /** The text of token ids, special and timestamp tokens left out; invalid UTF-8 becomes U+FFFD. */
  decode(ids: readonly number[]): string {
    return new TextDecoder("utf-8", { ignoreBOM: true }).decode(this.textBytes(ids));
  }

  /** The concatenated bytes of the text tokens among ids. */
  textBytes(ids: readonly number[]): Uint8Array {
    const parts = ids.filter((id) => this.isText(id)).map((id) => this.ranks[id]);
    return Buffer.concat(parts);
  }

  isText(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.special.eot;
  }

  isTimestamp(id: number): boolean {
    return Number.isInteger(id) && id >= this.special.timestampBegin && id < this.nVocab;
  }

  /** Seconds a timestamp token stands for (0.02 s steps from the start of the window). */
  timestampSeconds(id: number): number {
    if (!this.isTimestamp(id)) throw new RangeError(`Token ${id} is not a timestamp token`);
    return Math.round((id - this.special.timestampBegin) * SECONDS_PER_TIMESTAMP * 100) / 100;
  }

  /** The timestamp token nearest to a time in the window (0 to 30 s). */
  timestampToken(seconds: number): number {
    const last = this.nVocab - 1 - this.special.timestampBegin;
    const step = Math.min(last, Math.max(0, Math.round(seconds / SECONDS_PER_TIMESTAMP)));
    return this.special.timestampBegin + step;
  }

  languageToken(code: string): number {
    const index = this.languages.indexOf(code);
    if (index < 0) {
      throw new Error(`This model has no language "${code}"; use one of: ${this.languages.join(", ")}`);
    }
    return this.special.firstLanguage + index;
  }

  /** The language code of a language token, or undefined for any other token. */
  languageOfToken(id: number): string | undefined {
    return this.languages[id - this.special.firstLanguage];
  }

  /**
   * The start of every window: sot, then (multilingual models) the language and task tokens. English-only models
   * take sot alone, as openai's tokenizer gives them.
   */
  sotSequence(options: { language?: string; task?: Task } = {}): number[] {
    const sequence = [this.special.sot];
    if (!this.special.multilingual) return sequence;
    if (options.language !== undefined) sequence.push(this.languageToken(options.language));
    if (options.task !== undefined)
      sequence.push(options.task === "translate" ? this.special.translate : this.special.transcribe);
    return sequence;
  }

  sotSequenceIncludingNoTimestamps(options: { language?: string; task?: Task } = {}): number[] {
    return [...this.sotSequence(options), this.special.noTimestamps];
  }

  /**
   * Symbols and music notes Whisper should not emit (openai's non_speech_tokens): each symbol encoded alone and
   * after a space, kept when it is one token (notes always, by their first token), plus " -" and " '".
   */
  suppressTokens(): number[] {
    const symbols = [
      ...'"#()*+/:;<=>@[\\]^_`{|}~「」『』',
      ...`<< >> <<< >>> -- --- -( -[ (' (" (( )) ((( ))) [[ ]] {{ }} ♪♪ ♪♪♪`.split(" "),
    ];
    const notes = [..."♩♪♫♬♭♮♯"];
    const result = new Set([this.encode(" -")[0], this.encode(" '")[0]]);
    for (const symbol of [...symbols, ...notes]) {
      for (const tokens of [this.encode(symbol), this.encode(" " + symbol)]) {
        if (tokens.length === 1 || notes.includes(symbol)) result.add(tokens[0]);
      }
    }
    return [...result].sort((a, b) => a - b);
  }

  /**
   * openai's suppress_tokens option: a list of ids (or "1,2,3"), where -1 stands for suppressTokens(); the task,
   * sot, startofprev, startoflm and nospeech tokens are always added.
   */
  resolveSuppressTokens(spec: string | readonly number[] = "-1"): number[] {
    const listed = typeof spec === "string" ? parseIdList(spec) : [...spec];
    const ids = listed.filter((id) => id >= 0);
    if (listed.includes(-1)) ids.push(...this.suppressTokens());
    const { transcribe, translate, sot, startOfPrev, startOfLm, noSpeech } = this.special;
    ids.push(transcribe, translate, sot, startOfPrev, startOfLm, noSpeech);
    return [...new Set(ids)].sort((a, b) => a - b);
  }

  /**
   * Tokens of an initial prompt: " " + the text, its last n_text_ctx/2 - 1 tokens (as openai keeps). Only the text's
   * last PROMPT_TAIL_CHARS characters are tokenized: the cost of encoding grows with the square of a word's length,
   * and a client's prompt may be any length.
   */
  promptTokens(text: string, nTextCtx = DEFAULT_TEXT_CONTEXT): number[] {
    const trimmed = promptTail(text).trim();
    if (trimmed.length === 0) return [];
    return this.encode(" " + trimmed).slice(-(Math.floor(nTextCtx / 2) - 1));
  }

  /** Releases the WebAssembly encoder; the tokenizer is unusable afterwards. */
  free(): void {
    this.encoding.free();
  }
}

/**
 * The end of a prompt that its last 223 tokens come from: 2,000 characters hold them in any natural text (about 4
 * characters a token in English, 2 to 6 in other languages written with spaces, one or less in Chinese or Japanese),
 * and encoding them takes milliseconds even at worst (13 ms of CPU for 2,000 "漢"), where a whole prompt of 262,000
 * letters took minutes.
 */
const PROMPT_TAIL_CHARS = 2000;

/**
 * The part of a prompt that its tokens come from: the last PROMPT_TAIL_CHARS characters before its trailing white
 * space, less a character the cut splits (half a surrogate pair). A prompt kept for later (a dictation's options)
 * need hold no more.
 */
export function promptTail(text: string): string {
  const ended = text.trimEnd();
  if (ended.length <= PROMPT_TAIL_CHARS) return ended;
  const tail = ended.slice(-PROMPT_TAIL_CHARS);
  return /^[\uDC00-\uDFFF]/.test(tail) ? tail.slice(1) : tail;
}

function parseIdList(spec: string): number[] {
  if (spec.trim() === "") return [];
  return spec.split(",").map((part) => {
    const id = Number(part.trim());
    if (!Number.isInteger(id) || id < -1) {
      throw new Error(`Suppress tokens "${spec}": "${part}" is not a token id; give ids separated by commas, or -1`);
    }
    return id;
  });
}
