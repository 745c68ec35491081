// Whisper's side of a job: the engine's options from a job's (the vocabulary's terms in the decoder prompt, the
// config's decoding defaults, openai's clips and hallucination rule), one transcribe() of a window with its live text,
// and the engine's segments as clients get them (text, words, times on the file's timeline). Files (whisper-family.ts)
// and dictations share it.
import { type Segment, type TranscribeOptions, type WhisperModel } from "@verbatim/native";
import {
  DECODING_OPTION_NAMES,
  type DecodingOptionName,
  type SegmentData,
  type TranscriptionOptions,
} from "../../protocol";
import { StreamingDecoder, wordsFromTimings, type Tokenizer } from "../../tokenizer";
import { decoderPrompt } from "./decoder-prompt";
import { settleJob, shiftSegment, type DecodingDefaults, type WindowCallbacks, type WindowPlace } from "../family";

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

/**
 * One transcribe() on the engine; its segments are placed at `place.offset` seconds in the file and end no later
 * than `place.end`, the end of the audio they came from. `words`: the job asked for them (the engine may time words
 * for its own rules without). Resolves with the language it decoded in and the token ids of its segments.
 */
export async function transcribeWindow(
  model: WhisperModel,
  tokenizer: Tokenizer,
  samples: Float32Array | string,
  options: TranscribeOptions,
  place: WindowPlace,
  callbacks: WindowCallbacks,
  signal: AbortSignal,
  words: boolean,
): Promise<{ language: string | null; tokens: number[] }> {
  const tokens: number[] = [];
  let live = new StreamingDecoder(tokenizer);
  let attempt = "";
  const result = await settleJob(
    () =>
      model.transcribe(samples, options, (event) => {
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
            tokens.push(...event.segment.tokens);
            callbacks.onSegment(segment, decoded);
          }
        } else {
          callbacks.onProgress(event.totalFrames ? event.doneFrames / event.totalFrames : null);
        }
      }),
    signal,
  );
  return { language: result.language, tokens };
}
