// The fields of POST /v1/audio/transcriptions and /v1/audio/translations, checked as OpenAI's API checks them.
import { unknownLanguage } from "../tokenizer";
import type { SpeakerCount } from "../speakers/speaker-count";
import { parseSpeakerFields } from "./diarization-form";
import { ApiError } from "./errors";

export const RESPONSE_FORMATS = ["json", "text", "srt", "vtt", "verbose_json", "diarized_json"] as const;
export type ResponseFormat = (typeof RESPONSE_FORMATS)[number];
export type AudioTask = "transcribe" | "translate";

export interface TranscriptionForm {
  task: AudioTask;
  model: string;
  language?: string;
  prompt?: string;
  temperature?: number;
  responseFormat: ResponseFormat;
  /** verbose_json: timestamp_granularities[] asks for words (which costs the alignment pass) and/or segments. */
  words: boolean;
  segments: boolean;
  /**
   * Server-sent events: transcript.text.delta as text is recognised, then transcript.text.done; with speakers,
   * transcript.text.segment events (once the whole file is done), then transcript.text.done.
   */
  stream: boolean;
  /** The speakers asked for (gpt-4o-transcribe-diarize, or the `speakers` field); null: none. */
  speakers: SpeakerCount | null;
}

const GRANULARITIES = ["word", "segment"];

export function parseTranscriptionForm(fields: Map<string, string[]>, task: AudioTask): TranscriptionForm {
  const one = (name: string): string | undefined => {
    const values = fields.get(name);
    if (values && values.length > 1) throw new ApiError(400, `give "${name}" once`, null, name);
    return values?.[0];
  };
  const model = one("model")?.trim();
  if (!model)
    throw new ApiError(400, 'the "model" field is required: use "whisper-1" for the daemon\'s model', null, "model");

  const responseFormat = (one("response_format")?.trim() || "json") as ResponseFormat;
  if (!RESPONSE_FORMATS.includes(responseFormat)) {
    throw new ApiError(400, `"response_format" must be one of ${RESPONSE_FORMATS.join(", ")}`, null, "response_format");
  }

  const granularities = [
    ...(fields.get("timestamp_granularities[]") ?? []),
    ...(fields.get("timestamp_granularities") ?? []),
  ];
  for (const granularity of granularities) {
    if (!GRANULARITIES.includes(granularity)) {
      throw new ApiError(
        400,
        '"timestamp_granularities[]" takes "word" and "segment"',
        null,
        "timestamp_granularities",
      );
    }
  }
  if (granularities.length > 0 && responseFormat !== "verbose_json") {
    throw new ApiError(
      400,
      '"timestamp_granularities[]" needs "response_format": "verbose_json"',
      null,
      "timestamp_granularities",
    );
  }

  const stream = parseBoolean(one("stream"), "stream");
  if (stream && responseFormat !== "json" && responseFormat !== "text" && responseFormat !== "diarized_json") {
    throw new ApiError(400, '"stream": true works with "response_format" json, text or diarized_json', null, "stream");
  }

  const form: TranscriptionForm = {
    task,
    model,
    responseFormat,
    words: granularities.includes("word"),
    segments: granularities.length === 0 || granularities.includes("segment"),
    stream,
    speakers: parseSpeakerFields(fields, model, responseFormat),
  };
  const language = one("language")?.trim().toLowerCase();
  // Translations have no language field: the speech's language is detected and the text is English.
  if (language && task === "transcribe") {
    const unknown = unknownLanguage(language);
    if (unknown) throw new ApiError(400, unknown, null, "language");
    form.language = language;
  }
  const prompt = one("prompt");
  if (prompt?.trim()) form.prompt = prompt;
  const temperature = one("temperature");
  if (temperature !== undefined && temperature.trim() !== "") {
    const value = Number(temperature);
    if (!Number.isFinite(value) || value < 0 || value > 1) {
      throw new ApiError(400, '"temperature" must be a number from 0 to 1', null, "temperature");
    }
    form.temperature = value;
  }
  return form;
}

function parseBoolean(value: string | undefined, name: string): boolean {
  if (value === undefined || value === "" || value === "false") return false;
  if (value === "true") return true;
  throw new ApiError(400, `"${name}" must be true or false`, null, name);
}
