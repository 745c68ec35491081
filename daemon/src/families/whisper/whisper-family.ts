// A loaded Whisper model as the daemon runs it: paired with the tokenizer of its vocabulary (English-only models the
// gpt2 ranks, multilingual ones their own), it decodes a file a window at a time with the job's options, the
// vocabulary's terms in its decoder prompt, and keeps the language a window detected for the windows after it.
import type { ModelInfo, StreamEvent, WhisperModel } from "@verbatim/native";
import type { ModelCapabilities, TranscriptionOptions } from "../../protocol";
import { loadTokenizer, type Tokenizer } from "../../tokenizer";
import { promptTerms } from "./decoder-prompt";
import {
  capabilitiesOf,
  englishOnly,
  type DecodingDefaults,
  type FamilyKind,
  type FamilyModel,
  type FileDecoding,
  type LiveDictation,
  type LivePolicy,
} from "../family";
import type { JobTerms } from "../../vocabulary/vocabulary";
import { engineOptions, fileEngineOptions, segmentData, transcribeWindow } from "./whisper-decoding";

/** Whisper as the daemon names it, words its refusals and wraps its loaded models. */
export const WHISPER: FamilyKind<WhisperModel> = {
  name: "whisper",
  title: "Whisper",
  audioTokensPerSecond: 50, // the encoder's 1500 positions a 30 s window
  cannotTranslate: (id) =>
    `${id} is an English-only model and cannot translate; use a multilingual model (such as large-v3 or small) ` +
    'for task "translate", or task "transcribe"',
  cannotTranscribe: (id, capabilities, _language, named) =>
    englishOnly(capabilities)
      ? `${id} is an English-only model and cannot transcribe ${named}; use a multilingual model (such as ` +
        'large-v3 or small) for it, or language "en"'
      : `${id} was not trained on the language ${named}; use a model that was (large-v3 knows the most), or no ` +
        "language, to have it detected",
  wrap: (model) => WhisperFamily.wrap(model),
};

// Building a vocabulary's tokenizer blocks the event loop for a moment, so each is built once.
const tokenizers = new Map<number, Promise<Tokenizer>>();

function tokenizerFor(nVocab: number): Promise<Tokenizer> {
  let tokenizer = tokenizers.get(nVocab);
  if (!tokenizer) {
    tokenizer = loadTokenizer({ nVocab });
    tokenizer.catch(() => tokenizers.delete(nVocab)); // a failed load is tried again next time
    tokenizers.set(nVocab, tokenizer);
  }
  return tokenizer;
}

export class WhisperFamily implements FamilyModel {
  readonly capabilities: ModelCapabilities;
  readonly backend: string;
  readonly device: string;
  readonly loadSeconds: number;

  private constructor(
    private readonly model: WhisperModel,
    private readonly tokenizer: Tokenizer,
    info: ModelInfo,
  ) {
    this.backend = info.backend;
    this.device = info.device;
    this.loadSeconds = info.loadSeconds;
    // An English-only model transcribes English: "en" is the one language a job may name.
    const { multilingual } = tokenizer.special;
    this.capabilities = capabilitiesOf(WHISPER.name, info.capabilities, multilingual ? tokenizer.languages : ["en"]);
  }

  /** The model with its tokenizer, its vocabulary given to the engine; the model is freed when this fails. */
  static async wrap(model: WhisperModel): Promise<WhisperFamily> {
    try {
      const info = model.info();
      const tokenizer = await tokenizerFor(info.dims.nVocab);
      model.setVocabulary(tokenizer.tokenBytesTable());
      return new WhisperFamily(model, tokenizer, info);
    } catch (error) {
      model.free();
      throw error;
    }
  }

  fileDecoding(options: TranscriptionOptions, { terms }: JobTerms, decoding?: DecodingDefaults): FileDecoding {
    const { model, tokenizer } = this;
    const engine = fileEngineOptions(tokenizer, options, terms, decoding);
    const words = options.wordTimestamps ?? false;
    return {
      decodeWindow: (samples, place, language, callbacks, signal) => {
        // As transcribe() does for its windows: the language detected first holds for the rest of the file.
        if (language && tokenizer.special.multilingual) engine.language = language;
        return transcribeWindow(model, tokenizer, samples, engine, place, callbacks, signal, words);
      },
      // Decoded as a whole, so that languages written without spaces get none between segments.
      text: (tokens) => tokenizer.decode(tokens).trim(),
    };
  }

  startLive(
    options: TranscriptionOptions,
    { terms }: JobTerms,
    decoding: DecodingDefaults | undefined,
    policy: LivePolicy,
    onEvent: (event: StreamEvent) => void,
  ): LiveDictation {
    const { model, tokenizer } = this;
    const { minChunkSeconds, frameThreshold } = policy;
    // The decoding options shape each utterance's final pass, which is transcribe() on its audio; the live updates
    // decode greedily with AlignAtt, whatever they say.
    const session = model.startStream(
      { ...engineOptions(tokenizer, options, terms, decoding), minChunkSeconds, frameThreshold },
      onEvent,
    );
    return {
      session,
      text: (utterance) => tokenizer.decode(utterance.segments.flatMap((segment) => segment.tokens)).trim(),
      segments: (utterance, language) =>
        utterance.segments.flatMap((segment) => segmentData(tokenizer, segment, language, utterance.end) ?? []),
    };
  }

  promptTerms(terms: readonly string[]): string[] {
    return promptTerms(this.tokenizer, terms);
  }

  memory() {
    return this.model.memory();
  }

  free(): void {
    this.model.free();
  }
}
