// NIST RTTM files (who spoke when): the SPEAKER lines' speaker, onset and duration.
import { readFileSync } from "node:fs";

export interface SpeakerTurn {
  speaker: string;
  start: number;
  end: number;
}

/** The SPEAKER lines of an RTTM text (other line types skipped); throws naming a malformed line. */
export function parseRttm(text: string): SpeakerTurn[] {
  return text
    .split("\n")
    .map((line, index) => ({ fields: line.trim().split(/\s+/), number: index + 1 }))
    .filter(({ fields }) => fields[0] === "SPEAKER")
    .map(({ fields, number }) => {
      const [onset, duration, speaker] = [Number(fields[3]), Number(fields[4]), fields[7]];
      if (!Number.isFinite(onset) || !(duration >= 0) || !speaker) {
        throw new Error(`RTTM line ${number} is not "SPEAKER file channel onset duration <NA> <NA> speaker …"`);
      }
      return { speaker, start: onset, end: onset + duration };
    });
}

export const readRttm = (file: string): SpeakerTurn[] => parseRttm(readFileSync(file, "utf8"));
