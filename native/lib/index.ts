// Verbatim's native Whisper engine: load a model folder, transcribe 16 kHz mono audio, detect its language.
// All work runs on the engine's own threads; nothing blocks the event loop.
import { loadAddon, type RawJob, type RawModel } from "./addon";
import { alignmentHeadsFor } from "./alignment-heads";
import { typed, typedError } from "./errors";
import type {
  BackendMemory,
  BuildInfo,
  Job,
  LanguageDetection,
  LoadOptions,
  ModelInfo,
  TranscribeEvent,
  TranscribeOptions,
  TranscribeResult,
} from "./types";

export { alignmentHeadsFor, identifyModel } from "./alignment-heads";
export * from "./errors";
export * from "./types";

const addon = loadAddon();

export function buildInfo(): BuildInfo {
  return addon.buildInfo();
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
  private constructor(private readonly raw: RawModel) {}

  /** Loads an mlx-community layout folder (config.json + weights) in the background. */
  static load(folder: string, options: LoadOptions = {}): Job<WhisperModel> {
    return typedJob(
      typed(() => addon.loadModel(folder, options)),
      (raw) => new WhisperModel(raw),
    );
  }

  info(): ModelInfo {
    return typed(() => this.raw.info());
  }

  /** MLX's memory figures now, or null on the portable CPU backend (see the process's own figures there). */
  memory(): BackendMemory | null {
    return typed(() => this.raw.memory());
  }

  /** The bytes of every token id (specials may be empty); needed before transcribing (compression ratio). */
  setVocabulary(tokenBytes: Uint8Array[]): void {
    typed(() => this.raw.setVocabulary(tokenBytes));
  }

  transcribe(
    audio: Float32Array,
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
