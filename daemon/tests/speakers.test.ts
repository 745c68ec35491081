// Words to speakers and a transcript with speakers in every format: pure functions of ours on transcripts shaped as
// the families give them (Whisper's words carry the space before them; Parakeet's segments end at a pause).
import type { TranscriptionDiarized, TranscriptionTextSegmentEvent } from "openai/resources/audio/transcriptions";
import { DIARIZE_MODEL, parseSpeakerFields } from "../src/api/diarization-form";
import { diarizedJson, diarizedSegment, letterLabel } from "../src/api/diarized-response";
import type { ApiError } from "../src/api/errors";
import { formatTranscript } from "../src/formats";
import { parseRequest, type TranscriptData } from "../src/protocol";
import { speakerCount } from "../src/speakers/speaker-count";
import { speakerLabel, speakerTurns } from "../src/speakers/speaker-turns";
import type { SpeakerSegment } from "../src/speakers/speech-segments";
import { wordsToSpeakers } from "../src/speakers/words-to-speakers";

const word = (text: string, start: number, end: number) => ({ word: text, start, end, probability: 0.9 });

// Whisper's shape: one segment runs over the change of speaker at 2.0 s ("Fine," is Bob's answer).
const whisper: TranscriptData = {
  text: "How are you today? Fine, thanks. Good.",
  language: "en",
  durationSeconds: 6.2,
  segments: [
    {
      start: 0.2,
      end: 3.1,
      text: " How are you today? Fine, thanks.",
      words: [
        word(" How", 0.2, 0.5),
        word(" are", 0.5, 0.8),
        word(" you", 0.8, 1.2),
        word(" today?", 1.2, 1.9),
        word(" Fine,", 2.2, 2.6),
        word(" thanks.", 2.6, 3.1),
      ],
    },
    { start: 4.0, end: 4.6, text: " Good.", words: [word(" Good.", 4.0, 4.6)] },
  ],
  model: "tiny",
  backend: "cpu",
};
const speech: SpeakerSegment[] = [
  { speaker: 0, start: 0.1, end: 2.0 },
  { speaker: 1, start: 2.1, end: 3.2 },
  { speaker: 0, start: 3.9, end: 4.7 },
];

test("each word goes to the speaker over it, and a segment is split where the speaker changes", () => {
  const diarized = wordsToSpeakers(whisper, speech);
  expect(diarized.speakers).toBe(2);
  expect(diarized.segments.map(({ start, end, text, speaker }) => ({ start, end, text, speaker }))).toEqual([
    { start: 0.2, end: 1.9, text: "How are you today?", speaker: 0 },
    { start: 2.2, end: 3.1, text: "Fine, thanks.", speaker: 1 },
    { start: 4.0, end: 4.6, text: " Good.", speaker: 0 }, // unsplit: its text as the family gave it
  ]);
  expect(diarized.segments.flatMap((s) => s.words!.map((w) => w.speaker))).toEqual([0, 0, 0, 0, 1, 1, 0]);
  expect(diarized.segments.flatMap((s) => s.words!.filter((w) => "overlap" in w))).toEqual([]);
  expect(diarized.text).toBe(whisper.text);
});

test("a word two speakers share goes to the one over most of it, and is marked as overlapped", () => {
  // Bob starts at 1.5 s, over the last 0.4 s of "today?" (0.7 s long): Alice has 0.3 s of it alone, 0.4 with Bob.
  const overlapping: SpeakerSegment[] = [
    { speaker: 0, start: 0.1, end: 1.9 },
    { speaker: 1, start: 1.5, end: 3.2 },
    { speaker: 0, start: 3.9, end: 4.7 },
  ];
  const words = wordsToSpeakers(whisper, overlapping).segments.flatMap((s) => s.words!);
  expect(words.map((w) => [w.word, w.speaker, w.overlap])).toEqual([
    [" How", 0, undefined],
    [" are", 0, undefined],
    [" you", 0, undefined],
    [" today?", 0, true], // 0.7 s of Alice, 0.4 s of Bob: Alice's
    [" Fine,", 1, undefined],
    [" thanks.", 1, undefined],
    [" Good.", 0, undefined],
  ]);
  // Over most of it: "you" (0.8–1.2) is Bob's when he speaks over 0.3 s of it and Alice 0.1 s.
  const bobMost: SpeakerSegment[] = [
    { speaker: 0, start: 0.1, end: 0.9 },
    { speaker: 1, start: 0.9, end: 3.2 },
    { speaker: 0, start: 3.9, end: 4.7 },
  ];
  expect(wordsToSpeakers(whisper, bobMost).segments.flatMap((s) => s.words!.map((w) => w.speaker))).toEqual([
    0, 0, 1, 1, 1, 1, 0,
  ]);
});

test("a word no speaker's speech covers goes to the speaker nearest in time", () => {
  // The speaker model missed "Good." (4.0–4.6): Bob's speech ends 0.5 s before it, Alice's starts 1.0 s after it.
  const missed: SpeakerSegment[] = [
    { speaker: 0, start: 0.1, end: 2.0 },
    { speaker: 1, start: 2.1, end: 3.5 },
    { speaker: 0, start: 5.6, end: 6.0 },
  ];
  const last = wordsToSpeakers(whisper, missed).segments.at(-1)!;
  expect([last.text, last.speaker]).toEqual([" Good.", 1]);
});

test("without word times, or with words but no speech found, it says why instead of guessing", () => {
  const withoutWords = { ...whisper, segments: [{ start: 0.2, end: 3.1, text: " How are you?" }] };
  expect(() => wordsToSpeakers(withoutWords, speech)).toThrow("the segment at 0.2 s has no word times");
  expect(() => wordsToSpeakers(whisper, [])).toThrow("the speaker model found no speech");
  expect(wordsToSpeakers({ ...whisper, text: "", segments: [] }, []).speakers).toBe(0);
});

test("Parakeet's words (no segment split) and a third speaker number the speakers as the speaker model did", () => {
  const parakeet: TranscriptData = {
    ...whisper,
    segments: [
      {
        start: 0.2,
        end: 1.2,
        text: "How are you",
        words: [word(" How", 0.2, 0.5), word(" are", 0.5, 0.8), word(" you", 0.8, 1.2)],
      },
      { start: 2.3, end: 2.8, text: "Hi", words: [word(" Hi", 2.3, 2.8)] },
    ],
  };
  const three: SpeakerSegment[] = [
    { speaker: 0, start: 0, end: 1.3 },
    { speaker: 1, start: 1.3, end: 1.5 }, // a cough: no words
    { speaker: 2, start: 2.2, end: 3 },
  ];
  const diarized = wordsToSpeakers(parakeet, three);
  expect(diarized.speakers).toBe(3);
  expect(diarized.segments.map((s) => s.speaker)).toEqual([0, 2]);
});

test("turns join consecutive segments of one speaker; labels are the user's names or Speaker N", () => {
  const diarized = wordsToSpeakers(whisper, [
    { speaker: 0, start: 0.1, end: 2.0 },
    { speaker: 1, start: 2.1, end: 5 },
  ]);
  expect(speakerTurns(diarized.segments)).toEqual([
    { speaker: 0, start: 0.2, end: 1.9, text: "How are you today?" },
    { speaker: 1, start: 2.2, end: 4.6, text: "Fine, thanks. Good." },
  ]);
  expect([speakerLabel(0), speakerLabel(1, ["Alice"]), speakerLabel(0, [null, "Bob"])]).toEqual([
    "Speaker 1",
    "Speaker 2",
    "Speaker 1",
  ]);
  expect(speakerLabel(0, ["Alice"])).toBe("Alice");
});

describe("a transcript with speakers in every format", () => {
  const diarized = wordsToSpeakers(whisper, speech);

  test("text: one line per turn, named", () => {
    expect(formatTranscript("text", "talk.wav", diarized)).toBe(
      "Speaker 1: How are you today?\nSpeaker 2: Fine, thanks.\nSpeaker 1: Good.\n",
    );
    expect(formatTranscript("text", "talk.wav", diarized, ["Alice", "Bob"])).toBe(
      "Alice: How are you today?\nBob: Fine, thanks.\nAlice: Good.\n",
    );
  });

  test("SubRip: one cue per segment with the speaker's name before its text", () => {
    expect(formatTranscript("srt", "talk.wav", diarized, [null, "Bob"])).toBe(
      "1\n00:00:00,200 --> 00:00:01,900\nSpeaker 1: How are you today?\n\n" +
        "2\n00:00:02,200 --> 00:00:03,100\nBob: Fine, thanks.\n\n" +
        "3\n00:00:04,000 --> 00:00:04,600\nSpeaker 1: Good.\n\n",
    );
  });

  test("WebVTT: voice tags, with a name's and the text's <, & and > escaped", () => {
    expect(formatTranscript("vtt", "talk.wav", diarized, ["Q&A <host>"])).toBe(
      "WEBVTT\n\n" +
        "00:00:00.200 --> 00:00:01.900\n<v Q&amp;A &lt;host&gt;>How are you today?\n\n" +
        "00:00:02.200 --> 00:00:03.100\n<v Speaker 2>Fine, thanks.\n\n" +
        "00:00:04.000 --> 00:00:04.600\n<v Q&amp;A &lt;host&gt;>Good.\n\n",
    );
  });

  test("JSON: the speakers' names, and a speaker on every segment and word", () => {
    const parsed = JSON.parse(formatTranscript("json", "talk.wav", diarized, ["Alice"]));
    expect(parsed.speakers).toEqual(["Alice", "Speaker 2"]);
    // Rebuilt from the history's segments, without the count: the segments' speakers give it.
    const rebuilt = { ...diarized, speakers: undefined };
    expect(JSON.parse(formatTranscript("json", "talk.wav", rebuilt)).speakers).toEqual(["Speaker 1", "Speaker 2"]);
    expect(parsed.segments.map((s: { speaker: string }) => s.speaker)).toEqual(["Alice", "Speaker 2", "Alice"]);
    expect(parsed.segments[1].words).toEqual([
      { word: " Fine,", start: 2.2, end: 2.6, probability: 0.9, speaker: "Speaker 2" },
      { word: " thanks.", start: 2.6, end: 3.1, probability: 0.9, speaker: "Speaker 2" },
    ]);
  });

  test("a transcript without speakers keeps its formats as they were", () => {
    for (const format of ["text", "srt", "vtt", "json"] as const) {
      expect(formatTranscript(format, "talk.wav", whisper, ["Alice"])).toBe(
        formatTranscript(format, "talk.wav", whisper),
      );
    }
    expect(formatTranscript("text", "talk.wav", whisper)).toBe(`${whisper.text}\n`);
    expect(JSON.parse(formatTranscript("json", "talk.wav", whisper)).speakers).toBeUndefined();
  });
});

test("diarized_json has openai's TranscriptionDiarized fields, speakers lettered as OpenAI letters them", () => {
  const body: TranscriptionDiarized = diarizedJson(wordsToSpeakers(whisper, speech));
  expect(body).toEqual({
    task: "transcribe",
    duration: 6.2,
    text: whisper.text,
    segments: [
      { type: "transcript.text.segment", id: "seg_0", start: 0.2, end: 1.9, text: "How are you today?", speaker: "A" },
      { type: "transcript.text.segment", id: "seg_1", start: 2.2, end: 3.1, text: "Fine, thanks.", speaker: "B" },
      { type: "transcript.text.segment", id: "seg_2", start: 4, end: 4.6, text: "Good.", speaker: "A" },
    ],
    usage: { type: "duration", seconds: 7 },
  });
  expect(diarizedJson(wordsToSpeakers(whisper, speech), [null, "Bob"]).segments[1].speaker).toBe("Bob");
  expect([0, 1, 25, 26, 27, 52].map(letterLabel)).toEqual(["A", "B", "Z", "AA", "AB", "BA"]);
  // The stream's segment event (TranscriptionTextSegmentEvent) has the same fields as a segment of the body.
  const event: TranscriptionTextSegmentEvent = diarizedSegment(wordsToSpeakers(whisper, speech).segments[1], 1);
  expect(event).toEqual(body.segments[1]);
});

test("a speaker count is auto or a whole number from 1 to 8", () => {
  expect(["auto", " 2 ", "8", "1"].map(speakerCount)).toEqual(["auto", 2, 8, 1]);
  expect(["0", "9", "1.5", "2e0", "", "two", "-1", "0x2"].map(speakerCount)).toEqual(Array(8).fill(null));
});

test("the API's speaker fields: the diarize model asks for them, `speakers` for our models, bad values refused", () => {
  const fields = (entries: Record<string, string[]>) => new Map(Object.entries(entries));
  expect(parseSpeakerFields(fields({}), DIARIZE_MODEL, "json")).toBe("auto");
  expect(parseSpeakerFields(fields({}), "whisper-1", "json")).toBeNull();
  expect(parseSpeakerFields(fields({ speakers: ["3"] }), "whisper-1", "diarized_json")).toBe(3);
  expect(parseSpeakerFields(fields({ speakers: ["auto"] }), "large-v3-turbo", "srt")).toBe("auto");
  const refusal = (entries: Record<string, string[]>, model = "whisper-1", format = "json" as const) => {
    try {
      parseSpeakerFields(fields(entries), model, format);
    } catch (error) {
      return (error as ApiError).message;
    }
    throw new Error("not refused");
  };
  expect(refusal({ speakers: ["9"] })).toBe('"speakers" must be "auto" or a whole number from 1 to 8');
  expect(refusal({ speakers: ["1.5"] })).toMatch(/whole number/);
  expect(refusal({ speakers: ["2", "3"] })).toBe('give "speakers" once');
  expect(refusal({ "known_speaker_names[]": ["Alice"] }, DIARIZE_MODEL)).toMatch(/not supported/);
  expect(() => parseSpeakerFields(fields({}), "whisper-1", "diarized_json")).toThrow(
    `"response_format": "diarized_json" needs speakers: use "model": "${DIARIZE_MODEL}" or give "speakers"`,
  );
});

test("history.speakers: an entry and a list of 0-based speakers with a name of up to 100 characters or null", () => {
  const request = (fields: object) => () =>
    parseRequest(JSON.stringify({ type: "history.speakers", id: "1", ...fields }));
  expect(
    request({
      entry: 2,
      names: [
        { speaker: 0, name: "Alice" },
        { speaker: 1, name: null },
      ],
    })(),
  ).toEqual({
    type: "history.speakers",
    id: "1",
    entry: 2,
    names: [
      { speaker: 0, name: "Alice" },
      { speaker: 1, name: null },
    ],
  });
  const rule = '"names" must be a list of { "speaker": 0-based number, "name": up to 100 characters or null }';
  expect(request({ entry: 2, names: [] })).toThrow(rule);
  expect(request({ entry: 2, names: [{ speaker: -1, name: "A" }] })).toThrow(rule);
  expect(request({ entry: 2, names: [{ speaker: 0, name: "A".repeat(101) }] })).toThrow(rule);
  expect(request({ entry: 2, names: [{ speaker: 0 }] })).toThrow(rule);
  expect(request({ names: [{ speaker: 0, name: "A" }] })).toThrow('"entry" must be an entry id');
});
