// How many speakers a job asks to tell apart: "auto" (the speaker model decides) or a number it can tell apart, as
// the CLI's --speakers and the HTTP API's `speakers` field give it.
import { MAX_SPEAKERS } from "../protocol";

export type SpeakerCount = number | "auto";

/** What a speaker count may be, for messages that refuse one. */
export const SPEAKER_COUNT_RULE = `"auto" or a whole number from 1 to ${MAX_SPEAKERS}`;

/** The count `text` gives, or null when it is not SPEAKER_COUNT_RULE. */
export function speakerCount(text: string): SpeakerCount | null {
  const given = text.trim();
  if (given === "auto") return "auto";
  const count = Number(given);
  return /^\d+$/.test(given) && count >= 1 && count <= MAX_SPEAKERS ? count : null;
}
