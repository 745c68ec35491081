// OpenAI's names for its transcription models, as apps hard-code them: each is an alias of the daemon's model (the one
// it has loaded), so an app written for OpenAI works unchanged. Used by the HTTP API and Realtime sessions alike.

/** The aliases GET /v1/models lists, whisper-1 first. */
export const OPENAI_MODEL_ALIASES = [
  "whisper-1",
  "gpt-4o-transcribe",
  "gpt-4o-mini-transcribe",
  "whisper-large-v3",
  "whisper-large-v3-turbo",
] as const;

/** Whisper by size, as hosted APIs name it: whisper-large-v3, whisper-large-v3-turbo, distil-whisper-large-v3-en. */
const WHISPER_STYLE = /^(distil-)?whisper-(tiny|base|small|medium|large)(-v[123])?(-turbo)?([.-]en)?$/;

/** OpenAI's model that labels speakers, which Verbatim cannot do. */
const DIARIZE = "gpt-4o-transcribe-diarize";

export type OpenAiModelName =
  /** An alias of the daemon's model. */
  | { kind: "alias" }
  /** A model OpenAI has and Verbatim cannot stand in for: `message` says why and what to use (a 400, unsupported). */
  | { kind: "unavailable"; message: string }
  /** Not one of OpenAI's names: the daemon's own names apply. */
  | { kind: "other" };

/** What an OpenAI model name stands for here. */
export function openAiModelName(name: string): OpenAiModelName {
  if (name === DIARIZE) {
    return {
      kind: "unavailable",
      message:
        `"${DIARIZE}" labels speakers, and diarization is not available in Verbatim; use "gpt-4o-transcribe" or ` +
        '"whisper-1" for the text without speaker labels',
    };
  }
  if ((OPENAI_MODEL_ALIASES as readonly string[]).includes(name) || WHISPER_STYLE.test(name)) return { kind: "alias" };
  return { kind: "other" };
}
