// One transcription: audio in (a file, or uploaded bytes), the warm model, live text as tokens are chosen,
// final segments (with words when asked), and the finished transcript. With `vad`, only the windows of speech the
// voice activity detector finds are decoded, each placed back on the file's own timeline; with `clipTimestamps`,
// only those clips (openai's clip_timestamps, done by the engine).
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { CancelledError, type Segment, type TranscribeOptions } from "@verbatim/native";
import { decodeAudioToFile } from "../audio";
import { findSpeech, speechWindows, type SampleSpan } from "../audio/speech-regions";
import { createVoiceActivityDetector } from "../audio/voice-activity";
import {
  DECODING_OPTION_NAMES,
  ProtocolError,
  type DecodingOptionName,
  type SegmentData,
  type TranscriptData,
  type TranscriptionOptions,
} from "../protocol";
import { languageName, StreamingDecoder, unknownLanguage, wordsFromTimings, type Tokenizer } from "../tokenizer";
import { decoderPrompt } from "../vocabulary/decoder-prompt";
import { Replacer } from "../vocabulary/replacements";
import { EMPTY_VOCABULARY, type Vocabulary } from "../vocabulary/vocabulary";
import type { DecodingDefaults } from "./config";
import { diskError } from "./disk-error";
import type { ActiveModel, EngineHost, LoadProgressListener } from "./engine-host";

export interface TranscriptionCallbacks {
  /** Provisional text as it is decoded; `restart` discards the provisional text since the last segment. */
  onText(text: string, restart: boolean): void;
  /** `decoded`: the engine's segment behind it (its tokens and decoding figures). */
  onSegment(segment: SegmentData, decoded: Segment): void;
  onProgress(stage: "decoding" | "detecting" | "transcribing", fraction: number | null): void;
  onModelProgress: LoadProgressListener;
  onNotice(message: string): void;
}

export interface TranscriptionJob {
  /** Path of the audio file (uploads are written to a temporary file first). */
  file: string;
  /** Where the decoded samples are written while the job runs (a folder of their own, removed after). */
  scratchDir: string;
  options: TranscriptionOptions;
  readyTimeoutMs: number;
  /** Terms condition the decoder prompt; replacements apply to segments and the transcript. */
  vocabulary?: Vocabulary;
  /** Whether to decode only speech when the job's options do not say (config fileVad). */
  fileVad?: boolean;
  /** Beam search, best-of and fallback thresholds where the job's options do not say (config); absent: the engine's. */
  decoding?: DecodingDefaults;
}

const SAMPLE_RATE = 16_000;
/** Mel frames a second (a hop of 160 samples). */
const FRAMES_PER_SECOND = 100;

export async function transcribe(
  job: TranscriptionJob,
  host: EngineHost,
  callbacks: TranscriptionCallbacks,
  signal: AbortSignal,
): Promise<TranscriptData> {
  callbacks.onProgress("decoding", null);
  const folder = await scratch(mkdtemp(path.join(job.scratchDir, "decoded-")), job.scratchDir);
  try {
    return await transcribeDecoded(job, path.join(folder, "samples.f32"), host, callbacks, signal);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/**
 * Decodes the audio to `samplesFile` (16 kHz float samples, written as decoded) and has the engine read it there a
 * window at a time: memory does not grow with the length of the recording.
 */
async function transcribeDecoded(
  job: TranscriptionJob,
  samplesFile: string,
  host: EngineHost,
  callbacks: TranscriptionCallbacks,
  signal: AbortSignal,
): Promise<TranscriptData> {
  const decoded = scratch(decodeAudioToFile(job.file, samplesFile, { signal }), job.scratchDir);
  const audio = await untilAborted(decoded, signal);
  // Without a model of its own, the job runs on the loaded one, even while a switch loads another.
  const active = await host.ready(job.readyTimeoutMs, callbacks.onModelProgress, signal, job.options.model);
  const notice = host.describe().notice;
  if (notice) callbacks.onNotice(notice);
  checkSupported(active, job.options);

  return host.hold(active, () => transcribeOnModel(job, audio, samplesFile, active, callbacks, signal));
}

/** The file's speech (or all of it) through the engine, a window at a time. */
async function transcribeOnModel(
  job: TranscriptionJob,
  audio: Awaited<ReturnType<typeof decodeAudioToFile>>,
  samplesFile: string,
  active: ActiveModel,
  callbacks: TranscriptionCallbacks,
  signal: AbortSignal,
): Promise<TranscriptData> {
  const vocabulary = job.vocabulary ?? EMPTY_VOCABULARY;
  const replacer = new Replacer(vocabulary.replacements);
  const segments: SegmentData[] = [];
  const tokens: number[] = [];
  const options = fileEngineOptions(active.tokenizer, job.options, vocabulary.terms, job.decoding);
  // Clips say what to decode: the voice activity detector is not asked (the protocol refuses vad true with them).
  const clipped = (job.options.clipTimestamps?.length ?? 0) > 0;
  const windows =
    audio.sampleCount > 0 && !clipped && (job.options.vad ?? job.fileVad ?? false)
      ? await speechOnly(samplesFile, audio.sampleCount, callbacks, signal)
      : [{ start: 0, end: audio.sampleCount }];
  const total = windows.reduce((sum, window) => sum + window.end - window.start, 0);
  let done = 0;
  // English-only models speak English even when no window of speech was found.
  let language = job.options.language ?? (active.tokenizer.special.multilingual ? null : "en");
  for (const window of windows.filter((w) => w.end > w.start)) {
    const all = window.start === 0 && window.end === audio.sampleCount;
    const input = all ? samplesFile : await scratch(windowFile(samplesFile, window), job.scratchDir);
    const length = window.end - window.start;
    const result = await runEngine(
      active,
      input,
      options,
      { offset: window.start / SAMPLE_RATE, end: window.end / SAMPLE_RATE },
      {
        ...callbacks,
        onSegment: (segment, decoded) => callbacks.onSegment(replacer.segment(segment), decoded),
        onProgress: (stage, fraction) =>
          callbacks.onProgress(stage, fraction === null ? null : (done + fraction * length) / total),
      },
      { segments, tokens },
      signal,
      job.options.wordTimestamps ?? false,
    );
    done += length;
    // As transcribe() does for its windows: the language detected first holds for the rest of the file.
    language = result.language ?? language;
    if (language && active.tokenizer.special.multilingual) options.language = language;
  }
  return replacer.transcript({
    // Decoded as a whole, so that languages written without spaces get none between segments.
    text: active.tokenizer.decode(tokens).trim(),
    language,
    durationSeconds: audio.durationSeconds,
    segments,
    model: active.id,
    backend: active.info.backend,
  });
}

/** Writing the job's decoded audio into `folder`: a disk that does not take it is told as such (a DiskError). */
async function scratch<T>(writing: Promise<T>, folder: string): Promise<T> {
  try {
    return await writing;
  } catch (error) {
    throw diskError(error, "the job's decoded audio", folder) ?? error;
  }
}

/**
 * The work's outcome, or the signal's reason as soon as it aborts. A read stuck in the kernel (a stalled network
 * mount) cannot be interrupted; the job ends anyway, so neither the jobs behind it nor a shutdown wait for it.
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/**
 * What the loaded model cannot do is refused (unsupported, a client's error), rather than quietly done otherwise or
 * failing in the engine: translation with an English-only model, a language it was not trained on.
 */
export function checkSupported(active: ActiveModel, options: TranscriptionOptions): void {
  const { multilingual } = active.tokenizer.special;
  if (options.task === "translate" && !multilingual) {
    throw new ProtocolError(
      "unsupported",
      `${active.id} is an English-only model and cannot translate; use a multilingual model (such as large-v3 or small) for task "translate", or task "transcribe"`,
    );
  }
  const language = options.language;
  const known = multilingual ? active.tokenizer.languages : ["en"];
  if (language === undefined || known.includes(language)) return;
  const unknown = unknownLanguage(language);
  if (unknown) throw new ProtocolError("unsupported", unknown);
  throw new ProtocolError(
    "unsupported",
    multilingual
      ? `${active.id} was not trained on the language "${language}" (${languageName(language)}); use a model that ` +
          "was (large-v3 knows the most), or no language, to have it detected"
      : `${active.id} is an English-only model and cannot transcribe "${language}" (${languageName(language)}); ` +
          'use a multilingual model (such as large-v3 or small) for it, or language "en"',
  );
}

/**
 * The windows of speech in the samples (at most 30 s each, or one span of speech that runs longer), found by the
 * voice activity detector. Where none can be had, the whole file, with a notice saying so.
 */
async function speechOnly(
  samplesFile: string,
  sampleCount: number,
  callbacks: TranscriptionCallbacks,
  signal: AbortSignal,
): Promise<SampleSpan[]> {
  let detector;
  try {
    const created = await createVoiceActivityDetector();
    if (created.notice) callbacks.onNotice(created.notice);
    detector = created.detector;
  } catch (error) {
    callbacks.onNotice(
      `No voice activity detector could be loaded (${(error as Error).message}); the whole file is transcribed.`,
    );
    return [{ start: 0, end: sampleCount }];
  }
  callbacks.onProgress("detecting", 0);
  const speech = await findSpeech(
    samplesFile,
    sampleCount,
    detector,
    (fraction) => callbacks.onProgress("detecting", fraction),
    signal,
  );
  return speechWindows(speech);
}

/** A window's samples in a file of their own, beside the samples file: the engine reads it 30 s at a time. */
async function windowFile(samplesFile: string, window: SampleSpan): Promise<string> {
  const file = `${samplesFile}.window`;
  await pipeline(
    createReadStream(samplesFile, { start: window.start * 4, end: window.end * 4 - 1 }),
    createWriteStream(file),
  );
  return file;
}

/**
 * The engine's options for a job; the vocabulary's `terms` go into the decoder prompt before the job's own prompt.
 * Each decoding option (beamSize, bestOf, patience, lengthPenalty, the fallback thresholds) is the job's, else
 * `decoding`'s (the config's), else left to the engine. In a dictation they shape each utterance's final pass only:
 * the engine's live updates decode greedily with their own policy.
 */
export function engineOptions(
  tokenizer: Tokenizer,
  options: TranscriptionOptions,
  terms: readonly string[] = [],
  decoding?: DecodingDefaults,
): TranscribeOptions {
  const engine: TranscribeOptions = {
    task: options.task ?? "transcribe",
    wordTimestamps: options.wordTimestamps ?? false,
    suppressTokens: tokenizer.resolveSuppressTokens("-1"),
  };
  if (options.language) engine.language = options.language;
  if (options.temperature) engine.temperatures = fallbackTemperatures(options.temperature);
  const prompt = decoderPrompt(tokenizer, terms, options.prompt);
  if (prompt.length > 0) engine.initialPrompt = prompt;
  for (const name of DECODING_OPTION_NAMES) {
    const value = options[name] !== undefined ? options[name] : decoding?.[name];
    if (value !== undefined) (engine as Record<DecodingOptionName, number | null>)[name] = value;
  }
  return engine;
}

/**
 * engineOptions plus what only file jobs have: openai's clips, and its hallucination silence threshold, whose rules
 * judge words: words are timed for it (openai's needs word_timestamps), and reported only when the job asks.
 */
export function fileEngineOptions(
  tokenizer: Tokenizer,
  options: TranscriptionOptions,
  terms: readonly string[] = [],
  decoding?: DecodingDefaults,
): TranscribeOptions {
  const engine = engineOptions(tokenizer, options, terms, decoding);
  if (options.clipTimestamps && options.clipTimestamps.length > 0) engine.clipTimestamps = [...options.clipTimestamps];
  if (options.hallucinationSilenceThreshold !== undefined) {
    engine.hallucinationSilenceThreshold = options.hallucinationSilenceThreshold;
    engine.wordTimestamps = true;
  }
  return engine;
}

/** openai's fallback from a first temperature: up in steps of 0.2 to 1 (whisper's temperature_increment_on_fallback). */
function fallbackTemperatures(first: number): number[] {
  const temperatures: number[] = [];
  for (let step = 0; first + step * 0.2 <= 1 + 1e-6; step++)
    temperatures.push(Math.round((first + step * 0.2) * 100) / 100);
  return temperatures;
}

/**
 * One transcribe() on the engine; its segments are placed at `place.offset` seconds in the file and end no later
 * than `place.end`, the end of the audio they came from. `words`: the job asked for them (the engine may time words
 * for its own rules without).
 */
async function runEngine(
  active: ActiveModel,
  samples: Float32Array | string,
  options: TranscribeOptions,
  place: { offset: number; end: number },
  callbacks: TranscriptionCallbacks,
  collected: { segments: SegmentData[]; tokens: number[] },
  signal: AbortSignal,
  words: boolean,
): Promise<{ language: string | null }> {
  signal.throwIfAborted(); // a listener added to an aborted signal is never called
  const { tokenizer } = active;
  let live = new StreamingDecoder(tokenizer);
  let attempt = "";
  const job = active.model.transcribe(samples, options, (event) => {
    if (event.type === "token") {
      const thisAttempt = `${event.windowStart}/${event.temperature}`;
      const restart = thisAttempt !== attempt;
      if (restart) live = new StreamingDecoder(tokenizer);
      attempt = thisAttempt;
      const text = live.push([event.token]);
      if (text || restart) callbacks.onText(text, restart);
    } else if (event.type === "segment") {
      attempt = "";
      const decoded = shiftSegment(words ? event.segment : withoutWords(event.segment), place.offset);
      const segment = segmentData(tokenizer, decoded, options.language, place.end);
      if (segment) {
        collected.segments.push(segment);
        collected.tokens.push(...event.segment.tokens);
        callbacks.onSegment(segment, decoded);
      }
    } else {
      callbacks.onProgress("transcribing", event.totalFrames ? event.doneFrames / event.totalFrames : null);
    }
  });
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

/** The segment `seconds` later, its token timings and words too. */
export function shiftSegment(segment: Segment, seconds: number): Segment {
  if (seconds === 0) return segment;
  return {
    ...segment,
    // openai's seek: where its window starts, in mel frames (100 a second) of the whole file.
    seek: segment.seek + Math.round(seconds * FRAMES_PER_SECOND),
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

/** The segment without its word timings (timed for the engine's own rules, not asked for by the job). */
function withoutWords(segment: Segment): Segment {
  const bare = { ...segment };
  delete bare.tokenTimings;
  delete bare.words;
  return bare;
}

/**
 * A segment as clients get it: its text, and its words when timed. Every time a client sees passes through here, and
 * none ends after `audioEnd`, the end of the audio the segment came from (the model may place a timestamp past the
 * end of a short recording: its window is padded to 30 s).
 */
export function segmentData(
  tokenizer: Tokenizer,
  segment: Segment,
  language: string | undefined,
  audioEnd: number,
): SegmentData | null {
  const text = tokenizer.decode(segment.tokens).trim();
  if (!text) return null;
  const within = (seconds: number) => Math.min(seconds, audioEnd);
  const data: SegmentData = { start: within(segment.start), end: within(segment.end), text };
  if (segment.tokenTimings) {
    data.words = wordsFromTimings(tokenizer, segment.tokenTimings, language ?? "en").map((word) => ({
      word: word.word,
      start: within(word.start),
      end: within(word.end),
      probability: word.probability,
    }));
  }
  return data;
}
