// A system-track live utterance's lines by speaker: each of its words given the speaker who speaks over most of it
// in the speaker stream's probabilities (speakers/words-to-speakers.ts, as the final transcript's words are), one line
// per run of one speaker's words, named as the final transcript names the others: "Speaker 2" on (You are its first),
// in the order the meeting's live lines first name them.
import type { MeetingLiveLine, TranscriptData } from "../protocol";
import { speakerLabel, speakerTurns } from "../speakers/speaker-turns";
import type { SpeakerSegment } from "../speakers/speech-segments";
import { wordsToSpeakers } from "../speakers/words-to-speakers";
import type { SpeakerWindow } from "./speaker-feed";

/** A frame is a speaker's speech when its probability is above this (the engine's segments' threshold). */
const SPEECH_PROBABILITY = 0.5;

export class LiveSpeakers {
  /** The stream's speaker number to the live one (0-based), in the order the live lines first named them. */
  private readonly numbers = new Map<number, number>();

  /**
   * The lines of an utterance from `start` seconds on the meeting's clock, its words timed from there; null when the
   * window holds no one's speech or the transcript has no word times (its line is the Others').
   */
  lines(transcript: TranscriptData, window: SpeakerWindow, start: number): MeetingLiveLine[] | null {
    const speech = speakerSegments(window, start);
    if (speech.length === 0 || transcript.segments.some((segment) => !segment.words)) return null;
    const { segments } = wordsToSpeakers(transcript, speech);
    return speakerTurns(segments)
      .filter((turn) => turn.text !== "")
      .map((turn) => ({
        speaker: speakerLabel(1 + this.number(turn.speaker)),
        start: start + turn.start,
        end: start + turn.end,
        text: turn.text,
      }));
  }

  private number(speaker: number): number {
    if (!this.numbers.has(speaker)) this.numbers.set(speaker, this.numbers.size);
    return this.numbers.get(speaker)!;
  }
}

/** Each speaker's stretches of speech in the window, in seconds from `origin` on the track. */
export function speakerSegments(window: SpeakerWindow, origin: number): SpeakerSegment[] {
  const { frameSeconds, speakers, first, probabilities } = window;
  const frames = probabilities.length / speakers;
  const time = (frame: number) => (first + frame) * frameSeconds - origin;
  const segments: SpeakerSegment[] = [];
  for (let speaker = 0; speaker < speakers; speaker++) {
    let opened: number | null = null;
    for (let frame = 0; frame <= frames; frame++) {
      const speaking = frame < frames && probabilities[frame * speakers + speaker] > SPEECH_PROBABILITY;
      if (speaking && opened === null) opened = frame;
      if (!speaking && opened !== null) {
        segments.push({ speaker, start: time(opened), end: time(frame) });
        opened = null;
      }
    }
  }
  return segments.sort((a, b) => a.start - b.start || a.speaker - b.speaker);
}
