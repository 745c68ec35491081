// The engine's public types: token ids in and out (text lives in the tokenizer), times in seconds.

export interface BuildInfo {
  /** The BLAS library the portable CPU backend uses ("Accelerate" or "OpenBLAS"). */
  blas: string;
  /** Engine backends compiled into this build: "cpu" (the portable CPU backend) and "mlx" when MLX was found. */
  backends: string[];
  /** MLX is built in and has a GPU on this machine (Metal on a Mac). */
  mlxGpu: boolean;
  /**
   * Why MLX, built in, has no GPU here: MLX's own reason (no Metal device, its Metal kernels rejected) or
   * VERBATIM_NO_GPU=1; null when it has one or is not built in. Absent from builds older than it.
   */
  mlxGpuProblem?: string | null;
}

/**
 * "auto": MLX on the GPU when it is built in and has one, else the portable CPU backend (MLX's own CPU backend is
 * far slower than it).
 * "mlx": MLX (on its GPU when it has one); loading fails when this build has no MLX. "cpu": the portable CPU backend.
 */
export const BACKENDS = ["auto", "cpu", "mlx"] as const;
export type Backend = (typeof BACKENDS)[number];

export interface LoadOptions {
  backend?: Backend;
  /**
   * Worker threads for the portable CPU backend; 0 or absent: one per hardware thread (on Apple silicon, one per
   * performance core).
   */
  threads?: number;
  /**
   * MLX only (the portable CPU backend ignores them), and for the whole process: how much freed memory MLX keeps
   * for reuse (0: none), and how much it keeps resident on the GPU (macOS 15 or later; at most the GPU's
   * recommended working set, else loading fails with InvalidArgumentError).
   */
  mlxCacheLimitBytes?: number;
  mlxWiredLimitBytes?: number;
  /**
   * Parakeet and Nemotron: pack the float weight matrices at load to MLX's affine 8 or 4 bits (groups of 64), as config.json's
   * "quantize" does (this option wins over it): about half or a quarter of the memory of 16 bits. A folder that is
   * MLX-quantized already, and a Whisper model (its MLX repositories come packed), fail with InvalidArgumentError.
   */
  quantize?: "8bit" | "4bit";
}

export interface ModelDims {
  nMels: number;
  nAudioCtx: number;
  nAudioState: number;
  nAudioHead: number;
  nAudioLayer: number;
  nVocab: number;
  nTextCtx: number;
  nTextState: number;
  nTextHead: number;
  nTextLayer: number;
}

export type AlignmentHeads = Array<[layer: number, head: number]>;

/** What a model family can do (the engine's FamilyCapabilities): shared code asks these, never the family. */
export interface FamilyCapabilities {
  languageDetection: boolean;
  chooseLanguage: boolean;
  translate: boolean;
  /** A decoder prompt: previous text and the user's vocabulary terms. */
  prompt: boolean;
  /** The user's vocabulary terms boosted while decoding (BoostOptions). */
  boosting: boolean;
  /** Whisper's beam size, temperatures, fallback and logit filters. */
  decodingOptions: boolean;
  wordTimestamps: boolean;
  streaming: boolean;
  /** Language codes the model knows (empty: English-only, or not said by the model). */
  languages: string[];
}

export type ModelFamilyName = "whisper" | "parakeet" | "nemotron";

interface ModelInfoCommon {
  family: ModelFamilyName;
  /** Token ids are [0, nVocab). */
  nVocab: number;
  /** The family's own named sizes (Parakeet: dModel, layers, heads, ...); empty for Whisper (see dims). */
  sizes: Record<string, number>;
  capabilities: FamilyCapabilities;
  /** The backend the model runs on: "mlx" or "cpu" (the portable CPU backend). */
  backend: string;
  /** Where it computes: "gpu" or "cpu". */
  device: string;
  weightsPath: string;
  loadSeconds: number;
  quantization: { bits: number; groupSize: number } | null;
  /** Heads from the model's own `alignment_heads` tensor (often the uncurated default: prefer the curated table). */
  storedAlignmentHeads: AlignmentHeads;
}

/** A Whisper model's description. */
export interface ModelInfo extends ModelInfoCommon {
  family: "whisper";
  dims: ModelDims;
  vocabulary: null;
}

/** A Parakeet TDT model's description: its SentencePiece pieces come with it (config.json's joint.vocabulary). */
export interface ParakeetModelInfo extends ModelInfoCommon {
  family: "parakeet";
  dims: null;
  vocabulary: string[];
}

/**
 * A Nemotron Speech Streaming model's description (transformers' layout): its pieces come with it (tokenizer.json);
 * sizes include rightContext (the default chunk's) and leftContext, in encoder frames of 80 ms.
 */
export interface NemotronModelInfo extends ModelInfoCommon {
  family: "nemotron";
  dims: null;
  vocabulary: string[];
}

/**
 * A Nemotron job or live session: `rightContext`, the encoder frames (80 ms) a chunk looks ahead, one of the model's
 * supported ones (NVIDIA's: 13, 6, 1, 0 = chunks of 1120, 560, 160, 80 ms; default the model's own);
 * `language`, Nemotron 3.5 only: a key of its prompt dictionary ("de", "de-DE"; default its "auto" slot); the prompt
 * is its language lock (no piece mask: native/NEMOTRON.md). Vocabulary terms are boosted as on Parakeet.
 */
export interface NemotronOptions extends BoostOptions {
  rightContext?: number;
  language?: string;
}

/** A Parakeet transcription: tokens timed by the transducer (80 ms frames), words made of them, the text. */
export interface ParakeetTranscript {
  text: string;
  tokens: Array<{ id: number; text: string; start: number; end: number; probability: number }>;
  /** A word starts at a piece beginning with "▁"; its probability is its least probable token's; `tokens`: its ids. */
  words: Array<{ text: string; start: number; end: number; probability: number; tokens: number[] }>;
}

/**
 * How a Parakeet model reads a long file: in chunks of `chunkSeconds` (default 120, at most 1200) overlapping by
 * `chunkOverlapSeconds` (default 15 or half a chunk, whichever is less; at most half a chunk), their tokens merged on
 * their times as parakeet-mlx does. A file no longer than a chunk is decoded whole.
 */
export interface ParakeetTranscribeOptions extends BoostOptions, LanguageLockOptions {
  chunkSeconds?: number;
  chunkOverlapSeconds?: number;
}

/**
 * Vocabulary terms a transducer favours while it decodes (NeMo's phrase boosting: native/src/engine/transducer/
 * phrase_boost.h): each term is split into the model's pieces (ParakeetModel.termPieces), and wherever the model emits
 * a token, a piece that begins or continues a term gets `boostStrength` x its score (1 + ln(depth)) added to its logit;
 * whether the model emits a token at all stays its own decision.
 */
export interface BoostOptions {
  boostTerms?: readonly string[];
  /** Logits a term's piece is worth, 0 to 50 (0: no boosting). Default 4, Parakeet's (test/bench/README.md); the daemon passes each family's own. */
  boostStrength?: number;
}

/**
 * A multilingual transducer locked to one language (language-lock.ts): `language` (an ISO 639-1 code of
 * LOCK_LANGUAGES) keeps the decoder to the pieces of the model's vocabulary that the language can write (its letters,
 * and the punctuation, digits and special pieces every language shares); the engine takes them as suppressTokens.
 * Absent: the model chooses among all of its pieces (it recognizes its languages itself).
 */
export interface LanguageLockOptions {
  language?: string;
}

/** MLX's allocator, shared by every MLX model in the process. */
export interface BackendMemory {
  activeBytes: number;
  /** The most held at once since the process started. */
  peakBytes: number;
  /** Freed buffers MLX keeps for reuse. */
  cacheBytes: number;
}

/** The engine's memory in this process. */
export interface EngineMemory {
  /** The pages of the files the engine has mapped (the models' weights) that are in memory now. */
  mappedFilesBytes: number;
  /** The C heap in use (the engine's buffers, and everything else malloc gave out); null where the allocator does not say. */
  heapInUseBytes: number | null;
}

export interface TranscribeOptions {
  /** Language code ("en", "de", …); absent: detected from the first 30 s (multilingual models). */
  language?: string;
  task?: "transcribe" | "translate";
  /** Decode timestamp tokens (segments then follow the speech); default true. */
  timestamps?: boolean;
  /**
   * Time every text token from the alignment heads' cross-attention, and make openai's words of them: windows then
   * seek to the last word's end and segments start and end with their words, as openai's transcribe() does.
   */
  wordTimestamps?: boolean;
  /** Default: the curated heads of a known OpenAI model, else the heads stored with the weights. */
  alignmentHeads?: AlignmentHeads;
  /** Fallback temperatures; default [0, 0.2, 0.4, 0.6, 0.8, 1]. */
  temperatures?: number[];
  /** null switches a fallback rule off. Defaults 2.4, -1, 0.6. */
  compressionRatioThreshold?: number | null;
  logprobThreshold?: number | null;
  noSpeechThreshold?: number | null;
  conditionOnPreviousText?: boolean;
  /** Token ids of a prompt that conditions the first window. */
  initialPrompt?: number[];
  /** Token ids never to emit (the vocabulary's non-speech symbols). */
  suppressTokens?: number[];
  suppressBlank?: boolean;
  /**
   * openai's clip_timestamps: start, end, start, end, … seconds of the audio to transcribe (a last start without an
   * end runs to the end of the audio). Absent or empty: all of it.
   */
  clipTimestamps?: number[];
  /**
   * openai's hallucination_silence_threshold (seconds; only with wordTimestamps): a segment of doubtful words with
   * more silence than this around it is dropped, and the silence before a doubtful first segment is skipped.
   */
  hallucinationSilenceThreshold?: number | null;
  /** Seconds; null lifts the limit on the first timestamp. Default 1. */
  maxInitialTimestamp?: number | null;
  sampleLen?: number;
  /** Seed for sampling at temperatures above 0. */
  seed?: number;
  /** At temperature 0: openai's beam search with this many beams (1 to 64); default 1, greedy decoding. */
  beamSize?: number;
  /** Beam search ends when round(beamSize × patience) sequences have finished; default 1. */
  patience?: number;
  /** Above temperature 0: this many samples per temperature (1 to 64), the most probable kept; default 1. */
  bestOf?: number;
  /**
   * How beams and samples are ranked: null or absent, by log-probability per token; a number L from 0 to 1, by
   * log-probability / ((5 + length) / 6) ^ L (Google NMT's penalty, as openai).
   */
  lengthPenalty?: number | null;
}

export interface TokenTiming {
  token: number;
  start: number;
  end: number;
  probability: number;
}

/**
 * A word as openai's transcribe() makes it (timing.py add_word_timestamps: long words cut at pauses and sentence
 * ends, punctuation joined to its word): its tokens (text lives in the tokenizer), times rounded to 0.01 s.
 */
export interface SegmentWord {
  tokens: number[];
  start: number;
  end: number;
  /** Mean probability of the word's own tokens. */
  probability: number;
}

export interface Segment {
  /** Mel frame where the segment's 30 s window starts. */
  seek: number;
  start: number;
  end: number;
  /** Text and timestamp token ids. */
  tokens: number[];
  temperature: number;
  avgLogprob: number;
  compressionRatio: number;
  noSpeechProb: number;
  tokenTimings?: TokenTiming[];
  /** With wordTimestamps: openai's words; the segment's start and end are theirs (absent when it has none). */
  words?: SegmentWord[];
}

/** A token as it is chosen: provisional (a fallback or the next window may decode it again); segments are final. */
export interface TokenEvent {
  type: "token";
  token: number;
  probability: number;
  temperature: number;
  windowStart: number;
  timestamp?: number;
}

export interface SegmentEvent {
  type: "segment";
  segment: Segment;
}

export interface ProgressEvent {
  type: "progress";
  doneFrames: number;
  totalFrames: number;
}

export type TranscribeEvent = TokenEvent | SegmentEvent | ProgressEvent;

export interface TranscribeResult {
  segments: Segment[];
  language: string | null;
  languageProbabilities?: Record<string, number>;
}

export interface LanguageDetection {
  language: string | null;
  probabilities: Record<string, number>;
}

/** Work running on the engine's own thread. */
export interface Job<T> {
  promise: Promise<T>;
  /** Stops the job within one decoding step; its promise rejects with CancelledError. */
  cancel(): void;
}

/** Live recognition: the transcribe options (for each utterance's final pass and the live decode) plus the policy's. */
export interface StreamOptions extends TranscribeOptions {
  /** "alignatt" (default): commit tokens whose attention is far enough behind the newest audio. "localagreement": commit what two consecutive updates agree on (for comparison). */
  policy?: "alignatt" | "localagreement";
  /** Encoder frames (20 ms): a token attending this close to the end of the audio waits. Default 25 (0.5 s). */
  frameThreshold?: number;
  /** The same on the last update of an utterance. Default 4. */
  finalFrameThreshold?: number;
  /** An attention jump back of more than this many frames discards the update. Default 200. */
  rewindThreshold?: number;
  /** No update before this much new audio (seconds), unless the utterance ends. Default 1. */
  minChunkSeconds?: number;
  /** Most tokens of earlier text (from audio past the 30 s window) kept as context; 0: as many as fit. */
  maxContextTokens?: number;
}

/** Live recognition on a Parakeet model: its own policy (the transducer's frames and agreement between updates). */
export interface ParakeetStreamOptions extends BoostOptions, LanguageLockOptions {
  /** No update before this much new audio (seconds), unless the utterance ends. Default 1. */
  minChunkSeconds?: number;
  /** Encoder frames (80 ms): a token is committed once its end is this far behind the newest audio. Default 2. */
  marginFrames?: number;
}

/** After each live update: newly committed text (never taken back until the utterance's final text replaces it). */
export interface CommittedEvent {
  type: "committed";
  utterance: number;
  tokens: number[];
  /** UTF-8 safe: a character split across tokens appears once all its bytes are committed. */
  text: string;
  /** The utterance's current guess after everything committed; the next update replaces it. */
  tentativeTokens: number[];
  tentativeText: string;
  /** Seconds of audio the session had received when this update ran. */
  audioSeconds: number;
}

export interface StreamUtterance {
  index: number;
  /** Seconds from the start of the session. */
  start: number;
  end: number;
  /** The final pass over the utterance's audio, as transcribe() gives it; times from the start of the session. */
  segments: Segment[];
  language: string | null;
  text: string;
  /** The text the live updates had committed. */
  liveText: string;
}

export interface UtteranceEvent {
  type: "utterance";
  utterance: StreamUtterance;
}

export interface StreamErrorEvent {
  type: "error";
  error: Error;
}

export type StreamEvent = CommittedEvent | UtteranceEvent | StreamErrorEvent;

export interface StreamTranscript {
  utterances: StreamUtterance[];
  /** The utterances' final texts joined. */
  text: string;
}

/** A stretch of speech of one speaker (seconds); speakers are numbered from 0 in the order they first speak. */
export interface SpeakerSegment {
  speaker: number;
  start: number;
  end: number;
}

/** Each speaker's probability of speaking, frame by frame: frames × speakers values, row-major. */
export interface SpeakerActivity {
  frameSeconds: number;
  speakers: number;
  probabilities: Float32Array;
}

/** A loaded speaker model: its most speakers, frame length and streaming modes (chunk and look-ahead, encoder frames). */
export interface SpeakerModelInfo {
  speakers: number;
  frameSeconds: number;
  encoderFrameSeconds: number;
  streamingModes: { name: string; chunkFrames: number; rightContextFrames: number }[];
  streamingMode: string;
  /** The backend the model runs on: "mlx" or "cpu" (the portable CPU backend), and MLX's device ("gpu" or "cpu"). */
  backend: string;
  device: string;
  /** The packing its matrices were given at load (the load option or config.json's "quantize"), or null: as stored. */
  quantization: { bits: number; groupSize: number } | null;
}
