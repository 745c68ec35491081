// A meeting track's spans read straight from its WAV (meetings/track-span.ts): whole where the track has them, short
// where it ends sooner, and a copy made through a buffer smaller than the span equal to the span.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadAudio } from "../src/audio";
import { RecordingWriter } from "../src/dictation/recordings";
import { copyTrackSpan, readTrackInto, readTrackSpan } from "../src/meetings/track-span";

const folder = mkdtempSync(path.join(os.tmpdir(), "verbatim-track-span-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** A track of 1.5 s whose sample i is i % 30000 (distinct across any span the tests read). */
function track(): string {
  const samples = Int16Array.from({ length: 24_000 }, (_, i) => i % 30_000);
  const writer = new RecordingWriter("track", path.join(folder, `track-${Math.random()}.wav`));
  writer.append(new Uint8Array(samples.buffer));
  writer.close();
  return writer.file;
}

test("a span is read whole, and short where the track ends sooner", () => {
  const file = track();
  expect(Array.from(readTrackSpan(file, 0.5, 0.5001))).toEqual([8000, 8001]);
  expect(readTrackSpan(file, 1, 2)).toHaveLength(8000);
  expect(readTrackSpan(file, 2, 3)).toHaveLength(0);
  const into = new Int16Array(10);
  expect(readTrackInto(file, 23_995, into)).toBe(5);
  expect(Array.from(into.subarray(0, 5))).toEqual([23_995, 23_996, 23_997, 23_998, 23_999]);
});

test("a copy through a small buffer holds the span, up to the track's end", async () => {
  const file = track();
  const piece = new Int16Array(1000);
  for (const [from, to, expected] of [
    [100, 3_250, 3_150],
    [20_000, 30_000, 4_000],
  ]) {
    const copy = new RecordingWriter("copy", path.join(folder, `copy-${from}.wav`));
    copyTrackSpan(file, from, to, copy, piece.subarray(300)); // 700 samples, not at its buffer's start
    copy.close();
    const { samples } = await loadAudio(copy.file);
    expect(samples).toHaveLength(expected);
    expect(Math.round(samples[0] * 32768)).toBe(from);
    expect(Math.round(samples[expected - 1] * 32768)).toBe(from + expected - 1);
  }
});
