// A job's --speakers N applied to what the speaker model found (it tells apart up to MAX_SPEAKERS, however many
// were asked for): the N speakers who speak longest are kept, numbered again in the order they first speak.
import type { SpeakerCount } from "./speaker-count";
import type { SpeakerSegment } from "./speech-segments";

/**
 * The speech of at most `limit` speakers ("auto": all of them): the ones with the most seconds of speech (the earlier
 * to speak on a tie), renumbered from 0 in the order they first speak. The dropped speakers' speech is dropped with
 * them, so their words go to the kept speaker nearest in time (wordsToSpeakers).
 */
export function keepSpeakers(speech: readonly SpeakerSegment[], limit: SpeakerCount): SpeakerSegment[] {
  const seconds = new Map<number, number>();
  const firstStart = new Map<number, number>();
  for (const segment of speech) {
    seconds.set(segment.speaker, (seconds.get(segment.speaker) ?? 0) + segment.end - segment.start);
    firstStart.set(segment.speaker, Math.min(firstStart.get(segment.speaker) ?? Infinity, segment.start));
  }
  const byFirstStart = (a: number, b: number) => firstStart.get(a)! - firstStart.get(b)! || a - b;
  const kept = [...seconds.keys()]
    .sort((a, b) => seconds.get(b)! - seconds.get(a)! || byFirstStart(a, b))
    .slice(0, limit === "auto" ? undefined : limit)
    .sort(byFirstStart);
  const number = new Map(kept.map((speaker, index) => [speaker, index]));
  return speech
    .filter((segment) => number.has(segment.speaker))
    .map((segment) => ({ ...segment, speaker: number.get(segment.speaker)! }));
}
