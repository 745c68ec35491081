// Transcript output formats (shared by the CLI and the extension): plain text, SubRip, WebVTT and JSON.
import type { SegmentData, TranscriptData } from "./protocol";

export type OutputFormat = "text" | "srt" | "vtt" | "json";
export const OUTPUT_FORMATS: readonly OutputFormat[] = ["text", "srt", "vtt", "json"];

function clock(seconds: number, fractionSeparator: "," | "."): string {
  const totalMs = Math.max(0, Math.round(seconds * 1000));
  const pad = (value: number, width = 2) => String(value).padStart(width, "0");
  const hours = Math.floor(totalMs / 3_600_000);
  const minutes = Math.floor(totalMs / 60_000) % 60;
  const secs = Math.floor(totalMs / 1000) % 60;
  return `${pad(hours)}:${pad(minutes)}:${pad(secs)}${fractionSeparator}${pad(totalMs % 1000, 3)}`;
}

/** One SubRip cue; `index` counts from 1. */
export function srtCue(segment: SegmentData, index: number): string {
  return `${index}\n${clock(segment.start, ",")} --> ${clock(segment.end, ",")}\n${segment.text.trim()}\n\n`;
}

export const VTT_HEADER = "WEBVTT\n\n";

export function vttCue(segment: SegmentData): string {
  return `${clock(segment.start, ".")} --> ${clock(segment.end, ".")}\n${segment.text.trim()}\n\n`;
}

/** The JSON document for one file, as `verbatim transcribe --format json` prints it. */
export function transcriptJson(file: string, transcript: TranscriptData): string {
  return JSON.stringify({
    file,
    text: transcript.text,
    language: transcript.language,
    duration: transcript.durationSeconds,
    segments: transcript.segments.map((segment) => ({
      start: segment.start,
      end: segment.end,
      text: segment.text,
      ...(segment.words ? { words: segment.words } : {}),
    })),
    model: transcript.model,
    backend: transcript.backend,
  });
}

/** A whole transcript in one format (for saving files). */
export function formatTranscript(format: OutputFormat, file: string, transcript: TranscriptData): string {
  switch (format) {
    case "text":
      return transcript.text + "\n";
    case "srt":
      return transcript.segments.map((segment, i) => srtCue(segment, i + 1)).join("");
    case "vtt":
      return VTT_HEADER + transcript.segments.map(vttCue).join("");
    case "json":
      return transcriptJson(file, transcript) + "\n";
  }
}
