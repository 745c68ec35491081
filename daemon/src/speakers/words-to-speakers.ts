// A transcript (any model family, with word times) and the speaker model's segments combined: each word to the
// speaker who speaks over most of it, each segment split where its speaker changes, a word marked when two speakers
// speak at once during it.
import type { SegmentData, TranscriptData, WordTiming } from "../protocol";
import { nearestSpeaker, overlapWithin, speechWithin, type SpeakerSegment } from "./speech-segments";

type SpeakerWord = WordTiming & { speaker: number };

/**
 * The transcript with a speaker on every segment and word, its segments split at speaker changes, and `speakers` the
 * number of speakers the speaker model found. Throws when a segment has no word times (the job must ask for them),
 * or when words were heard but the speaker model found no speech at all.
 */
export function wordsToSpeakers(transcript: TranscriptData, speech: readonly SpeakerSegment[]): TranscriptData {
  const speakers = speech.reduce((count, segment) => Math.max(count, segment.speaker + 1), 0);
  if (transcript.segments.length > 0 && speech.length === 0) {
    throw new Error("the speaker model found no speech in audio the transcript has words in");
  }
  const segments = transcript.segments.flatMap((segment) => {
    if (!segment.words) throw new Error(`the segment at ${segment.start} s has no word times to place speakers by`);
    if (segment.words.length === 0) return [{ ...segment, speaker: speakerOf(speech, segment.start, segment.end) }];
    return splitAtSpeakerChanges(
      segment,
      segment.words.map((word) => ({
        ...word,
        speaker: speakerOf(speech, word.start, word.end),
        ...(overlapWithin(speech, word.start, word.end) && { overlap: true }),
      })),
    );
  });
  return { ...transcript, segments, speakers };
}

/**
 * The speaker who speaks over most of [start, end); the earlier-numbered on a tie. A word no speaker's speech covers
 * (the speaker model's segments end a little early, or it missed a short word) goes to the speaker nearest in time:
 * every word was said by someone, and the one speaking just before or after is the likeliest.
 */
function speakerOf(speech: readonly SpeakerSegment[], start: number, end: number): number {
  let best: number | null = null;
  let bestSeconds = 0;
  for (const [speaker, seconds] of speechWithin(speech, start, end)) {
    if (seconds > bestSeconds || (seconds === bestSeconds && best !== null && speaker < best)) {
      [best, bestSeconds] = [speaker, seconds];
    }
  }
  return best ?? nearestSpeaker(speech, start, end);
}

/**
 * The segment as one segment per run of words of one speaker. Unsplit, it keeps its text; split, each part's text is
 * its words' (each word carries the space before it, none in languages written without spaces), and the parts meet
 * at word boundaries: the first starts where the segment did, the last ends where it did.
 */
function splitAtSpeakerChanges(segment: SegmentData, words: SpeakerWord[]): SegmentData[] {
  const runs: SpeakerWord[][] = [];
  for (const word of words) {
    const run = runs[runs.length - 1];
    if (run && run[0].speaker === word.speaker) run.push(word);
    else runs.push([word]);
  }
  if (runs.length === 1) return [{ ...segment, words, speaker: words[0].speaker }];
  return runs.map((run, i) => ({
    start: i === 0 ? segment.start : run[0].start,
    end: i === runs.length - 1 ? segment.end : run[run.length - 1].end,
    text: run
      .map((word) => word.word)
      .join("")
      .trim(),
    words: run,
    speaker: run[0].speaker,
  }));
}
