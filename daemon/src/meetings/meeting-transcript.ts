// A meeting's final transcript from its two tracks' transcripts: the microphone's words are the user's (speaker 0,
// "You") unless they are the system's audio heard through the speakers (echo), which the system track's transcript
// already holds; the system track's speakers follow (1, 2, ...). Both tracks share one clock, so the segments are
// merged in the order they began. Echo is judged word by word: one microphone segment often holds the user's words
// and, before or after them, the others' heard through the speakers.
import type { SegmentData, TranscriptData, WordTiming } from "../protocol";
import { speakerLabel, speakerTurns } from "../speakers/speaker-turns";

export const YOU = "You";

export interface MergedMeeting {
  transcript: TranscriptData;
  speakerNames: string[];
  /** Words of the microphone track dropped as echo. */
  echoWords: number;
}

/** `isEcho(start, end)`: whether the microphone's sound in that span is the system's, not the user's. */
export function mergeMeetingTracks(
  microphone: TranscriptData,
  system: TranscriptData,
  isEcho: (startSeconds: number, endSeconds: number) => boolean,
): MergedMeeting {
  let echoWords = 0;
  const yours = microphone.segments.flatMap((segment) => {
    const words = segment.words ?? [];
    if (words.length === 0) return isEcho(segment.start, segment.end) ? [] : [asSpeaker(segment, 0)];
    const kept = words.filter((word) => !isEcho(word.start, word.end));
    echoWords += words.length - kept.length;
    if (kept.length === words.length) return [asSpeaker(segment, 0)];
    return kept.length === 0 ? [] : [asSpeaker(fromWords(kept), 0)];
  });
  const others = system.segments.map((segment) => asSpeaker(segment, 1 + (segment.speaker ?? 0)));
  const segments = [...yours, ...others]
    .filter((segment) => segment.text.trim() !== "")
    .sort((a, b) => a.start - b.start || a.speaker! - b.speaker!);
  const speakers = 1 + Math.max(system.speakers ?? 0, ...others.map((segment) => segment.speaker!));
  return {
    transcript: {
      text: segments.map((segment) => segment.text.trim()).join(" "),
      language: microphone.language ?? system.language,
      durationSeconds: Math.max(microphone.durationSeconds, system.durationSeconds),
      segments,
      model: system.model || microphone.model,
      backend: system.backend || microphone.backend,
      speakers,
    },
    speakerNames: Array.from({ length: speakers }, (_, speaker) => (speaker === 0 ? YOU : `Speaker ${speaker + 1}`)),
    echoWords,
  };
}

/** A segment of the words kept from one. */
function fromWords(words: WordTiming[]): SegmentData {
  return {
    start: words[0].start,
    end: words[words.length - 1].end,
    text: words.map((word) => word.word.trim()).join(" "),
    words,
  };
}

function asSpeaker(segment: SegmentData, speaker: number): SegmentData {
  const words = segment.words?.map((word) => ({ ...word, speaker }));
  return { ...segment, speaker, ...(words && { words }) };
}

/** The transcript as lines, a turn each: "[01:02] You: …", "[01:05] Speaker 2: …". */
export function transcriptLines(transcript: TranscriptData, speakerNames: readonly string[]): string {
  return speakerTurns(transcript.segments)
    .map((turn) => `[${meetingClock(turn.start)}] ${speakerLabel(turn.speaker, speakerNames)}: ${turn.text}\n`)
    .join("");
}

/** A time on the meeting's clock: "01:02", "1:01:02". */
export function meetingClock(seconds: number): string {
  const whole = Math.floor(seconds);
  const hours = Math.floor(whole / 3600);
  const minutes = `${String(Math.floor((whole % 3600) / 60)).padStart(2, "0")}:${String(whole % 60).padStart(2, "0")}`;
  return hours > 0 ? `${hours}:${minutes}` : minutes;
}
