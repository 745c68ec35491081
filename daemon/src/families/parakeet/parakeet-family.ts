// A loaded Parakeet TDT model as the daemon runs it: a window of samples through the transducer, its tokens timed by
// their frames and durations (80 ms a frame), made into words (a piece starting with "▁" opens one) and the words into
// segments (a sentence's end or a pause closes one). It recognizes its languages itself; a job's language (checked
// against the model's: its catalog entry's, or for a folder of its own v3's 25 when its vocabulary writes Latin,
// Cyrillic and Greek) locks a multilingual model to that language's pieces (the lib's language lock), and an
// English-only model takes English alone, as it is. It has no decoder prompt:
// the vocabulary's terms (or a job's prompt, read as terms) are boosted while it decodes (the engine's phrase
// boosting), and replacements apply as for every model. A model that writes only its unknown piece for speech is
// broken (degenerate weights), and its jobs fail saying so rather than deliver "<unk><unk>…".
import { vocabularyScripts, type ParakeetModel, type StreamEvent } from "@verbatim/native";
import { catalogEntries, catalogEntryForRepo, DEFAULT_MODEL } from "../../models";
import { PARAKEET_V3_LANGUAGES } from "../../models/parakeet-catalog";
import { ProtocolError, type ModelCapabilities, type TranscriptionOptions } from "../../protocol";
import {
  capabilitiesOf,
  englishOnly,
  type FamilyKind,
  type FamilyModel,
  type FileDecoding,
  type LiveDictation,
  type LivePolicy,
} from "../family";
import type { JobTerms } from "../../vocabulary/vocabulary";
import { boostedTerms, jobBoost } from "../transducer-boost";
import { transducerSegments } from "../transducer-segments";
import { transcribeShowingTokens } from "../transducer-window";
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
    if (englishOnly(capabilities)) {
      return `${id} is an English-only model and cannot transcribe ${named}; ${instead}, or leave the language out`;
    }
    return (
      `${id} is a Parakeet model of ${known.length} languages (${known.join(", ")}) and cannot transcribe ` +
      `${named}; ${instead}, or leave the language out`
    );
  },
  async wrap(model, resolved) {
    // A Parakeet model does not list its languages: its catalog entry does, else its vocabulary (folderLanguages).
    const entry = resolved.repoId === undefined ? undefined : catalogEntryForRepo(resolved.repoId);
    return new ParakeetFamily(model, resolved.repoId ?? resolved.folder, entry?.languages ?? folderLanguages(model));
  },
};

/**
 * The languages of a folder outside the catalog (a converted model, a fixture), from its vocabulary: one whose pieces
 * write Latin, Cyrillic and Greek letters is v3's multilingual vocabulary, so v3's 25 languages; any other (v2's and
 * the 110M model's English pieces) is not known, and takes no language.
 */
function folderLanguages(model: ParakeetModel): readonly string[] | null {
  const scripts = vocabularyScripts(model.pieces.pieces);
  return scripts.has("Latin") && scripts.has("Cyrillic") && scripts.has("Greek") ? PARAKEET_V3_LANGUAGES : null;
}

/**
 * The strength terms are boosted at when the vocabulary sets none: the most recall with no term put into speech
 * without one on the trained fixture (test/bench/boost.mjs, test/bench/README.md).
 */
export const PARAKEET_BOOST_STRENGTH = 4;

export class ParakeetFamily implements FamilyModel {
  readonly capabilities: ModelCapabilities;
  readonly defaultBoostStrength = PARAKEET_BOOST_STRENGTH;
  readonly backend: string;
  readonly device: string;
  readonly loadSeconds: number;

  private readonly unknownIds: ReadonlySet<number>;
  /** Whether a job's language locks decoding to its pieces: a model of several languages (an English one is as is). */
  private readonly locks: boolean;

  /**
   * `name`: the model's hub repository or folder, for errors; `languages`: the codes it transcribes (its catalog
   * entry's, or its vocabulary's), null when not known.
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
    this.locks = (languages?.length ?? 0) > 1;
    this.unknownIds = new Set(model.pieces.pieces.flatMap((piece, id) => (piece === UNKNOWN_PIECE ? [id] : [])));
  }

  fileDecoding(options: TranscriptionOptions, terms: JobTerms): FileDecoding {
    const { model } = this;
    const words = options.wordTimestamps ?? false;
    const boost = jobBoost(options, terms, PARAKEET_BOOST_STRENGTH);
    const language = this.lockLanguage(options);
    return {
      decodeWindow: async (samples, place, _language, callbacks, signal) => {
        const transcript = await transcribeShowingTokens(
          model.pieces,
          (onEvent) => model.transcribe(samples, onEvent, { ...boost, language }),
          callbacks,
          signal,
        );
        this.checkText(transcript.tokens.map((token) => token.id));
        for (const { segment, decoded } of transducerSegments(transcript, place, words)) {
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
   * of its audio, as a file's. The terms (or the job's prompt, read as terms) are boosted in both, and the job's
   * language locks both; Parakeet has no decoding options: `decoding` is not used.
   */
  startLive(
    options: TranscriptionOptions,
    terms: JobTerms,
    _decoding: unknown,
    policy: LivePolicy,
    onEvent: (event: StreamEvent) => void,
  ): LiveDictation {
    const { model } = this;
    const words = options.wordTimestamps ?? false;
    const { minChunkSeconds, marginFrames } = policy;
    return {
      session: model.startStream(
        {
          minChunkSeconds,
          marginFrames,
          ...jobBoost(options, terms, PARAKEET_BOOST_STRENGTH),
          language: this.lockLanguage(options),
        },
        onEvent,
      ),
      text: (utterance) => {
        const tokens = utterance.segments.flatMap((segment) => segment.tokens);
        this.checkText(tokens);
        return model.pieces.decode(tokens).trim();
      },
      segments: (utterance) =>
        transducerSegments(model.transcriptOf(utterance), { offset: 0, end: utterance.end }, words).map(
          ({ segment }) => segment,
        ),
    };
  }

  /** The terms it boosts: those its pieces can spell. */
  promptTerms(terms: readonly string[]): string[] {
    return boostedTerms(this.model, terms);
  }

  /** The language a job locks decoding to (checkJobOptions took it as one of the model's): none on an English model. */
  private lockLanguage(options: TranscriptionOptions): string | undefined {
    return this.locks ? options.language : undefined;
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
