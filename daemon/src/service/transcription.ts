// One transcription: audio in (a file, or uploaded bytes), the warm model, live text as tokens are chosen,
// final segments (with words when asked), and the finished transcript.
import { mkdtemp, rm } from "node:fs/promises";
import path from "node:path";
import { CancelledError, type Segment, type TranscribeOptions } from "@verbatim/native";
import { decodeAudioToFile } from "../audio";
import type { SegmentData, TranscriptData, TranscriptionOptions } from "../protocol";
import { StreamingDecoder, wordsFromTimings, type Tokenizer } from "../tokenizer";
import { decoderPrompt } from "../vocabulary/decoder-prompt";
import { Replacer } from "../vocabulary/replacements";
import { EMPTY_VOCABULARY, type Vocabulary } from "../vocabulary/vocabulary";
import type { ActiveModel, EngineHost, LoadProgressListener } from "./engine-host";

export interface TranscriptionCallbacks {
  /** Provisional text as it is decoded; `restart` discards the provisional text since the last segment. */
  onText(text: string, restart: boolean): void;
  /** `decoded`: the engine's segment behind it (its tokens and decoding figures). */
  onSegment(segment: SegmentData, decoded: Segment): void;
  onProgress(stage: "decoding" | "transcribing", fraction: number | null): void;
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
}

export async function transcribe(
  job: TranscriptionJob,
  host: EngineHost,
  callbacks: TranscriptionCallbacks,
  signal: AbortSignal,
): Promise<TranscriptData> {
  callbacks.onProgress("decoding", null);
  const folder = await mkdtemp(path.join(job.scratchDir, "decoded-"));
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
  const audio = await untilAborted(decodeAudioToFile(job.file, samplesFile, { signal }), signal);
  if (job.options.model) {
    void host.select(job.options.model).catch(() => undefined); // failures surface through ready()
  }
  const active = await host.ready(job.readyTimeoutMs, callbacks.onModelProgress, signal);
  const notice = host.describe().notice;
  if (notice) callbacks.onNotice(notice);

  const vocabulary = job.vocabulary ?? EMPTY_VOCABULARY;
  const replacer = new Replacer(vocabulary.replacements);
  const segments: SegmentData[] = [];
  const tokens: number[] = [];
  let language = job.options.language ?? null;
  if (audio.sampleCount > 0) {
    const result = await runEngine(
      active,
      samplesFile,
      engineOptions(active.tokenizer, job.options, vocabulary.terms),
      { ...callbacks, onSegment: (segment, decoded) => callbacks.onSegment(replacer.segment(segment), decoded) },
      { segments, tokens },
      signal,
    );
    language = result.language;
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

/** The engine's options for a job; the vocabulary's `terms` go into the decoder prompt before the job's own prompt. */
export function engineOptions(
  tokenizer: Tokenizer,
  options: TranscriptionOptions,
  terms: readonly string[] = [],
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
  return engine;
}

/** openai's fallback from a first temperature: up in steps of 0.2 to 1 (whisper's temperature_increment_on_fallback). */
function fallbackTemperatures(first: number): number[] {
  const temperatures: number[] = [];
  for (let step = 0; first + step * 0.2 <= 1 + 1e-6; step++)
    temperatures.push(Math.round((first + step * 0.2) * 100) / 100);
  return temperatures;
}

async function runEngine(
  active: ActiveModel,
  samples: Float32Array | string,
  options: TranscribeOptions,
  callbacks: TranscriptionCallbacks,
  collected: { segments: SegmentData[]; tokens: number[] },
  signal: AbortSignal,
): Promise<{ language: string | null }> {
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
      const segment = segmentData(tokenizer, event.segment, options.language);
      if (segment) {
        collected.segments.push(segment);
        collected.tokens.push(...event.segment.tokens);
        callbacks.onSegment(segment, event.segment);
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

export function segmentData(tokenizer: Tokenizer, segment: Segment, language: string | undefined): SegmentData | null {
  const text = tokenizer.decode(segment.tokens).trim();
  if (!text) return null;
  const data: SegmentData = { start: segment.start, end: segment.end, text };
  if (segment.tokenTimings) {
    data.words = wordsFromTimings(tokenizer, segment.tokenTimings, language ?? "en").map((word) => ({
      word: word.word,
      start: word.start,
      end: word.end,
      probability: word.probability,
    }));
  }
  return data;
}
