// A loaded Parakeet TDT model as the daemon runs it: a window of samples through the transducer, its tokens timed by
// their frames and durations (80 ms a frame), made into words (a piece starting with "▁" opens one) and the words into
// segments (a sentence's end or a pause closes one). It recognizes its languages itself, so the file's language is
// the job's (checked against the catalog's list) or, for an English-only model, English. It has no decoder prompt:
// the vocabulary's terms (or a job's prompt, read as terms) are boosted while it decodes (the engine's phrase
// boosting), and replacements apply as for every model. A model that writes only its unknown piece for speech is
// broken (degenerate weights), and its jobs fail saying so rather than deliver "<unk><unk>…".
import { deflateSync } from "node:zlib";
import type { ParakeetModel, ParakeetTranscript, Segment, StreamEvent } from "@verbatim/native";
import { catalogEntries, catalogEntryForRepo, DEFAULT_MODEL } from "../../models";
import { ProtocolError, type ModelCapabilities, type SegmentData, type TranscriptionOptions } from "../../protocol";
import {
  capabilitiesOf,
  englishOnly,
  settleJob,
  type FamilyKind,
  type FamilyModel,
  type FileDecoding,
  type LiveDictation,
  type LivePolicy,
  type WindowPlace,
} from "../family";

/** A pause this long between words, or a word ending a sentence, closes a segment. */
const SEGMENT_PAUSE_SECONDS = 1.0;
const SENTENCE_END = /[.!?…。！？]$/;
/** Mel frames a second (openai's `seek` unit, which verbose_json reports for every model). */
const FRAMES_PER_SECOND = 100;
/** A prompt's terms a job boosts at most (its last ones), and their longest (the vocabulary's own limit). */
const PROMPT_TERMS = 1000;
const PROMPT_TERM_CHARS = 100;
/** SentencePiece's unknown piece, which a working model writes rarely and alone. */
const UNKNOWN_PIECE = "<unk>";
/**
 * A window or utterance whose text is this many unknown pieces and nothing else comes from a broken model: degenerate
 * weights (all equal, NaN out of finite values) write one at every decoding step, up to max_symbols (10) a frame.
 */
const BROKEN_UNKNOWN_RUN = 4;

/** Parakeet TDT as the daemon names it, words its refusals and wraps its loaded models. */
export const PARAKEET: FamilyKind<ParakeetModel> = {
  name: "parakeet",
  title: "Parakeet",
  audioTokensPerSecond: 12.5, // the encoder's frames: 80 ms each
  cannotTranslate: (id) =>
    `${id} is a Parakeet model and cannot translate; use ${DEFAULT_MODEL} (a multilingual Whisper model) ` +
    'for task "translate", or task "transcribe"',
  cannotTranscribe(id, capabilities, language, named) {
    // The family's first catalog model that transcribes it (the catalog's order is its recommendation), then Whisper's
    // default.
    const other = catalogEntries().find(
      (entry) => entry.family === capabilities.family && entry.name !== id && entry.languages?.includes(language),
    );
    const instead = `use ${[...(other ? [other.name] : []), `${DEFAULT_MODEL} (a Whisper model)`].join(" or ")} for it`;
    const known = capabilities.languages;
    if (known === null) {
      return (
        `${id} is a Parakeet model whose languages are not known (its folder is not a catalog model), so it cannot ` +
        `be asked for ${named}; leave the language out (the model recognizes its languages itself), or ${instead}`
      );
    }
    const which = englishOnly(capabilities) ? "an English-only model" : `a Parakeet model of ${known.length} languages`;
    return `${id} is ${which} and cannot transcribe ${named}; ${instead}, or leave the language out`;
  },
  async wrap(model, resolved) {
    // A Parakeet model does not list its languages: its catalog entry does (a folder of its own: not known).
    const entry = resolved.repoId === undefined ? undefined : catalogEntryForRepo(resolved.repoId);
    return new ParakeetFamily(model, resolved.repoId ?? resolved.folder, entry?.languages ?? null);
  },
};

export class ParakeetFamily implements FamilyModel {
  readonly capabilities: ModelCapabilities;
  readonly backend: string;
  readonly device: string;
  readonly loadSeconds: number;

  private readonly unknownIds: ReadonlySet<number>;

  /**
   * `name`: the model's hub repository or folder, for errors; `languages`: the codes it transcribes (its catalog
   * entry's), null when not known (a folder of its own).
   */
  constructor(
    private readonly model: ParakeetModel,
    private readonly name: string,
    languages: readonly string[] | null,
  ) {
    const info = model.info();
    this.backend = info.backend;
    this.device = info.device;
    this.loadSeconds = info.loadSeconds;
    this.capabilities = capabilitiesOf(PARAKEET.name, info.capabilities, languages);
    this.unknownIds = new Set(model.pieces.pieces.flatMap((piece, id) => (piece === UNKNOWN_PIECE ? [id] : [])));
  }

  fileDecoding(options: TranscriptionOptions, terms: readonly string[]): FileDecoding {
    const { model } = this;
    const words = options.wordTimestamps ?? false;
    const boostTerms = this.boostTerms(options, terms);
    return {
      decodeWindow: async (samples, place, _language, callbacks, signal) => {
        const live = new TextDecoder("utf-8", { ignoreBOM: true });
        let first = true;
        const transcript = await settleJob(
          () =>
            model.transcribe(
              samples,
              (event) => {
                if (event.type === "token") {
                  const text = live.decode(model.pieces.tokenBytes(event.token), { stream: true });
                  if (text || first) callbacks.onText(first ? text.trimStart() : text, first);
                  first = false;
                } else if (event.type === "progress") {
                  callbacks.onProgress(event.totalFrames ? event.doneFrames / event.totalFrames : null);
                }
              },
              { boostTerms },
            ),
          signal,
        );
        this.checkText(transcript.tokens.map((token) => token.id));
        for (const { segment, decoded } of parakeetSegments(transcript, place, words)) {
          callbacks.onSegment(segment, decoded);
        }
        return { language: null, tokens: transcript.tokens.map((token) => token.id) };
      },
      text: (tokens) => model.pieces.decode(tokens).trim(),
    };
  }

  /**
   * Live text from the transducer's own frames (the engine's policy: a token is shown once its end is
   * `policy.marginFrames` behind the newest audio and two updates agree); each utterance's final pass is transcribe()
   * of its audio, as a file's. The terms (or the job's prompt, read as terms) are boosted in both; Parakeet has no
   * decoding options: `decoding` is not used.
   */
  startLive(
    options: TranscriptionOptions,
    terms: readonly string[],
    _decoding: unknown,
    policy: LivePolicy,
    onEvent: (event: StreamEvent) => void,
  ): LiveDictation {
    const { model } = this;
    const words = options.wordTimestamps ?? false;
    const { minChunkSeconds, marginFrames } = policy;
    return {
      session: model.startStream(
        { minChunkSeconds, marginFrames, boostTerms: this.boostTerms(options, terms) },
        onEvent,
      ),
      text: (utterance) => {
        const tokens = utterance.segments.flatMap((segment) => segment.tokens);
        this.checkText(tokens);
        return model.pieces.decode(tokens).trim();
      },
      segments: (utterance) =>
        parakeetSegments(model.transcriptOf(utterance), { offset: 0, end: utterance.end }, words).map(
          ({ segment }) => segment,
        ),
    };
  }

  /** The terms it boosts: those its pieces can spell. */
  promptTerms(terms: readonly string[]): string[] {
    return terms.filter((term) => this.model.termPieces(term).length > 0);
  }

  /**
   * What a job boosts: its prompt read as terms (commas, semicolons or new lines between them), else the vocabulary's.
   * Of a prompt, as Whisper keeps a prompt's end, the last PROMPT_TERMS terms of at most PROMPT_TERM_CHARS characters
   * (a longer one is a sentence, not a term): an API prompt may be 256 KiB, and splitting is done on the event loop.
   */
  private boostTerms(options: TranscriptionOptions, terms: readonly string[]): string[] {
    if (options.prompt === undefined) return [...terms];
    return options.prompt
      .split(/[,;\n]+/u)
      .map((term) => term.trim())
      .filter((term) => term.length > 0 && term.length <= PROMPT_TERM_CHARS)
      .slice(-PROMPT_TERMS);
  }

  /** Throws (code "model") when the text decoded from speech is only the unknown piece: the model is broken. */
  private checkText(tokens: readonly number[]): void {
    if (tokens.length < BROKEN_UNKNOWN_RUN || !tokens.every((id) => this.unknownIds.has(id))) return;
    throw new ProtocolError(
      "model",
      `the model ${this.name} wrote only "${UNKNOWN_PIECE}" (its unknown piece, ${tokens.length} times) for ` +
        "speech: its weights are broken (a damaged download or a wrong conversion), so no audio will give text. " +
        "Download it again (verbatim models rm, then verbatim models pull) or choose another model " +
        "(verbatim models use)",
    );
  }

  memory() {
    return this.model.memory();
  }

  free(): void {
    this.model.free();
  }
}

/**
 * The transcript's words in segments, placed `place.offset` seconds into the file and ending by `place.end`: a new
 * segment after a sentence's end or a pause. Each comes with a segment in the engine's shape (its token ids, average
 * log-probability and compression ratio, as openai's verbose_json reports them). `withWords`: the job asked for them.
 */
export function parakeetSegments(
  transcript: ParakeetTranscript,
  place: WindowPlace,
  withWords: boolean,
): Array<{ segment: SegmentData; decoded: Segment }> {
  const within = (seconds: number) => Math.min(seconds + place.offset, place.end);
  const probabilities = tokenProbabilities(transcript);
  const segments: Array<{ segment: SegmentData; decoded: Segment }> = [];
  let words: ParakeetTranscript["words"] = [];
  const close = () => {
    if (words.length === 0) return;
    const text = words.map((word) => word.text).join(" ");
    const start = within(words[0].start);
    const end = within(words[words.length - 1].end);
    const tokens = words.flatMap((word) => word.tokens);
    const segment: SegmentData = { start, end, text };
    if (withWords) {
      segment.words = words.map((w) => ({
        word: ` ${w.text}`,
        start: within(w.start),
        end: within(w.end),
        probability: w.probability,
      }));
    }
    segments.push({
      segment,
      decoded: {
        seek: Math.round(start * FRAMES_PER_SECOND),
        start,
        end,
        tokens,
        temperature: 0,
        avgLogprob: averageLogprob(words.flatMap((word) => probabilities.get(word) ?? [])),
        compressionRatio: compressionRatio(text),
        noSpeechProb: 0,
      },
    });
    words = [];
  };
  for (const word of transcript.words) {
    const previous = words[words.length - 1];
    if (previous && word.start - previous.end >= SEGMENT_PAUSE_SECONDS) close();
    words.push(word);
    if (SENTENCE_END.test(word.text)) close();
  }
  close();
  return segments;
}

/**
 * The probability of each word's tokens: a word's tokens are the next ones in the transcript's with its ids (tokens
 * that made no word, a lone "▁", are passed over).
 */
function tokenProbabilities(transcript: ParakeetTranscript): Map<ParakeetTranscript["words"][number], number[]> {
  const byWord = new Map<ParakeetTranscript["words"][number], number[]>();
  let cursor = 0;
  for (const word of transcript.words) {
    const matches = (at: number) => word.tokens.every((id, i) => transcript.tokens[at + i]?.id === id);
    let at = cursor;
    while (at < transcript.tokens.length && !matches(at)) at++;
    if (at >= transcript.tokens.length) continue;
    byWord.set(
      word,
      transcript.tokens.slice(at, at + word.tokens.length).map((token) => token.probability),
    );
    cursor = at + word.tokens.length;
  }
  return byWord;
}

/** openai's avg_logprob: the sum of the tokens' log-probabilities over their count plus one (the end token). */
function averageLogprob(probabilities: number[]): number {
  const sum = probabilities.reduce((total, p) => total + Math.log(Math.max(p, 1e-30)), 0);
  return sum / (probabilities.length + 1);
}

/** openai's compression ratio of a text: its UTF-8 bytes over their zlib-compressed size. */
function compressionRatio(text: string): number {
  const bytes = Buffer.from(text, "utf8");
  return bytes.length === 0 ? 0 : bytes.length / deflateSync(bytes).length;
}
