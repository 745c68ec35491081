// A finished transcript in the response format asked for, as OpenAI's API writes each: JSON with the text, plain
// text, SubRip, WebVTT, or verbose JSON with openai's segment fields and top-level words.
import type { Segment } from "@verbatim/native";
import { formatTranscript, milliseconds } from "../formats";
import type { TranscriptData } from "../protocol";
import { LANGUAGES_WITHOUT_SPACES, languageName } from "../tokenizer";
import { diarizedJson } from "./diarized-response";
import type { AudioTask, ResponseFormat } from "./transcription-form";

export interface FormattedResponse {
  contentType: string;
  body: string;
}

/** Billing-style usage, as whisper-1 reports it: whole seconds of audio. */
export function usageOf(transcript: TranscriptData): { type: "duration"; seconds: number } {
  return { type: "duration", seconds: Math.ceil(transcript.durationSeconds) };
}

/**
 * Token usage, the only kind the `transcript.text.done` event of a stream has (openai's TranscriptionTextDoneEvent):
 * the audio's encoder positions in, the tokens decoded out.
 */
export function tokenUsageOf(transcript: TranscriptData, decoded: readonly Segment[], audioTokensPerSecond: number) {
  const audio = Math.ceil(transcript.durationSeconds * audioTokensPerSecond);
  const output = decoded.reduce((sum, segment) => sum + segment.tokens.length, 0);
  return {
    type: "tokens" as const,
    input_tokens: audio,
    input_token_details: { audio_tokens: audio },
    output_tokens: output,
    total_tokens: audio + output,
  };
}

export function formatResponse(
  format: ResponseFormat,
  transcript: TranscriptData,
  details: { task: AudioTask; decoded: readonly Segment[]; segments: boolean; words: boolean },
): FormattedResponse {
  switch (format) {
    case "json":
      return json({ text: transcript.text, usage: usageOf(transcript) });
    case "verbose_json":
      return json(verboseJson(transcript, details));
    case "text":
      return { contentType: "text/plain; charset=utf-8", body: formatTranscript("text", "", transcript) };
    case "srt":
      return { contentType: "application/x-subrip; charset=utf-8", body: formatTranscript("srt", "", transcript) };
    case "vtt":
      return { contentType: "text/vtt; charset=utf-8", body: formatTranscript("vtt", "", transcript) };
    case "diarized_json":
      return json(diarizedJson(transcript));
  }
}

function json(value: unknown): FormattedResponse {
  return { contentType: "application/json", body: JSON.stringify(value) };
}

function verboseJson(
  transcript: TranscriptData,
  details: { task: AudioTask; decoded: readonly Segment[]; segments: boolean; words: boolean },
) {
  if (details.decoded.length !== transcript.segments.length) {
    throw new Error(`the job reported ${details.decoded.length} decoded segments for ${transcript.segments.length}`);
  }
  const code = transcript.language;
  return {
    task: details.task,
    language: (code && languageName(code)?.toLowerCase()) ?? code ?? "unknown",
    duration: milliseconds(transcript.durationSeconds),
    text: transcript.text,
    ...(details.segments && {
      segments: transcript.segments.map((segment, id) => {
        const decoded = details.decoded[id];
        return {
          id,
          seek: decoded.seek,
          start: milliseconds(segment.start),
          end: milliseconds(segment.end),
          text: spacedText(segment.text, code),
          tokens: decoded.tokens,
          temperature: decoded.temperature,
          avg_logprob: decoded.avgLogprob,
          compression_ratio: decoded.compressionRatio,
          no_speech_prob: decoded.noSpeechProb,
        };
      }),
    }),
    ...(details.words && {
      words: transcript.segments.flatMap((segment) =>
        (segment.words ?? []).map((word) => ({
          word: word.word.trim(),
          start: milliseconds(word.start),
          end: milliseconds(word.end),
        })),
      ),
    }),
    usage: usageOf(transcript),
  };
}

/** Marks a token of their own carries without a space before them (the decoder's "." is never " ."). */
const CLOSING_PUNCTUATION = /^[.,!?;:)\]}。，！？：、]/;

/**
 * A segment's text as openai's decode of its tokens gives it: after a space, unless its language is written without
 * spaces or it begins with punctuation that closes what came before.
 */
function spacedText(text: string, language: string | null): string {
  if ((language && LANGUAGES_WITHOUT_SPACES.has(language)) || CLOSING_PUNCTUATION.test(text)) return text;
  return ` ${text}`;
}
