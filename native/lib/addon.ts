// The raw shape of the compiled addon (build/Release/verbatim.node, or a platform package's prebuilt). Only the
// library's own modules (index.ts, voice-detector.ts, speakers.ts) use it.
import { locateAddon, sourceBuildAdvice } from "./prebuilt";
import type {
  BackendMemory,
  BuildInfo,
  LanguageDetection,
  ModelFamilyName,
  ModelInfo,
  EngineMemory,
  ParakeetModelInfo,
  NemotronModelInfo,
  SpeakerModelInfo,
  SpeakerSegment,
  TranscribeResult,
} from "./types";

export interface RawJob<T> {
  promise: Promise<T>;
  cancel(): void;
}

export interface RawStream extends RawJob<RawStreamTranscript> {
  push(audio: Float32Array): void;
  endUtterance(): void;
  finish(): void;
}

export interface RawStreamUpdate {
  type: "update";
  utterance: number;
  committed: number[];
  tentative: number[];
  audioSeconds: number;
}

export interface RawUtterance extends TranscribeResult {
  index: number;
  start: number;
  end: number;
  liveTokens: number[];
}

export interface RawStreamTranscript {
  utterances: RawUtterance[];
}

export type RawStreamEvent = RawStreamUpdate | { type: "utterance"; utterance: RawUtterance };

export interface RawModel {
  info(): ModelInfo | ParakeetModelInfo | NemotronModelInfo;
  memory(): BackendMemory | null;
  setVocabulary(tokens: Uint8Array[]): void;
  transcribe(audio: Float32Array | string, options: object, onEvent: (event: object) => void): RawJob<TranscribeResult>;
  startStream(options: object, onEvent: (event: RawStreamEvent) => void): RawStream;
  detectLanguage(audio: Float32Array): RawJob<LanguageDetection>;
  free(): void;
}

export interface RawVoiceDetector {
  probability(frame: Float32Array | Int16Array): number;
  fileProbabilities(samplesFile: string, firstSample: number, sampleCount: number): RawJob<Float32Array>;
  reset(): void;
}

export interface RawSpeakerModel {
  info(): SpeakerModelInfo;
  diarize(
    samples: Float32Array,
    onEvent: (event: { type: "progress"; fraction: number }) => void,
  ): RawJob<{ probabilities: Float32Array; frames: number; segments: SpeakerSegment[] }>;
  startStream(mode?: string): RawSpeakerStream;
  free(): void;
}

export interface RawSpeakerStream {
  push(samples: Float32Array): RawJob<Float32Array>;
  finish(): RawJob<{ probabilities: Float32Array; segments: SpeakerSegment[] }>;
}

export interface RawAddon {
  buildInfo(): BuildInfo;
  loadModel(folder: string, options: object): RawJob<RawModel>;
  modelFamily(folder: string): ModelFamilyName;
  VoiceDetector: new (weights: string) => RawVoiceDetector;
  loadSpeakerModel(folder: string, options: object): RawJob<RawSpeakerModel>;
  engineMemory(): EngineMemory;
  trimNativeHeap(): void;
}

let loadedAddon: RawAddon | null = null;
/** The addon, loaded on first use, so that commands which need no engine (`verbatim doctor`, `--help`) run without it. */
export function addon(): RawAddon {
  loadedAddon ??= loadAddon();
  return loadedAddon;
}

/** Whether this process has loaded the addon yet. */
export function addonLoaded(): boolean {
  return loadedAddon !== null;
}

/** Loads this machine's addon: built from source, or this platform's prebuilt (prebuilt.ts). */
export function loadAddon(): RawAddon {
  const location = locateAddon();
  if (location.file === null) {
    throw new Error(
      `Verbatim's native engine is not installed for this machine: ${location.problem}. ${sourceBuildAdvice()}`,
    );
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a native addon loads only through require
    return require(location.file) as RawAddon;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `Verbatim's native engine (${location.origin}, ${location.file}) cannot be loaded here: ${reason}. ` +
        sourceBuildAdvice(),
    );
  }
}
