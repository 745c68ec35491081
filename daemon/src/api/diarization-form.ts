// The speaker fields of POST /v1/audio/transcriptions: OpenAI's `gpt-4o-transcribe-diarize` (which always tells
// speakers apart) and our own `speakers` field ("auto" or how many) for the daemon's models, checked before any
// audio is read.
import { ApiError } from "./errors";
import type { ResponseFormat } from "./transcription-form";

export const DIARIZE_MODEL = "gpt-4o-transcribe-diarize";
/** The most speakers the speaker model tells apart (NVIDIA's Nemotron 3 Diarization: 8). */
export const MAX_SPEAKERS = 8;

/** How many speakers to tell apart: "auto" lets the speaker model decide. */
export type SpeakerCount = number | "auto";

/**
 * The speakers the request asks for, null when it asks for none. `diarized_json` needs speakers; a number of speakers
 * must be whole and from 1 to MAX_SPEAKERS; OpenAI's known-speaker fields are refused, as no voice is matched to a
 * reference here.
 */
export function parseSpeakerFields(
  fields: Map<string, string[]>,
  model: string,
  responseFormat: ResponseFormat | "diarized_json",
): SpeakerCount | null {
  for (const name of ["known_speaker_names[]", "known_speaker_references[]"]) {
    if (fields.has(name)) {
      throw new ApiError(
        400,
        `"${name}" is not supported: speakers are labelled A, B, … in the order they first speak`,
        null,
        name.slice(0, -2),
      );
    }
  }
  const values = fields.get("speakers");
  if (values && values.length > 1) throw new ApiError(400, 'give "speakers" once', null, "speakers");
  const given = values?.[0]?.trim();
  let speakers: SpeakerCount | null = model === DIARIZE_MODEL ? "auto" : null;
  if (given) {
    const count = Number(given);
    if (given !== "auto" && !(Number.isInteger(count) && count >= 1 && count <= MAX_SPEAKERS)) {
      throw new ApiError(
        400,
        `"speakers" must be "auto" or a whole number from 1 to ${MAX_SPEAKERS}`,
        null,
        "speakers",
      );
    }
    speakers = given === "auto" ? "auto" : count;
  }
  if (responseFormat === "diarized_json" && speakers === null) {
    throw new ApiError(
      400,
      `"response_format": "diarized_json" needs speakers: use "model": "${DIARIZE_MODEL}" or give "speakers"`,
      null,
      "response_format",
    );
  }
  return speakers;
}
