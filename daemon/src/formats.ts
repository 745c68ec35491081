// Transcript output formats (shared by the CLI and the extension): plain text, SubRip, WebVTT and JSON. Times are
// printed to the millisecond. With word timings, SubRip and WebVTT get one cue per word. A transcript with speakers
// names them (the user's names, else "Speaker N"): one line per turn in text, one cue per segment (split where the
// speaker changes) with a "Speaker 1: " prefix in SubRip and a <v Speaker 1> voice tag in WebVTT, and a speaker on
// every segment and word in JSON.
import type { SegmentData, SpeakerNames, TranscriptData } from "./protocol";
import { hasSpeakers, speakerLabel, speakerTurns } from "./speakers/speaker-turns";

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

/** WebVTT's escapes for cue text and a voice's name ("<", "&" and ">" would start or end a tag or an entity). */
function vttEscaped(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A segment of a transcript with speakers as a cue that names its speaker, in SubRip's or WebVTT's way. */
function speakerCue(segment: SegmentData, names: SpeakerNames, format: "srt" | "vtt"): Cue {
  const label = speakerLabel(segment.speaker!, names);
  const text = segment.text.trim();
  return {
    start: segment.start,
    end: segment.end,
    text: format === "srt" ? `${label}: ${text}` : `<v ${vttEscaped(label)}>${vttEscaped(text)}`,
  };
}

/** How many speakers: the speaker model's count, or (a transcript rebuilt from the history's segments) the segments'. */
function speakerCountOf(transcript: TranscriptData): number {
  return transcript.speakers ?? Math.max(...transcript.segments.map((segment) => segment.speaker! + 1));
}

/**
 * The JSON document for one file, as `verbatim transcribe --format json` prints it. With speakers: their names in
 * `speakers` (index = speaker), and each segment's and word's speaker by name.
 */
export function transcriptJson(file: string, transcript: TranscriptData, names: SpeakerNames = []): string {
  const speakers = hasSpeakers(transcript.segments);
  const named = (speaker: number | undefined) => (speakers ? { speaker: speakerLabel(speaker!, names) } : {});
  return JSON.stringify({
    file,
    text: transcript.text,
    language: transcript.language,
    duration: milliseconds(transcript.durationSeconds),
    ...(speakers && {
      speakers: Array.from({ length: speakerCountOf(transcript) }, (_, speaker) => speakerLabel(speaker, names)),
    }),
    segments: transcript.segments.map((segment) => ({
      start: milliseconds(segment.start),
      end: milliseconds(segment.end),
      text: segment.text,
      ...named(segment.speaker),
      ...(segment.words
        ? {
            words: segment.words.map((w) => ({
              ...w,
              start: milliseconds(w.start),
              end: milliseconds(w.end),
              ...named(w.speaker),
            })),
          }
        : {}),
    })),
    model: transcript.model,
    backend: transcript.backend,
  });
}

/** A whole transcript in one format (for saving files); `names`: what the user called its speakers, if it has any. */
export function formatTranscript(
  format: OutputFormat,
  file: string,
  transcript: TranscriptData,
  names: SpeakerNames = [],
): string {
  const speakers = hasSpeakers(transcript.segments);
  const cues = (cueFormat: "srt" | "vtt") =>
    speakers
      ? transcript.segments.map((segment) => speakerCue(segment, names, cueFormat))
      : transcript.segments.flatMap(segmentCues);
  switch (format) {
    case "text":
      if (!speakers) return transcript.text + "\n";
      return speakerTurns(transcript.segments)
        .map((turn) => `${speakerLabel(turn.speaker, names)}: ${turn.text}\n`)
        .join("");
    case "srt":
      return cues("srt")
        .map((cue, i) => srtCue(cue, i + 1))
        .join("");
    case "vtt":
      return VTT_HEADER + cues("vtt").map(vttCue).join("");
    case "json":
      return transcriptJson(file, transcript, names) + "\n";
  }
}
