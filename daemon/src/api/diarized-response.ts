// A transcript with speakers as OpenAI's API answers `response_format=diarized_json` (openai's TranscriptionDiarized:
// segments with a speaker label, `type: "transcript.text.segment"`), and the same segments as the stream's
// `transcript.text.segment` events (TranscriptionTextSegmentEvent).
import { milliseconds } from "../formats";
import type { SegmentData, SpeakerNames, TranscriptData } from "../protocol";
import { usageOf } from "./response-formats";

export interface DiarizedSegment {
  type: "transcript.text.segment";
  id: string;
  start: number;
  end: number;
  text: string;
  speaker: string;
}

/** OpenAI's labels for speakers it was not told the names of: A, B, … Z, then AA, AB, … */
export function letterLabel(speaker: number): string {
  const letter = String.fromCharCode(65 + (speaker % 26));
  return speaker < 26 ? letter : letterLabel(Math.floor(speaker / 26) - 1) + letter;
}

/** One segment of one speaker (a transcript with speakers has them split where the speaker changes). */
export function diarizedSegment(segment: SegmentData, index: number, names: SpeakerNames = []): DiarizedSegment {
  if (segment.speaker === undefined) throw new Error(`the segment at ${segment.start} s has no speaker`);
  return {
    type: "transcript.text.segment",
    id: `seg_${index}`,
    start: milliseconds(segment.start),
    end: milliseconds(segment.end),
    text: segment.text.trim(),
    speaker: names[segment.speaker] ?? letterLabel(segment.speaker),
  };
}

/** The whole `diarized_json` body; `names` stand in for the letters of the speakers they name. */
export function diarizedJson(transcript: TranscriptData, names: SpeakerNames = []) {
  return {
    task: "transcribe" as const,
    duration: milliseconds(transcript.durationSeconds),
    text: transcript.text,
    segments: transcript.segments.map((segment, index) => diarizedSegment(segment, index, names)),
    usage: usageOf(transcript),
  };
}
