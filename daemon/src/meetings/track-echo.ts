// Whether a span of a meeting's microphone track is the system's audio heard through the speakers: judgeEcho on the
// two tracks' audio around it, read from their files (so an hour-long meeting holds only the spans).
import type { MeetingTrackName } from "../protocol";
import { judgeEcho } from "./echo";
import { readTrackSpan } from "./track-span";

/** The system's sound reaches the microphone at most this late (judgeEcho's lag search): read this much before. */
const LEAD_SECONDS = 1;
/** A word is too short to judge alone: the second around it is. */
const LEAST_SPAN_SECONDS = 1;

export function trackEcho(files: Record<MeetingTrackName, string>): (start: number, end: number) => boolean {
  return (start, end) => {
    const middle = (start + end) / 2;
    const from = Math.max(0, Math.min(start, middle - LEAST_SPAN_SECONDS / 2));
    const to = Math.max(end, middle + LEAST_SPAN_SECONDS / 2);
    const before = Math.min(from, LEAD_SECONDS);
    const microphone = readTrackSpan(files.microphone, from - before, to);
    const system = readTrackSpan(files.system, from - before, to);
    return judgeEcho(microphone, system, before, before + to - from).echo;
  };
}
