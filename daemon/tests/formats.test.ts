import { formatTranscript, segmentCues } from "../src/formats";
import type { TranscriptData } from "../src/protocol";

// Times as the engine sums them (window offset + token time): float noise in the last digits.
const transcript: TranscriptData = {
  text: "Hello there. Bye.",
  language: "en",
  durationSeconds: 31.000062500000002,
  segments: [
    {
      start: 0.1,
      end: 1.4000000000000001,
      text: " Hello there.",
      words: [
        { word: " Hello", start: 0.1, end: 0.7000000000000001, probability: 0.9 },
        { word: " there.", start: 0.7000000000000001, end: 1.4000000000000001, probability: 0.8 },
      ],
    },
    { start: 30.000000000000004, end: 30.9996, text: " Bye." },
  ],
  model: "tiny",
  backend: "cpu",
};

test("JSON rounds every time and the duration to the millisecond", () => {
  const json = formatTranscript("json", "a.wav", transcript);
  const parsed = JSON.parse(json);
  expect(parsed.duration).toBe(31);
  expect(parsed.segments.map((s: { start: number; end: number }) => [s.start, s.end])).toEqual([
    [0.1, 1.4],
    [30, 31],
  ]);
  expect(parsed.segments[0].words).toEqual([
    { word: " Hello", start: 0.1, end: 0.7, probability: 0.9 },
    { word: " there.", start: 0.7, end: 1.4, probability: 0.8 },
  ]);
});

test("SRT and VTT give one cue per timed word, and one per segment without word timings", () => {
  expect(segmentCues(transcript.segments[0]).map((cue) => cue.text)).toEqual(["Hello", "there."]);
  expect(formatTranscript("srt", "a.wav", transcript)).toBe(
    "1\n00:00:00,100 --> 00:00:00,700\nHello\n\n" +
      "2\n00:00:00,700 --> 00:00:01,400\nthere.\n\n" +
      "3\n00:00:30,000 --> 00:00:31,000\nBye.\n\n",
  );
  expect(formatTranscript("vtt", "a.wav", transcript)).toBe(
    "WEBVTT\n\n" +
      "00:00:00.100 --> 00:00:00.700\nHello\n\n" +
      "00:00:00.700 --> 00:00:01.400\nthere.\n\n" +
      "00:00:30.000 --> 00:00:31.000\nBye.\n\n",
  );
});

test("a word that is only spaces makes no empty cue", () => {
  const segment = {
    start: 0,
    end: 1,
    text: " a",
    words: [
      { word: " ", start: 0, end: 0.5, probability: 1 },
      { word: " a", start: 0.5, end: 1, probability: 1 },
    ],
  };
  expect(segmentCues(segment)).toEqual([{ start: 0.5, end: 1, text: "a" }]);
});
