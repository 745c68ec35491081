// Who spoke when, as the speaker model reports it: stretches of one speaker's speech (the addon's SpeakerSegment),
// and how long each speaker speaks within a span of time.

/** One speaker speaking from `start` to `end` (seconds); speakers are 0-based in the order they first speak. */
export interface SpeakerSegment {
  speaker: number;
  start: number;
  end: number;
}

/** Seconds that [start, end) and [otherStart, otherEnd) share (0 when they do not meet). */
export function sharedSeconds(start: number, end: number, otherStart: number, otherEnd: number): number {
  return Math.max(0, Math.min(end, otherEnd) - Math.max(start, otherStart));
}

/** Seconds each speaker speaks within [start, end), by speaker. */
export function speechWithin(speech: readonly SpeakerSegment[], start: number, end: number): Map<number, number> {
  const seconds = new Map<number, number>();
  for (const segment of speech) {
    const shared = sharedSeconds(start, end, segment.start, segment.end);
    if (shared > 0) seconds.set(segment.speaker, (seconds.get(segment.speaker) ?? 0) + shared);
  }
  return seconds;
}

/** True when two different speakers speak at the same moment somewhere within [start, end). */
export function overlapWithin(speech: readonly SpeakerSegment[], start: number, end: number): boolean {
  const within = speech.filter((segment) => sharedSeconds(start, end, segment.start, segment.end) > 0);
  return within.some((a, i) =>
    within
      .slice(i + 1)
      .some(
        (b) =>
          a.speaker !== b.speaker &&
          sharedSeconds(
            Math.max(start, a.start),
            Math.min(end, a.end),
            Math.max(start, b.start),
            Math.min(end, b.end),
          ) > 0,
      ),
  );
}

/** The speaker whose speech is nearest in time to [start, end) (a gap of 0 when it touches it); the earlier on a tie. */
export function nearestSpeaker(speech: readonly SpeakerSegment[], start: number, end: number): number {
  let nearest = speech[0];
  let nearestGap = Infinity;
  for (const segment of speech) {
    const gap = Math.max(0, segment.start - end, start - segment.end);
    if (gap < nearestGap) [nearest, nearestGap] = [segment, gap];
  }
  return nearest.speaker;
}
