// The speaker fields of POST /v1/audio/transcriptions: OpenAI's `gpt-4o-transcribe-diarize` (which always tells
// speakers apart) and our own `speakers` field ("auto" or how many) for the daemon's models, checked before any
// audio is read.
import { SPEAKER_COUNT_RULE, speakerCount, type SpeakerCount } from "../speakers/speaker-count";
import { ApiError } from "./errors";
import type { ResponseFormat } from "./transcription-form";

export const DIARIZE_MODEL = "gpt-4o-transcribe-diarize";

/**
 * The speakers the request asks for, null when it asks for none. `diarized_json` needs speakers, `verbose_json` (whose
 * segments are the decoder's, one for each decoded segment) takes none; a number of speakers
 * must be SPEAKER_COUNT_RULE; OpenAI's known-speaker fields are refused, as no voice is matched to a
 * reference here.
 */
export function parseSpeakerFields(
  fields: Map<string, string[]>,
  model: string,
  responseFormat: ResponseFormat,
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
    speakers = speakerCount(given);
    if (speakers === null) throw new ApiError(400, `"speakers" must be ${SPEAKER_COUNT_RULE}`, null, "speakers");
  }
  if (responseFormat === "verbose_json" && speakers !== null) {
    throw new ApiError(
      400,
      '"response_format": "verbose_json" has no speakers (its segments are the decoder\'s): use "diarized_json", ' +
        '"json", "text", "srt" or "vtt" with speakers',
      null,
      "response_format",
    );
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
