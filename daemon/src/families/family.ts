// What every model family gives the daemon. Before a model loads (FamilyKind): its name, the words of its refusals and
// how its native model is wrapped. Once loaded (FamilyModel): what a job may ask of it (its capabilities), a file
// job's decoding (one window of samples at a time, into the family's timed segments and text), a live dictation's
// engine session (the family's own live policy) and its utterances' text and segments, the vocabulary terms its
// decoder prompt takes, and its memory. Shared code (file jobs, dictations, refusals, the vocabulary, the status)
// asks these, never which family it is. whisper/, parakeet/ and nemotron/ implement it; registry.ts lists the families.
import {
  CancelledError,
  type BackendMemory,
  type FamilyCapabilities,
  type Job,
  type Segment,
  type StreamEvent,
  type StreamingSession,
  type StreamUtterance,
} from "@verbatim/native";
import type {
  DecodingOptionName,
  ModelCapabilities,
  ModelFamily,
  SegmentData,
  TranscriptionOptions,
} from "../protocol";
import type { ResolvedModel } from "../models";
import type { JobTerms } from "../vocabulary/vocabulary";

/** Every decoding option, as the engine is asked when a request does not say (the config's "decoding"). */
export type DecodingDefaults = Required<Pick<TranscriptionOptions, DecodingOptionName>>;

/** A model family before any of its models loads: its name, the words of its refusals, how a loaded model is wrapped. */
export interface FamilyKind<M> {
  /** The engine's name for it (Engine::family()). */
  readonly name: ModelFamily;
  /** As messages name it: "Whisper", "Parakeet". */
  readonly title: string;
  /** Audio tokens a second of audio, as openai's usage counts them: the encoder's positions. */
  readonly audioTokensPerSecond: number;
  /** Why model `id` cannot translate, and what to use instead. */
  cannotTranslate(id: string, capabilities: ModelCapabilities): string;
  /** Why model `id` cannot transcribe `language` (a known code outside its languages, `named` with its name). */
  cannotTranscribe(id: string, capabilities: ModelCapabilities, language: string, named: string): string;
  /** The loaded native model as the daemon runs it; the model is freed when this fails. */
  wrap(model: M, resolved: ResolvedModel): Promise<FamilyModel>;
}

/** Whether the model transcribes English alone. */
export function englishOnly(capabilities: ModelCapabilities): boolean {
  return capabilities.languages?.length === 1 && capabilities.languages[0] === "en";
}

/** Where a window's samples sit in the file: its segments are placed `offset` seconds in and end by `end`. */
export interface WindowPlace {
  offset: number;
  end: number;
}

export interface WindowCallbacks {
  /** Provisional text as it is decoded; `restart` discards the provisional text since the last segment. */
  onText(text: string, restart: boolean): void;
  /** A final segment, on the file's timeline; `decoded` is the engine's segment behind it (tokens, figures). */
  onSegment(segment: SegmentData, decoded: Segment): void;
  /** How much of the window is done (0 to 1), when the engine says. */
  onProgress(fraction: number | null): void;
}

/** One job's decoding on one model: its options made the family's once, then used for each window of the file. */
export interface FileDecoding {
  /**
   * Decodes the samples file (16 kHz float samples) of one window. `language`: the file's language so far (the job's,
   * or what an earlier window detected), null when not known. Resolves with the language the window was decoded in,
   * or null when the model does not say, and the token ids of its segments (for `text`).
   */
  decodeWindow(
    samples: string,
    place: WindowPlace,
    language: string | null,
    callbacks: WindowCallbacks,
    signal: AbortSignal,
  ): Promise<{ language: string | null; tokens: number[] }>;
  /** The transcript's text: every window's tokens decoded as a whole (languages without spaces get none between). */
  text(tokens: readonly number[]): string;
}

/** How live dictation updates and how close to the newest audio it commits; each family reads its own part. */
export interface LivePolicy {
  /** Seconds of new audio before an update (unless the utterance ends). */
  minChunkSeconds: number;
  /** Whisper (AlignAtt): encoder frames (20 ms) a token's attention must be behind the newest audio. */
  frameThreshold: number;
  /** Parakeet: encoder frames (80 ms) a token's end must be behind the newest audio. */
  marginFrames: number;
  /** Nemotron: encoder frames (80 ms) its chunks look ahead; a chunk is this + 1 frames. */
  rightContext: number;
}

/** A live dictation on the engine, and its utterances' final passes as clients get them. */
export interface LiveDictation {
  readonly session: StreamingSession;
  /** An utterance's final text: its tokens decoded as a whole. */
  text(utterance: StreamUtterance): string;
  /** An utterance's final segments (text, and words when timed) at its own times, none ending after its end. */
  segments(utterance: StreamUtterance, language: string | undefined): SegmentData[];
}

/** A loaded model as its family runs it. */
export interface FamilyModel {
  readonly capabilities: ModelCapabilities;
  /** The engine's backend ("mlx" or "cpu"), device ("gpu" or "cpu") and seconds the load took. */
  readonly backend: string;
  readonly device: string;
  readonly loadSeconds: number;
  /** A family that boosts terms: the strength it boosts them at when the vocabulary sets none. */
  readonly defaultBoostStrength?: number;
  /**
   * A file job's decoding: the job's options, the vocabulary's `terms` (for a decoder prompt or boosting, with its strength) and the config's
   * decoding defaults (where the job sets none) made the family's. The options were checked (checkJobOptions) first.
   */
  fileDecoding(options: TranscriptionOptions, terms: JobTerms, decoding?: DecodingDefaults): FileDecoding;
  /**
   * Starts a live dictation's engine session with the family's own live policy (its part of `policy`); each
   * utterance's final pass is transcribe() with the job's options (checked first), the vocabulary's `terms` and the
   * config's decoding defaults, as a file job's would be. Events reach `onEvent` in order.
   */
  startLive(
    options: TranscriptionOptions,
    terms: JobTerms,
    decoding: DecodingDefaults | undefined,
    policy: LivePolicy,
    onEvent: (event: StreamEvent) => void,
  ): LiveDictation;
  /** The vocabulary terms a job without a prompt of its own gives the decoder (none without `capabilities.prompt`). */
  promptTerms(terms: readonly string[]): string[];
  /** MLX's allocator figures while the model runs on MLX, else null. */
  memory(): BackendMemory | null;
  /** Releases its memory once any running job ends. */
  free(): void;
}

/**
 * A model's capabilities as jobs see them: the engine's (what its family can do), with the language codes a job may
 * name, which the family decides (Whisper's tokenizer, a Parakeet model's catalog entry).
 */
export function capabilitiesOf(
  family: ModelFamily,
  engine: FamilyCapabilities,
  languages: readonly string[] | null,
): ModelCapabilities {
  return {
    family,
    languages: languages && [...languages],
    translate: engine.translate,
    prompt: engine.prompt,
    boosting: engine.boosting,
    decodingOptions: engine.decodingOptions,
    streaming: engine.streaming,
  };
}

/**
 * Runs an engine job to its end, cancelling it when `signal` aborts: the job then fails with the signal's reason (why
 * it was stopped) rather than the engine's CancelledError.
 */
export async function settleJob<T>(start: () => Job<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted(); // a listener added to an aborted signal is never called
  const job = start();
  const cancel = () => job.cancel();
  signal.addEventListener("abort", cancel, { once: true });
  try {
    return await job.promise;
  } catch (error) {
    if (error instanceof CancelledError && signal.reason instanceof Error) throw signal.reason;
    throw error;
  } finally {
    signal.removeEventListener("abort", cancel);
  }
}

/** Mel frames a second: openai's `seek` unit, which every family's segments report. */
const SEEK_FRAMES_PER_SECOND = 100;

/** The segment `seconds` later, its token timings and words too. */
export function shiftSegment(segment: Segment, seconds: number): Segment {
  if (seconds === 0) return segment;
  return {
    ...segment,
    // openai's seek: where its window starts, in mel frames (100 a second) of the whole file.
    seek: segment.seek + Math.round(seconds * SEEK_FRAMES_PER_SECOND),
    start: segment.start + seconds,
    end: segment.end + seconds,
    ...(segment.tokenTimings && {
      tokenTimings: segment.tokenTimings.map((t) => ({ ...t, start: t.start + seconds, end: t.end + seconds })),
    }),
    ...(segment.words && {
      words: segment.words.map((w) => ({ ...w, start: w.start + seconds, end: w.end + seconds })),
    }),
  };
}
