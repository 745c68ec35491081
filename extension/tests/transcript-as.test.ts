// Copy As (SubRip, WebVTT) of a history entry: its segments' cues, a transcript with speakers naming each by the
// name the user gave it (`verbatim history speakers`), else "Speaker N".
import { transcriptAs } from "../src/lib/transcript-history";
import type { HistoryEntryDetail } from "../src/verbatimd/protocol";

const entry: HistoryEntryDetail = {
  id: 2,
  kind: "file",
  createdAt: "2026-11-27T20:00:00.000Z",
  job: "conversation",
  text: "How are you? Fine.",
  language: "en",
  model: "tiny",
  backend: "cpu",
  durationSeconds: 3,
  sourceFile: "talk.wav",
  app: null,
  recording: null,
  finishedText: null,
  mode: null,
  finishing: null,
  speakers: 2,
  speakerNames: [null, "Bob"],
  segments: [
    { start: 0.2, end: 1.0, text: " How are you?", speaker: 0 },
    { start: 1.5, end: 2.1, text: " Fine.", speaker: 1 },
  ],
};

test("a transcript with speakers is copied with each cue's speaker, by name where one was given", () => {
  expect(transcriptAs("srt", entry)).toBe(
    "1\n00:00:00,200 --> 00:00:01,000\nSpeaker 1: How are you?\n\n2\n00:00:01,500 --> 00:00:02,100\nBob: Fine.\n\n",
  );
  expect(transcriptAs("vtt", entry)).toBe(
    "WEBVTT\n\n00:00:00.200 --> 00:00:01.000\n<v Speaker 1>How are you?\n\n00:00:01.500 --> 00:00:02.100\n<v Bob>Fine.\n\n",
  );
});
