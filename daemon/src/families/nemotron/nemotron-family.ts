// A loaded Nemotron Speech Streaming model as the daemon runs it: NVIDIA's cache-aware streaming transducer, which
// decodes a chunk of audio at a time. A file job is the stream run to the end; a live dictation shows each chunk's
// tokens as the engine commits them (never taken back), and an utterance's final text is the stream's own, with no
// second pass. Its tokens become words and segments as Parakeet's do (a transducer's 80 ms frames). The English model
// transcribes English alone; Nemotron 3.5's `language` picks its prompt (without one it detects the language itself),
// which is its language lock: no piece mask is added (native/NEMOTRON.md). It has no decoder prompt: the vocabulary's
// terms (or a job's prompt, read as terms) are boosted while it decodes, in files and live text alike (the engine's
// phrase boosting, its walk through the terms going on from chunk to chunk), and replacements apply as for every model.
import type { NemotronModel, NemotronOptions, StreamEvent } from "@verbatim/native";
import { catalogEntries, DEFAULT_MODEL } from "../../models";
import type { ModelCapabilities, TranscriptionOptions } from "../../protocol";
import { languageName } from "../../tokenizer";
import { boostedTerms, jobBoost } from "../transducer-boost";
import { transducerSegments } from "../transducer-segments";
import { transcribeShowingTokens } from "../transducer-window";
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

/** Nemotron as the daemon names it, words its refusals and wraps its loaded models. */
export const NEMOTRON: FamilyKind<NemotronModel> = {
  name: "nemotron",
  title: "Nemotron",
  audioTokensPerSecond: 12.5, // the encoder's frames: 80 ms each
  cannotTranslate: (id) =>
    `${id} is a Nemotron model and cannot translate; use ${DEFAULT_MODEL} (a multilingual Whisper model) ` +
    'for task "translate", or task "transcribe"',
  cannotTranscribe(id, capabilities, language, named) {
    const other = catalogEntries().find(
      (entry) => entry.family === capabilities.family && entry.name !== id && entry.languages?.includes(language),
    );
    const instead = `use ${[...(other ? [other.name] : []), `${DEFAULT_MODEL} (a Whisper model)`].join(" or ")} for it`;
    const which = englishOnly(capabilities)
      ? "an English-only model"
      : `a Nemotron model of ${capabilities.languages?.length ?? 0} languages`;
    return `${id} is ${which} and cannot transcribe ${named}; ${instead}, or leave the language out`;
  },
  async wrap(model) {
    return new NemotronFamily(model);
  },
};

/**
 * The strength terms are boosted at when the vocabulary sets none: the most recall with no term put into speech
 * without one on the trained fixture (test/bench/boost.mjs, test/bench/README.md). Lower than Parakeet's: Nemotron
 * keeps a whole term without weighing it against the model's own reading, so it inserts terms at a lower strength.
 */
export const NEMOTRON_BOOST_STRENGTH = 2;

export class NemotronFamily implements FamilyModel {
  readonly capabilities: ModelCapabilities;
  readonly defaultBoostStrength = NEMOTRON_BOOST_STRENGTH;
  readonly backend: string;
  readonly device: string;
  readonly loadSeconds: number;

  constructor(private readonly model: NemotronModel) {
    const info = model.info();
    this.backend = info.backend;
    this.device = info.device;
    this.loadSeconds = info.loadSeconds;
    // Nemotron 3.5's prompt dictionary names locales ("de-DE") and bare codes ("de"): jobs name the codes, as for every
    // model. The English model takes no language (the engine refuses one): it transcribes English.
    const { chooseLanguage, languages } = info.capabilities;
    const codes = chooseLanguage ? languages.filter((code) => languageName(code) !== undefined) : ["en"];
    this.capabilities = capabilitiesOf(NEMOTRON.name, info.capabilities, codes);
  }

  fileDecoding(options: TranscriptionOptions, terms: JobTerms): FileDecoding {
    const { model } = this;
    const words = options.wordTimestamps ?? false;
    const engineOptions = {
      ...this.engineOptions(options),
      ...jobBoost(options, terms, NEMOTRON_BOOST_STRENGTH),
    };
    return {
      decodeWindow: async (samples, place, _language, callbacks, signal) => {
        const transcript = await transcribeShowingTokens(
          model.pieces,
          (onEvent) => model.transcribe(samples, onEvent, engineOptions),
          callbacks,
          signal,
        );
        for (const { segment, decoded } of transducerSegments(transcript, place, words)) {
          callbacks.onSegment(segment, decoded);
        }
        const tokens = transcript.tokens.map((token) => token.id);
        return { language: options.language ?? model.languageOf(tokens), tokens };
      },
      text: (tokens) => model.pieces.decode(tokens).trim(),
    };
  }

  /**
   * Live text from the stream itself, in chunks of the policy's right context + 1 frames: each update commits the
   * tokens of every chunk the audio completed (the engine updates once a chunk has arrived), and an utterance's end
   * flushes the last chunk; its final text and segments are the stream's tokens. The terms (or the job's prompt, read
   * as terms) are boosted in the stream; no decoding options.
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
    return {
      session: model.startStream(
        {
          ...this.engineOptions(options),
          ...jobBoost(options, terms, NEMOTRON_BOOST_STRENGTH),
          rightContext: policy.rightContext,
        },
        onEvent,
      ),
      text: (utterance) => model.pieces.decode(utterance.segments.flatMap((segment) => segment.tokens)).trim(),
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

  /** The job's options as the engine takes them: a language for Nemotron 3.5's prompt (the English model takes none). */
  private engineOptions(options: TranscriptionOptions): NemotronOptions {
    const chooses = this.model.info().capabilities.chooseLanguage;
    return chooses && options.language !== undefined ? { language: options.language } : {};
  }

  memory() {
    return this.model.memory();
  }

  free(): void {
    this.model.free();
  }
}
