// One transcription: audio in (a file, or uploaded bytes), the warm model, live text as tokens are chosen,
// final segments (with words when asked), and the finished transcript, for every model family (the model's own
// FileDecoding decodes each window). With `vad`, only the windows of speech the voice activity detector finds are
// decoded, each placed back on the file's own timeline; with `clipTimestamps`, only those clips (openai's
// clip_timestamps, done by the engine).
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { Segment } from "@verbatim/native";
import { decodeAudioToFile } from "../audio";
import { checkJobOptions } from "../families";
import { findSpeech, speechWindows, type SampleSpan } from "../audio/speech-regions";
import { SileroVad } from "../audio/voice-activity";
import { plainSegment, plainText } from "../plain-text";
import type { SegmentData, TranscriptData, TranscriptionOptions } from "../protocol";
import { Replacer } from "../vocabulary/replacements";
import { EMPTY_VOCABULARY, withJobTerms, type Vocabulary } from "../vocabulary/vocabulary";
import type { DecodingDefaults } from "./config";
import { diskError } from "./disk-error";
import type { ActiveModel, EngineHost, LoadProgressListener } from "./engine-host";
import type { SpeakerHost } from "./speaker-host";
import { addSpeakers } from "./transcript-speakers";
import { untilAborted } from "./until-aborted";

export interface TranscriptionCallbacks {
  /** Provisional text as it is decoded; `restart` discards the provisional text since the last segment. */
  onText(text: string, restart: boolean): void;
  /** `decoded`: the engine's segment behind it (its tokens and decoding figures). */
  onSegment(segment: SegmentData, decoded: Segment): void;
  onProgress(stage: "decoding" | "detecting" | "transcribing" | "speakers", fraction: number | null): void;
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
  /** Terms condition the decoder prompt (of a model that has one); replacements apply to segments and the transcript. */
  vocabulary?: Vocabulary;
  /** Whether to decode only speech when the job's options do not say (config fileVad). */
  fileVad?: boolean;
  /** Beam search, best-of and fallback thresholds where the job's options do not say (config); absent: the engine's. */
  decoding?: DecodingDefaults;
  /** The speaker model a job with `speakers` runs after the speech model. */
  speakerHost: SpeakerHost;
}

const SAMPLE_RATE = 16_000;

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
  const speakers = job.options.speakers;
  // Speakers are placed word by word: their words must be timed.
  const options = speakers === undefined ? job.options : { ...job.options, wordTimestamps: true };
  checkJobOptions(active, options);

  const transcript = await host.hold(active, () =>
    transcribeOnModel({ ...job, options }, audio, samplesFile, active, callbacks, signal),
  );
  if (speakers === undefined) return transcript;
  return addSpeakers(transcript, samplesFile, speakers, job.speakerHost, callbacks, signal);
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
  const decoding = active.model.fileDecoding(job.options, withJobTerms(vocabulary, job.options), job.decoding);
  // Clips say what to decode: the voice activity detector is not asked (the protocol refuses vad true with them).
  const clipped = (job.options.clipTimestamps?.length ?? 0) > 0;
  const windows =
    audio.sampleCount > 0 && !clipped && (job.options.vad ?? job.fileVad ?? false)
      ? await speechOnly(samplesFile, audio.sampleCount, callbacks, signal)
      : [{ start: 0, end: audio.sampleCount }];
  const total = windows.reduce((sum, window) => sum + window.end - window.start, 0);
  let done = 0;
  // A model of one language (English-only) speaks it even when no window of speech was found.
  const languages = active.model.capabilities.languages;
  let language = job.options.language ?? (languages?.length === 1 ? languages[0] : null);
  for (const window of windows.filter((w) => w.end > w.start)) {
    const all = window.start === 0 && window.end === audio.sampleCount;
    const input = all ? samplesFile : await scratch(windowFile(samplesFile, window), job.scratchDir);
    const length = window.end - window.start;
    const result = await decoding.decodeWindow(
      input,
      { offset: window.start / SAMPLE_RATE, end: window.end / SAMPLE_RATE },
      language,
      {
        // What the model writes is shown and kept only as plain text (plain-text.ts).
        onText: (text, restart) => callbacks.onText(plainText(text), restart),
        onSegment: (segment, decoded) => {
          const plain = plainSegment(segment);
          segments.push(plain); // replaced with the whole transcript below
          callbacks.onSegment(replacer.segment(plain), decoded);
        },
        onProgress: (fraction) =>
          callbacks.onProgress("transcribing", fraction === null ? null : (done + fraction * length) / total),
      },
      signal,
    );
    tokens.push(...result.tokens);
    done += length;
    // The language detected first holds for the rest of the file.
    language = result.language ?? language;
  }
  return replacer.transcript({
    text: plainText(decoding.text(tokens)),
    language,
    durationSeconds: audio.durationSeconds,
    segments,
    model: active.id,
    backend: active.model.backend,
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
    detector = await SileroVad.create();
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
