// A job's --speakers N applied to what the speaker model found (it tells apart up to MAX_SPEAKERS, however many
// were asked for): the N speakers who speak longest are kept.
import type { SpeakerCount } from "./speaker-count";
import type { SpeakerSegment } from "./speech-segments";

/**
 * The speech of at most `limit` speakers ("auto": all of them, as numbered): the ones with the most seconds of speech
 * (the lower-numbered on a tie), numbered again from 0 in the model's order. The dropped speakers' speech is dropped
 * with them, so their words go to the kept speaker nearest in time (wordsToSpeakers).
 */
export function keepSpeakers(speech: readonly SpeakerSegment[], limit: SpeakerCount): SpeakerSegment[] {
  if (limit === "auto") return [...speech];
  const seconds = new Map<number, number>();
  for (const segment of speech) {
    seconds.set(segment.speaker, (seconds.get(segment.speaker) ?? 0) + segment.end - segment.start);
  }
  const kept = [...seconds.keys()]
    .sort((a, b) => seconds.get(b)! - seconds.get(a)! || a - b)
    .slice(0, limit)
    .sort((a, b) => a - b);
  const number = new Map(kept.map((speaker, index) => [speaker, index]));
  return speech
    .filter((segment) => number.has(segment.speaker))
    .map((segment) => ({ ...segment, speaker: number.get(segment.speaker)! }));
}
