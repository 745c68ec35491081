// The diarization error rate against cases computed by hand, and the held-out conversations' RTTMs read back.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { diarizationErrors, type Speech } from "./der";
import { parseRttm, readRttm } from "./rttm";
import { wordSpeakerAccuracy } from "./word-speakers";

const s = (speaker: string | number, start: number, end: number): Speech => ({ speaker, start, end });

test("a hypothesis that differs only in its speakers' names has no error", () => {
  const errors = diarizationErrors(
    [s("A", 0, 10), s("B", 10, 20), s("A", 20, 25)],
    [s(1, 0, 10), s(0, 10, 20), s(1, 20, 25)],
  );
  expect(errors).toMatchObject({ total: 25, missed: 0, falseAlarm: 0, confusion: 0, rate: 0 });
  expect([...errors.mapping]).toEqual([
    [1, "A"],
    [0, "B"],
  ]);
});

test("a change of speaker found 2 s late: confusion; the 0.25 s collar takes 0.25 s either side of each boundary", () => {
  const reference = [s("A", 0, 10), s("B", 10, 20)];
  const hypothesis = [s(0, 0, 12), s(1, 12, 20)];
  expect(diarizationErrors(reference, hypothesis)).toMatchObject({ total: 20, confusion: 2, rate: 0.1 });
  // Scored: 20 s less [0, 0.25], [9.75, 10.25] and [19.75, 20] = 19 s; confused: 10.25 to 12 = 1.75 s.
  const collared = diarizationErrors(reference, hypothesis, 0.25);
  expect(collared.total).toBeCloseTo(19, 10);
  expect(collared.confusion).toBeCloseTo(1.75, 10);
  expect(collared.rate).toBeCloseTo(1.75 / 19, 10);
});

test("speech heard late and past its end: missed speech and false alarm", () => {
  expect(diarizationErrors([s("A", 0, 10)], [s(0, 2, 12)])).toMatchObject({
    total: 10,
    missed: 2,
    falseAlarm: 2,
    confusion: 0,
    rate: 0.4,
  });
  expect(diarizationErrors([s("A", 0, 10)], [])).toMatchObject({ missed: 10, rate: 1 });
});

test("overlapping speech counts each speaker: one voice heard where two spoke misses one of them", () => {
  // 0–5 A alone (right), 5–10 A and B with one speaker heard (5 s missed), 10–15 B heard as A's speaker (confusion).
  expect(diarizationErrors([s("A", 0, 10), s("B", 5, 15)], [s(0, 0, 15)])).toMatchObject({
    total: 20,
    missed: 5,
    falseAlarm: 0,
    confusion: 5,
    rate: 0.5,
  });
  // One reference speaker split in two: half of it is confusion.
  expect(diarizationErrors([s("A", 0, 10)], [s(0, 0, 5), s(1, 5, 10)]).rate).toBe(0.5);
});

test("the mapping is the best pairing overall, not the greedy one", () => {
  // Together: 0–A 6 s, 0–B 5 s, 1–A 5 s. Greedy pairs 0 with A (6 s right, 10 s confused); the best pairs 0 with B
  // and 1 with A: 10 s right, 6 s confused, over 16 s.
  const errors = diarizationErrors([s("A", 0, 11), s("B", 11, 16)], [s(0, 0, 6), s(1, 6, 11), s(0, 11, 16)]);
  expect([...errors.mapping].sort()).toEqual([
    [0, "B"],
    [1, "A"],
  ]);
  expect(errors).toMatchObject({ total: 16, confusion: 6, rate: 6 / 16 });
});

test("word-level speaker accuracy: each word against the reference word it shares most time with, mapped", () => {
  const reference = [
    { start: 0, end: 0.5, speaker: "A" },
    { start: 0.5, end: 1, speaker: "B" },
    { start: 1.2, end: 1.6, speaker: "A" },
  ];
  // The second word is timed late, mostly over B's word; the third is given to speaker 1 (B's), not A's.
  const words = [
    { start: 0, end: 0.4, speaker: 0 },
    { start: 0.4, end: 0.9, speaker: 1 },
    { start: 1.2, end: 1.5, speaker: 1 },
  ];
  const mapping = new Map<string | number, string>([
    [0, "A"],
    [1, "B"],
  ]);
  expect(wordSpeakerAccuracy(words, reference, mapping)).toEqual({ right: 2, words: 3, accuracy: 2 / 3 });
});

test("RTTM: SPEAKER lines read, others skipped, a malformed one named", () => {
  const text =
    "SPEAKER talk 1 0.500 2.250 <NA> <NA> spk1 <NA> <NA>\nSPKR-INFO talk 1 <NA> <NA> <NA> unknown spk1 <NA>\n";
  expect(parseRttm(text)).toEqual([{ speaker: "spk1", start: 0.5, end: 2.75 }]);
  expect(() => parseRttm("\nSPEAKER talk 1 x 2 <NA> <NA> spk1")).toThrow("RTTM line 2 is not");
});

describe("the held-out conversations", () => {
  const folder = path.join(__dirname, "..", "fixtures", "conversations");
  const names = readdirSync(folder)
    .filter((f) => f.endsWith(".rttm"))
    .map((f) => f.slice(0, -5));

  test.each(names)("%s: its speakers, its overlap, and every word inside its speaker's speech", (name) => {
    const turns = readRttm(path.join(folder, `${name}.rttm`));
    const speakers = Number(/(\d)spk/.exec(name)![1]);
    expect(new Set(turns.map((t) => t.speaker)).size).toBe(speakers);
    const overlapping = turns.some((a, i) => turns.some((b, j) => i !== j && a.start < b.end && b.start < a.end));
    expect(overlapping).toBe(name.endsWith("-overlap"));
    expect(diarizationErrors(turns, turns).rate).toBe(0);
    const { words } = JSON.parse(readFileSync(path.join(folder, `${name}.json`), "utf8")) as {
      words: { speaker: string; start: number; end: number }[];
    };
    // Times are written to the millisecond: an RTTM end (onset + duration, each rounded) and a word's end may differ
    // by 1.5 ms.
    for (const word of words) {
      const inside = turns.some(
        (t) => t.speaker === word.speaker && t.start - 0.002 <= word.start && word.end <= t.end + 0.002,
      );
      expect(inside).toBe(true);
    }
  });
});
