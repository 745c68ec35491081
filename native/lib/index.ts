// Verbatim's native Whisper engine: load a model folder, transcribe 16 kHz mono audio, detect its language.
// All work runs on the engine's own threads; nothing blocks the event loop.
import { addon, addonLoaded, type RawJob, type RawModel } from "./addon";
import { alignmentHeadsFor } from "./alignment-heads";
import { typed, typedError } from "./errors";
import { lockedOutPieces } from "./language-lock";
import { LanguageTags } from "./language-tags";
import { PieceDecoder, PieceEncoder } from "./sentencepiece";
import { StreamingSession, TokenText } from "./streaming";
import type {
  BackendMemory,
  BoostOptions,
  BuildInfo,
  LanguageLockOptions,
  Job,
  LanguageDetection,
  LoadOptions,
  ModelFamilyName,
  ModelInfo,
  EngineMemory,
  NemotronModelInfo,
  NemotronOptions,
  ParakeetModelInfo,
  ParakeetStreamOptions,
  ParakeetTranscribeOptions,
  ParakeetTranscript,
  StreamEvent,
  StreamOptions,
  TranscribeEvent,
  TranscribeOptions,
  TranscribeResult,
} from "./types";

export { alignmentHeadsFor, identifyModel } from "./alignment-heads";
export * from "./errors";
export * from "./types";
export { StreamingSession } from "./streaming";
export { PieceDecoder, PieceEncoder } from "./sentencepiece";
export { LOCK_LANGUAGES, lockedOutPieces, vocabularyScripts } from "./language-lock";
export { VoiceDetector, VOICE_DETECTOR_WEIGHTS } from "./voice-detector";
export {
  SpeakerModel,
  SpeakerStream,
  type DiarizeOptions,
  type SpeakerLoadOptions,
  type SpeakerStreamOptions,
} from "./speakers";
export { locateAddon, probeAddon, type AddonLocation, type ProbeResult } from "./prebuilt";
export { compareVersions, gpuAbsence, MINIMUM_MACOS, thisMac, type GpuAbsence, type MacHost } from "./macos";

export function buildInfo(): BuildInfo {
  return addon().buildInfo();
}

/**
 * The engine's memory in this process: its mapped weight files' pages in memory, and the C heap in use. Null until
 * something here has used the engine (loading it only to ask would add its own memory to the figures).
 */
export function engineMemory(): EngineMemory | null {
  return addonLoaded() ? addon().engineMemory() : null;
}

/** Gives the memory the C allocator holds freed back to the system (after a job: its buffers). */
export function trimNativeHeap(): void {
  addon().trimNativeHeap();
}

function typedJob<T, R = T>(job: RawJob<T>, map: (value: T) => R): Job<R> {
  return {
    promise: job.promise.then(map, (error: unknown) => {
      throw typedError(error);
    }),
    cancel: () => job.cancel(),
  };
}

export class WhisperModel {
  /** The engine's name for the model's family (Engine::family()). */
  readonly family = "whisper";
  private vocabulary: Uint8Array[] | null = null;

  private constructor(private readonly raw: RawModel) {}

  /** Loads an mlx-community layout folder (config.json + weights) in the background. */
  static load(folder: string, options: LoadOptions = {}): Job<WhisperModel> {
    return typedJob(
      typed(() => addon().loadModel(folder, options)),
      (raw) => WhisperModel.wrapRaw(folder, raw),
    );
  }

  /** @internal */
  static wrapRaw(folder: string, raw: RawModel): WhisperModel {
    const { family } = raw.info();
    if (family !== "whisper") {
      raw.free();
      throw typedError({
        message: `${folder} holds a ${family} model, not a Whisper model`,
        code: "ERR_INVALID_ARGUMENT",
      });
    }
    return new WhisperModel(raw);
  }

  info(): ModelInfo {
    const info = typed(() => this.raw.info());
    if (info.family !== "whisper") throw new Error("not a Whisper model");
    return info;
  }

  /** MLX's memory figures now, or null on the portable CPU backend (see the process's own figures there). */
  memory(): BackendMemory | null {
    return typed(() => this.raw.memory());
  }

  /** The bytes of every token id (specials may be empty); needed before transcribing (compression ratio). */
  setVocabulary(tokenBytes: Uint8Array[]): void {
    typed(() => this.raw.setVocabulary(tokenBytes));
    this.vocabulary = tokenBytes;
  }

  /**
   * Transcribes 16 kHz mono samples: a Float32Array (copied), or the path of a file of 32-bit little-endian float
   * samples, read on the engine's thread about 30 s at a time, so that a long recording is never in memory whole.
   */
  transcribe(
    audio: Float32Array | string,
    options: TranscribeOptions = {},
    onEvent: (event: TranscribeEvent) => void = () => {},
  ): Job<TranscribeResult> {
    if (options.wordTimestamps && !options.alignmentHeads) {
      const { dims, storedAlignmentHeads } = this.info();
      options = { ...options, alignmentHeads: alignmentHeadsFor(dims, storedAlignmentHeads) };
    }
    const job = typed(() => this.raw.transcribe(audio, options, (event) => onEvent(event as TranscribeEvent)));
    return typedJob(job, (result) => result);
  }

  /**
   * Starts live recognition on the engine's thread (see StreamingSession). Events arrive in order on the JS thread:
   * "committed" after each update, "utterance" with each utterance's final text, "error" if the session fails.
   */
  startStream(options: StreamOptions = {}, onEvent: (event: StreamEvent) => void = () => {}): StreamingSession {
    if (!options.alignmentHeads) {
      const { dims, storedAlignmentHeads } = this.info();
      options = { ...options, alignmentHeads: alignmentHeadsFor(dims, storedAlignmentHeads) };
    }
    const vocabulary = this.vocabulary;
    if (!vocabulary) {
      throw typedError({
        message: "set the model's vocabulary (setVocabulary) before streaming",
        code: "ERR_INVALID_ARGUMENT",
      });
    }
    return new StreamingSession(new TokenText(vocabulary), onEvent, (handle) =>
      typed(() => this.raw.startStream(options, handle)),
    );
  }

  /** The spoken language of the first 30 s (multilingual models only). */
  detectLanguage(audio: Float32Array): Job<LanguageDetection> {
    return typedJob(
      typed(() => this.raw.detectLanguage(audio)),
      (result) => result,
    );
  }

  /** Releases the model's memory once any running job ends; the model cannot be used afterwards. */
  free(): void {
    this.raw.free();
  }
}

/** Terms whose splits a transducer model keeps, so that the same vocabulary is not split for every job. */
const MAX_SPLIT_TERMS = 10_000;

/** A transducer's boosting as the engine reads it: the terms split into the model's pieces, split once per term. */
class TermPieces {
  private readonly encoder: PieceEncoder;
  private readonly splits = new Map<string, number[][]>();

  constructor(vocabulary: readonly string[]) {
    this.encoder = new PieceEncoder(vocabulary);
  }

  /** A term's splits into the model's pieces that boosting favours (PieceEncoder.splits): empty when it has none. */
  of(term: string): number[][] {
    let splits = this.splits.get(term);
    if (!splits) {
      // Splitting is most of what a job's 1,000 terms cost (30 ms), and the same vocabulary comes with every job.
      if (this.splits.size >= MAX_SPLIT_TERMS) this.splits.clear();
      splits = this.encoder.splits(term);
      this.splits.set(term, splits);
    }
    return splits;
  }

  /** The options as the engine reads them: the boosted terms as their pieces (boostPhrases). */
  engineOptions<O extends BoostOptions>(options: O): Omit<O, "boostTerms"> & { boostPhrases?: number[][] } {
    const { boostTerms, ...rest } = options;
    return {
      ...rest,
      ...(boostTerms?.length ? { boostPhrases: boostTerms.flatMap((term) => this.of(term)) } : {}),
    };
  }
}

/**
 * A Parakeet TDT model (parakeet-mlx's layout: config.json = the NeMo config, model.safetensors). It carries its own
 * SentencePiece vocabulary; its tokens are timed by the transducer's frames and durations (80 ms a frame). What it
 * cannot do (translate, a language or prompt) is in info().capabilities and refused by the engine.
 */
export class ParakeetModel {
  /** The engine's name for the model's family (Engine::family()). */
  readonly family = "parakeet";
  readonly pieces: PieceDecoder;
  private readonly terms: TermPieces;
  private readonly lockedOut = new Map<string, number[]>();

  private constructor(private readonly raw: RawModel) {
    const info = ParakeetModel.infoOf(raw);
    this.pieces = new PieceDecoder(info.vocabulary);
    this.terms = new TermPieces(info.vocabulary);
    typed(() => raw.setVocabulary(this.pieces.allTokenBytes()));
  }

  /** Loads a parakeet-mlx layout folder in the background; refuses other families. */
  static load(folder: string, options: LoadOptions = {}): Job<ParakeetModel> {
    return typedJob(
      typed(() => addon().loadModel(folder, options)),
      (raw) => ParakeetModel.wrap(folder, raw),
    );
  }

  /** @internal */
  static wrap(folder: string, raw: RawModel): ParakeetModel {
    const { family } = raw.info();
    if (family !== "parakeet") {
      raw.free();
      throw typedError({
        message: `${folder} holds a ${family} model, not a Parakeet model`,
        code: "ERR_INVALID_ARGUMENT",
      });
    }
    return new ParakeetModel(raw);
  }

  private static infoOf(raw: RawModel): ParakeetModelInfo {
    const info = typed(() => raw.info());
    if (info.family !== "parakeet") throw new Error("not a Parakeet model");
    return info;
  }

  info(): ParakeetModelInfo {
    return ParakeetModel.infoOf(this.raw);
  }

  memory(): BackendMemory | null {
    return typed(() => this.raw.memory());
  }

  /**
   * Transcribes 16 kHz mono samples (a Float32Array, copied, or a file of 32-bit little-endian float samples, read a
   * chunk at a time). Files longer than a chunk are decoded in overlapping chunks (ParakeetTranscribeOptions).
   */
  transcribe(
    audio: Float32Array | string,
    onEvent: (event: TranscribeEvent) => void = () => {},
    options: ParakeetTranscribeOptions = {},
  ): Job<ParakeetTranscript> {
    const job = typed(() =>
      this.raw.transcribe(audio, this.engineOptions(options), (event) => onEvent(event as TranscribeEvent)),
    );
    return typedJob(job, (result) => this.transcriptOf(result));
  }

  /**
   * Starts live recognition on the engine's thread, with the same session and events as WhisperModel.startStream:
   * each update decodes the utterance so far and commits the tokens whose end is marginFrames behind the newest audio
   * and that the previous update decoded too; each utterance's final text is transcribe() of its audio.
   */
  startStream(options: ParakeetStreamOptions = {}, onEvent: (event: StreamEvent) => void = () => {}): StreamingSession {
    return new StreamingSession(new TokenText(this.pieces.allTokenBytes()), onEvent, (handle) =>
      typed(() => this.raw.startStream(this.engineOptions(options), handle)),
    );
  }

  /** A term's splits into the model's pieces that boosting favours (PieceEncoder.splits): empty when it has none. */
  termPieces(term: string): number[][] {
    return this.terms.of(term);
  }

  free(): void {
    this.raw.free();
  }

  /** The ids of the pieces a job locked to `language` never emits (lockedOutPieces). Throws for a language it lacks. */
  lockedOutPieces(language: string): number[] {
    let ids = this.lockedOut.get(language);
    if (!ids) {
      ids = lockedOutPieces(this.pieces.pieces, language);
      this.lockedOut.set(language, ids);
    }
    return ids;
  }

  /**
   * The options as the engine reads them: the boosted terms as their pieces (boostPhrases), a language lock as the
   * pieces it locks out (suppressTokens).
   */
  private engineOptions<O extends BoostOptions & LanguageLockOptions>(
    options: O,
  ): Omit<Omit<O, "language">, "boostTerms"> & { boostPhrases?: number[][]; suppressTokens?: number[] } {
    const { language, ...rest } = options;
    return {
      ...this.terms.engineOptions(rest),
      ...(language === undefined ? {} : { suppressTokens: this.lockedOutPieces(language) }),
    };
  }

  /** The text, timed tokens and words of the engine's segments (a transcribe() result, a live utterance's final pass). */
  transcriptOf(result: Pick<TranscribeResult, "segments">): ParakeetTranscript {
    return transducerTranscript(this.pieces, result);
  }
}

/**
 * A Nemotron Speech Streaming model (transformers' layout: config.json, tokenizer.json, model.safetensors; Nemotron
 * 3.5 with its language prompt too). It decodes a chunk at a time: a file job is the stream run to the end, a live
 * session commits each chunk's tokens as it is decoded, never taken back, and its utterance's final text is the
 * stream's own. Vocabulary terms are boosted as on Parakeet (BoostOptions), the walk through their tree going on
 * from chunk to chunk. What it cannot do (translate, a prompt, a language on the English model) is refused by the
 * engine.
 */
export class NemotronModel {
  /** The engine's name for the model's family (Engine::family()). */
  readonly family = "nemotron";
  readonly pieces: PieceDecoder;
  private readonly tags: LanguageTags;
  private readonly terms: TermPieces;

  private constructor(private readonly raw: RawModel) {
    const { vocabulary } = NemotronModel.infoOf(raw);
    this.tags = new LanguageTags(vocabulary);
    this.terms = new TermPieces(vocabulary);
    this.pieces = new PieceDecoder(this.tags.silenced(vocabulary));
    typed(() => raw.setVocabulary(this.pieces.allTokenBytes()));
  }

  /** Loads a transformers layout folder in the background; refuses other families. */
  static load(folder: string, options: LoadOptions = {}): Job<NemotronModel> {
    return typedJob(
      typed(() => addon().loadModel(folder, options)),
      (raw) => NemotronModel.wrap(folder, raw),
    );
  }

  /** @internal */
  static wrap(folder: string, raw: RawModel): NemotronModel {
    const { family } = raw.info();
    if (family !== "nemotron") {
      raw.free();
      throw typedError({
        message: `${folder} holds a ${family} model, not a Nemotron model`,
        code: "ERR_INVALID_ARGUMENT",
      });
    }
    return new NemotronModel(raw);
  }

  private static infoOf(raw: RawModel): NemotronModelInfo {
    const info = typed(() => raw.info());
    if (info.family !== "nemotron") throw new Error("not a Nemotron model");
    return info;
  }

  info(): NemotronModelInfo {
    return NemotronModel.infoOf(this.raw);
  }

  memory(): BackendMemory | null {
    return typed(() => this.raw.memory());
  }

  /** Transcribes 16 kHz mono samples (a Float32Array, copied, or a file of 32-bit little-endian float samples). */
  transcribe(
    audio: Float32Array | string,
    onEvent: (event: TranscribeEvent) => void = () => {},
    options: NemotronOptions = {},
  ): Job<ParakeetTranscript> {
    const job = typed(() =>
      this.raw.transcribe(audio, this.terms.engineOptions(options), (event) => onEvent(event as TranscribeEvent)),
    );
    return typedJob(job, (result) => this.transcriptOf(result));
  }

  /**
   * Starts live recognition on the engine's thread, with the same session and events as WhisperModel.startStream:
   * each update commits the tokens of every chunk the audio completed; an utterance's end flushes the last chunk.
   */
  startStream(options: NemotronOptions = {}, onEvent: (event: StreamEvent) => void = () => {}): StreamingSession {
    return new StreamingSession(new TokenText(this.pieces.allTokenBytes()), onEvent, (handle) =>
      typed(() => this.raw.startStream(this.terms.engineOptions(options), handle)),
    );
  }

  /** A term's splits into the model's pieces that boosting favours (PieceEncoder.splits): empty when it has none. */
  termPieces(term: string): number[][] {
    return this.terms.of(term);
  }

  /** The text, timed tokens and words of the engine's segments (a transcribe() result, a live utterance's). */
  transcriptOf(result: Pick<TranscribeResult, "segments">): ParakeetTranscript {
    return transducerTranscript(this.pieces, result);
  }

  /** The language Nemotron 3.5 wrote among these tokens with its `auto` prompt ("de"), or null (language-tags.ts). */
  languageOf(tokens: readonly number[]): string | null {
    return this.tags.languageOf(tokens);
  }

  free(): void {
    this.raw.free();
  }
}

/** A transducer's segments as timed tokens and words (a token starting with "▁" opens one), and their text. */
function transducerTranscript(pieces: PieceDecoder, result: Pick<TranscribeResult, "segments">): ParakeetTranscript {
  const tokens = result.segments.flatMap((segment) =>
    (segment.tokenTimings ?? []).map((timing) => ({
      id: timing.token,
      text: pieces.piecesToText([timing.token]),
      start: timing.start,
      end: timing.end,
      probability: timing.probability,
    })),
  );
  const words: ParakeetTranscript["words"] = [];
  let ids: number[] = [];
  let current: ParakeetTranscript["words"][number] | null = null;
  const close = (): void => {
    if (current) {
      current.text = pieces.decode(ids).trim();
      current.tokens = ids;
      if (current.text) words.push(current);
    }
  };
  for (const token of tokens) {
    if (!current || pieces.startsWord(token.id)) {
      close();
      ids = [];
      current = { text: "", start: token.start, end: token.end, probability: 1, tokens: [] };
    }
    ids.push(token.id);
    current.end = Math.max(current.end, token.end);
    current.probability = Math.min(current.probability, token.probability);
  }
  close();
  return { text: pieces.decode(tokens.map((token) => token.id)).trim(), tokens, words };
}

/** A loaded model of any family; its `family` says which. */
export type AnyModel = WhisperModel | ParakeetModel | NemotronModel;

/** Each family's model class, by the name the engine gives the family. */
const MODEL_CLASSES: { [F in ModelFamilyName]: (folder: string, raw: RawModel) => AnyModel & { family: F } } = {
  whisper: (folder, raw) => WhisperModel.wrapRaw(folder, raw),
  parakeet: (folder, raw) => ParakeetModel.wrap(folder, raw),
  nemotron: (folder, raw) => NemotronModel.wrap(folder, raw),
};

/** Loads a model folder of any family: the engine reads its config.json and says which (info().family). */
export function loadModel(folder: string, options: LoadOptions = {}): Job<AnyModel> {
  return typedJob(
    typed(() => addon().loadModel(folder, options)),
    (raw) => MODEL_CLASSES[raw.info().family](folder, raw),
  );
}

/**
 * The family of the model in `folder`, as the engine's own config test says (its config.json, read and parsed; no
 * weights are loaded). Throws ModelFormatError when config.json is missing, unreadable or no family's.
 */
export function modelFamilyOf(folder: string): ModelFamilyName {
  return typed(() => addon().modelFamily(folder));
}
