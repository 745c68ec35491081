// Copied from daemon/src/speakers/speaker-turns.ts by `npm run sync:extension` (extension/scripts/daemon-copy.mjs): edit the original.
// A transcript with speakers as its readers see it: each speaker's name ("Speaker 1" unless the user named them) and
// its turns (consecutive segments of one speaker, one line of text each).
import type { SegmentData, SpeakerNames, SpeakerTurn } from "./protocol";

/** The name a user gave the speaker, else "Speaker N" counting from 1. */
export function speakerLabel(speaker: number, names: SpeakerNames = []): string {
  return names[speaker] ?? `Speaker ${speaker + 1}`;
}

/** True when the transcript's segments carry speakers (every segment does once words met speakers). */
export function hasSpeakers(segments: readonly SegmentData[]): boolean {
  return segments.length > 0 && segments.every((segment) => segment.speaker !== undefined);
}

/**
 * Consecutive segments of one speaker merged into one turn. A turn's text is its words' (each carries the space
 * before it, none in languages written without spaces); a segment without words adds its text after a space.
 */
export function speakerTurns(segments: readonly SegmentData[]): SpeakerTurn[] {
  const turns: SpeakerTurn[] = [];
  for (const segment of segments) {
    if (segment.speaker === undefined) throw new Error(`the segment at ${segment.start} s has no speaker`);
    const text = segment.words?.length ? segment.words.map((word) => word.word).join("") : ` ${segment.text}`;
    const last = turns[turns.length - 1];
    if (last && last.speaker === segment.speaker) {
      last.text += text;
      last.end = segment.end;
    } else {
      turns.push({ speaker: segment.speaker, start: segment.start, end: segment.end, text });
    }
  }
  return turns.map((turn) => ({ ...turn, text: turn.text.trim() }));
}
