// OpenAI's names for its transcription models, as apps hard-code them: each is an alias of the daemon's model (the one
// it has loaded), so an app written for OpenAI works unchanged; gpt-4o-transcribe-diarize also tells speakers apart
// (api/diarization-form.ts). Used by the HTTP API.

/** The aliases GET /v1/models lists, whisper-1 first. */
export const OPENAI_MODEL_ALIASES = [
  "whisper-1",
  "gpt-4o-transcribe",
  "gpt-4o-mini-transcribe",
  "whisper-large-v3",
  "whisper-large-v3-turbo",
  "gpt-4o-transcribe-diarize",
] as const;

/** Whisper by size, as hosted APIs name it: whisper-large-v3, whisper-large-v3-turbo, distil-whisper-large-v3-en. */
const WHISPER_STYLE = /^(distil-)?whisper-(tiny|base|small|medium|large)(-v[123])?(-turbo)?([.-]en)?$/;

export type OpenAiModelName =
  /** An alias of the daemon's model. */
  | { kind: "alias" }
  /** Not one of OpenAI's names: the daemon's own names apply. */
  | { kind: "other" };

/** What an OpenAI model name stands for here. */
export function openAiModelName(name: string): OpenAiModelName {
  if ((OPENAI_MODEL_ALIASES as readonly string[]).includes(name) || WHISPER_STYLE.test(name)) return { kind: "alias" };
  return { kind: "other" };
}
