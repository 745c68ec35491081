// Transcribe File's "Speakers" choice: off, "auto", or at most that many speakers, as the daemon's speakers option.
import { MAX_SPEAKERS, type TranscriptionOptions } from "../verbatimd/protocol";

export const SPEAKERS_OFF = "off";

/** The dropdown's items: Off, Automatic, then 2 to MAX_SPEAKERS. */
export const SPEAKER_CHOICES: { value: string; title: string }[] = [
  { value: SPEAKERS_OFF, title: "Off" },
  { value: "auto", title: "Tell Apart Automatically" },
  ...Array.from({ length: MAX_SPEAKERS - 1 }, (_, i) => ({ value: String(i + 2), title: `At Most ${i + 2}` })),
];

/** The job's speakers option for a choice; undefined for Off (or anything that is not a choice). */
export function speakersOption(choice: string | undefined): TranscriptionOptions["speakers"] {
  if (choice === "auto") return "auto";
  const count = Number(choice);
  return Number.isInteger(count) && count >= 2 && count <= MAX_SPEAKERS ? count : undefined;
}
