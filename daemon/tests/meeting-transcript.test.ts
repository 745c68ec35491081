// A meeting's transcript from its two tracks' transcripts (meetings/meeting-transcript.ts): the microphone's words are
// You's unless judged echo (word by word: a segment keeps the user's words and loses the others' heard through the
// speakers), the system track's speakers follow You's, and the segments are merged by their start.
import type { SegmentData, TranscriptData } from "../src/protocol";
import { mergeMeetingTracks } from "../src/meetings/meeting-transcript";

function words(start: number, ...texts: string[]) {
  return texts.map((word, i) => ({ word: ` ${word}`, start: start + i, end: start + i + 0.8, probability: 0.9 }));
}

function transcript(segments: SegmentData[], speakers?: number): TranscriptData {
  return {
    text: segments.map((segment) => segment.text).join(" "),
    language: "en",
    durationSeconds: 30,
    segments,
    model: "fixture",
    backend: "cpu",
    ...(speakers !== undefined && { speakers }),
  };
}

const microphone = transcript([
  // The others heard through the speakers (0-2 s), then the user (3-5 s).
  {
    start: 0,
    end: 6,
    text: "many down business hello from me",
    words: words(0, "many", "down", "business", "hello", "from", "me"),
  },
  { start: 10, end: 12, text: "all echo", words: words(10, "all", "echo") },
]);
const system = transcript(
  [
    { start: 0, end: 3, text: "Many down business", speaker: 0 },
    { start: 7, end: 9, text: "Reply here", speaker: 1 },
  ],
  2,
);
const echoBefore3sAndFrom10s = (start: number) => start < 3 || start >= 10;

test("echo words leave You's segments; the user's words stay You's", () => {
  const { transcript: merged, echoWords } = mergeMeetingTracks(microphone, system, echoBefore3sAndFrom10s);
  expect(echoWords).toBe(5);
  const yours = merged.segments.filter((segment) => segment.speaker === 0);
  expect(yours.map((segment) => [segment.start, segment.text])).toEqual([[3, "hello from me"]]);
  expect(yours[0].words!.every((word) => word.speaker === 0)).toBe(true);
});

test("the system's speakers follow You's, in the order segments begin", () => {
  const { transcript: merged, speakerNames } = mergeMeetingTracks(microphone, system, echoBefore3sAndFrom10s);
  expect(merged.segments.map((segment) => [segment.start, segment.speaker])).toEqual([
    [0, 1],
    [3, 0],
    [7, 2],
  ]);
  expect(merged.speakers).toBe(3);
  expect(speakerNames).toEqual(["You", "Speaker 2", "Speaker 3"]);
  expect(merged.text).toBe("Many down business hello from me Reply here");
});

test("without echo every microphone word is You's", () => {
  const { transcript: merged, echoWords } = mergeMeetingTracks(microphone, system, () => false);
  expect(echoWords).toBe(0);
  expect(merged.segments.filter((segment) => segment.speaker === 0).map((segment) => segment.text)).toEqual([
    "many down business hello from me",
    "all echo",
  ]);
});
