// A Realtime transcription session's settings as clients update them: the GA shape (session.update with
// session.type "transcription" and audio.input.*) and the beta one (transcription_session.update), and the session
// object both answer with. Only what Verbatim does is accepted; the rest is refused with a message saying why.
import { promptTail, unknownLanguage } from "../../tokenizer";
import { DEFAULT_MODEL_NAME } from "../models";
import { INPUT_RATES, type InputFormat } from "./input-audio";

export interface ServerVadSettings {
  type: "server_vad";
  threshold: number;
  prefix_padding_ms: number;
  silence_duration_ms: number;
}

export interface SessionConfig {
  format: InputFormat;
  model: string;
  language: string | null;
  prompt: string;
  /** null: turns end only when the client commits. */
  turnDetection: ServerVadSettings | null;
}

/** OpenAI's server VAD defaults. */
const DEFAULT_VAD: ServerVadSettings = {
  type: "server_vad",
  threshold: 0.5,
  prefix_padding_ms: 300,
  silence_duration_ms: 500,
};

export const DEFAULT_SESSION_CONFIG: SessionConfig = {
  format: "audio/pcm",
  model: DEFAULT_MODEL_NAME,
  language: null,
  prompt: "",
  turnDetection: DEFAULT_VAD,
};

export type SessionShape = "ga" | "beta";

/** A setting Verbatim cannot honour: the error event's message and param. */
export class SessionRefusal extends Error {
  constructor(
    message: string,
    readonly param: string,
  ) {
    super(message);
    this.name = "SessionRefusal";
  }
}

type Fields = Record<string, unknown>;
const isObject = (value: unknown): value is Fields =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The settings after an update event's `session` (fields it leaves out keep their value). Throws SessionRefusal. */
export function updatedConfig(config: SessionConfig, session: unknown, shape: SessionShape): SessionConfig {
  if (!isObject(session)) throw new SessionRefusal("`session` must be an object", "session");
  if (shape === "ga") {
    if (session.type !== undefined && session.type !== "transcription") {
      throw new SessionRefusal(
        'Verbatim serves transcription sessions only: send session.update with session.type "transcription"',
        "session.type",
      );
    }
    const input = isObject(session.audio) && isObject(session.audio.input) ? session.audio.input : {};
    return {
      ...transcription(config, input.transcription, "session.audio.input.transcription"),
      format: gaFormat(config, input.format, "session.audio.input.format"),
      turnDetection: turnDetection(config, input, "session.audio.input.turn_detection"),
    };
  }
  return {
    ...transcription(config, session.input_audio_transcription, "session.input_audio_transcription"),
    format: betaFormat(config, session.input_audio_format),
    turnDetection: turnDetection(config, session, "session.turn_detection"),
  };
}

/** The beta shape's names of the formats. */
const BETA_FORMATS: Record<string, InputFormat> = {
  pcm16: "audio/pcm",
  g711_ulaw: "audio/pcmu",
  g711_alaw: "audio/pcma",
};

function gaFormat(config: SessionConfig, format: unknown, param: string): InputFormat {
  if (format === undefined) return config.format;
  const type = isObject(format) ? (format.type ?? "audio/pcm") : null;
  if (type === "audio/pcm" || type === "audio/pcmu" || type === "audio/pcma") {
    if (((format as Fields).rate ?? INPUT_RATES[type]) === INPUT_RATES[type]) return type;
  }
  throw new SessionRefusal(
    'the audio format must be {"type": "audio/pcm", "rate": 24000}, {"type": "audio/pcmu"} or {"type": "audio/pcma"} (G.711 at 8 kHz)',
    param,
  );
}

function betaFormat(config: SessionConfig, format: unknown): InputFormat {
  if (format === undefined) return config.format;
  if (typeof format === "string" && Object.hasOwn(BETA_FORMATS, format)) return BETA_FORMATS[format];
  throw new SessionRefusal(
    'input_audio_format must be "pcm16" (24 kHz), "g711_ulaw" or "g711_alaw"',
    "session.input_audio_format",
  );
}

function transcription(config: SessionConfig, value: unknown, param: string): SessionConfig {
  if (value === undefined || value === null) return config;
  if (!isObject(value)) throw new SessionRefusal("must be an object", param);
  const next = { ...config };
  if (value.model !== undefined) {
    if (typeof value.model !== "string" || !value.model)
      throw new SessionRefusal("must be a model name", `${param}.model`);
    next.model = value.model;
  }
  if (value.language !== undefined) {
    const language = typeof value.language === "string" ? value.language.toLowerCase() : null;
    if (language && unknownLanguage(language)) {
      throw new SessionRefusal('must be an ISO-639-1 code Whisper knows, such as "en"', `${param}.language`);
    }
    next.language = language || null;
  }
  if (value.prompt !== undefined) {
    if (typeof value.prompt !== "string") throw new SessionRefusal("must be text", `${param}.prompt`);
    // What Whisper reads of it: a frame may carry 16 MiB, which the session would echo, compare and keep with each
    // dictation's recording.
    next.prompt = promptTail(value.prompt);
  }
  return next;
}

function turnDetection(config: SessionConfig, holder: Fields, param: string): ServerVadSettings | null {
  if (!("turn_detection" in holder)) return config.turnDetection;
  const value = holder.turn_detection;
  if (value === null) return null;
  if (!isObject(value) || value.type !== "server_vad") {
    throw new SessionRefusal(
      'Verbatim detects turns with "server_vad" (its voice activity detector), or none (null)',
      param,
    );
  }
  const base = config.turnDetection ?? DEFAULT_VAD;
  const number = (name: keyof ServerVadSettings, min: number, max: number): number => {
    const given = value[name];
    if (given === undefined) return base[name] as number;
    if (typeof given !== "number" || given < min || given > max) {
      throw new SessionRefusal(`must be a number from ${min} to ${max}`, `${param}.${name}`);
    }
    return given;
  };
  return {
    type: "server_vad",
    threshold: number("threshold", 0, 1),
    prefix_padding_ms: number("prefix_padding_ms", 0, 10_000),
    silence_duration_ms: number("silence_duration_ms", 50, 10_000),
  };
}

/** The session object of session.created / session.updated (GA) or transcription_session.updated (beta). */
export function sessionObject(id: string, config: SessionConfig, shape: SessionShape): Fields {
  const transcription = { model: config.model, language: config.language, prompt: config.prompt };
  if (shape === "beta") {
    const format = Object.keys(BETA_FORMATS).find((name) => BETA_FORMATS[name] === config.format);
    return {
      id,
      object: "realtime.transcription_session",
      input_audio_format: format,
      input_audio_transcription: transcription,
      turn_detection: config.turnDetection,
      input_audio_noise_reduction: null,
      include: [],
    };
  }
  return {
    type: "transcription",
    id,
    object: "realtime.transcription_session",
    audio: {
      input: {
        format:
          config.format === "audio/pcm"
            ? { type: config.format, rate: INPUT_RATES[config.format] }
            : { type: config.format },
        transcription,
        noise_reduction: null,
        turn_detection: config.turnDetection,
      },
    },
    include: [],
  };
}
