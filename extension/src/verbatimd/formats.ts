// Copied from daemon/src/formats.ts by `npm run sync:extension` (extension/scripts/daemon-copy.mjs): edit the original.
// Transcript output formats (shared by the CLI and the extension): plain text, SubRip, WebVTT and JSON. Times are
// printed to the millisecond. With word timings, SubRip and WebVTT get one cue per word.
import type { SegmentData, TranscriptData } from "./protocol";

export type OutputFormat = "text" | "srt" | "vtt" | "json";
export const OUTPUT_FORMATS: readonly OutputFormat[] = ["text", "srt", "vtt", "json"];

/** A stretch of text on screen from `start` to `end` (seconds). */
export interface Cue {
  start: number;
  end: number;
  text: string;
}

/** Seconds rounded to the millisecond (engine times are sums of floats: 1.4000000000000001). */
export function milliseconds(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

function clock(seconds: number, fractionSeparator: "," | "."): string {
  const totalMs = Math.max(0, Math.round(seconds * 1000));
  const pad = (value: number, width = 2) => String(value).padStart(width, "0");
  const hours = Math.floor(totalMs / 3_600_000);
  const minutes = Math.floor(totalMs / 60_000) % 60;
  const secs = Math.floor(totalMs / 1000) % 60;
  return `${pad(hours)}:${pad(minutes)}:${pad(secs)}${fractionSeparator}${pad(totalMs % 1000, 3)}`;
}

/** The cues of one segment: one per word when it has word timings, else the segment itself. */
export function segmentCues(segment: SegmentData): Cue[] {
  if (!segment.words?.length) return [{ start: segment.start, end: segment.end, text: segment.text.trim() }];
  return segment.words
    .map((word) => ({ start: word.start, end: word.end, text: word.word.trim() }))
    .filter((cue) => cue.text.length > 0);
}

/** One SubRip cue; `index` counts from 1. */
export function srtCue(cue: Cue, index: number): string {
  return `${index}\n${clock(cue.start, ",")} --> ${clock(cue.end, ",")}\n${cue.text}\n\n`;
}

export const VTT_HEADER = "WEBVTT\n\n";

export function vttCue(cue: Cue): string {
  return `${clock(cue.start, ".")} --> ${clock(cue.end, ".")}\n${cue.text}\n\n`;
}

/** The JSON document for one file, as `verbatim transcribe --format json` prints it. */
export function transcriptJson(file: string, transcript: TranscriptData): string {
  return JSON.stringify({
    file,
    text: transcript.text,
    language: transcript.language,
    duration: milliseconds(transcript.durationSeconds),
    segments: transcript.segments.map((segment) => ({
      start: milliseconds(segment.start),
      end: milliseconds(segment.end),
      text: segment.text,
      ...(segment.words
        ? { words: segment.words.map((w) => ({ ...w, start: milliseconds(w.start), end: milliseconds(w.end) })) }
        : {}),
    })),
    model: transcript.model,
    backend: transcript.backend,
  });
}

/** A whole transcript in one format (for saving files). */
export function formatTranscript(format: OutputFormat, file: string, transcript: TranscriptData): string {
  const cues = () => transcript.segments.flatMap(segmentCues);
  switch (format) {
    case "text":
      return transcript.text + "\n";
    case "srt":
      return cues()
        .map((cue, i) => srtCue(cue, i + 1))
        .join("");
    case "vtt":
      return VTT_HEADER + cues().map(vttCue).join("");
    case "json":
      return transcriptJson(file, transcript) + "\n";
  }
}
