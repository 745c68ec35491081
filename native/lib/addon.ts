// The raw shape of the compiled addon (build/Release/verbatim.node). Only index.ts uses it.
import path from "node:path";
import type { BackendMemory, BuildInfo, LanguageDetection, ModelInfo, TranscribeResult } from "./types";

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
  info(): ModelInfo;
  memory(): BackendMemory | null;
  setVocabulary(tokens: Uint8Array[]): void;
  transcribe(audio: Float32Array | string, options: object, onEvent: (event: object) => void): RawJob<TranscribeResult>;
  startStream(options: object, onEvent: (event: RawStreamEvent) => void): RawStream;
  detectLanguage(audio: Float32Array): RawJob<LanguageDetection>;
  free(): void;
}

export interface RawAddon {
  buildInfo(): BuildInfo;
  loadModel(folder: string, options: object): RawJob<RawModel>;
}

const addonPath = path.join(__dirname, "..", "build", "Release", "verbatim.node");

export function loadAddon(): RawAddon {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a native addon loads only through require
    return require(addonPath) as RawAddon;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `Verbatim's native engine is not built (${reason}). Run \`npm install\` in the Verbatim folder to build it.`,
    );
  }
}
