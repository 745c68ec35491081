// The ring a microphone kept ready holds its last moments in (capture/pre-roll.ts): it keeps only the newest
// `keepMs` of frames, whatever it was given, and a dictation takes those read after its keypress time, in order.
import { PreRoll } from "../src/capture/pre-roll";

const FRAME_MS = 32;

/** Frame n: one sample holding n, read at n * FRAME_MS (epoch ms). */
function fill(ring: PreRoll, frames: number): void {
  for (let n = 0; n < frames; n++) ring.push(new Uint8Array([n]), n * FRAME_MS);
}

const numbers = (frames: Uint8Array[]) => frames.map((pcm) => pcm[0]);

describe("PreRoll", () => {
  test("keeps only the newest keepMs of frames (one frame more), oldest first, however long it records", () => {
    const ring = new PreRoll(2000, FRAME_MS);
    fill(ring, 10_000);
    const held = numbers(ring.takeSince(-Infinity));
    // 2000 / 32 = 62.5: 63 frames hold 2 s, and one more.
    expect(held).toHaveLength(64);
    expect(held[0]).toBe((10_000 - 64) % 256);
    expect(held.at(-1)).toBe((10_000 - 1) % 256);
  });

  test("a dictation takes the frames read after its keypress time, not those before", () => {
    const ring = new PreRoll(2000, FRAME_MS);
    fill(ring, 50); // read at 0, 32, …, 1568 ms
    // Pressed at 1000 ms: frame 31 (read at 992) ended before it; frame 32 (read at 1024) holds audio after it.
    expect(numbers(ring.takeSince(1000))).toEqual(Array.from({ length: 18 }, (_, i) => 32 + i));
  });

  test("a keypress older than what it holds gives all it holds; one after the last frame gives none", () => {
    const ring = new PreRoll(320, FRAME_MS); // 10 frames and one more
    fill(ring, 30);
    expect(numbers(ring.takeSince(0))).toEqual(Array.from({ length: 11 }, (_, i) => 19 + i));
    fill(ring, 30);
    expect(ring.takeSince(29 * FRAME_MS)).toEqual([]);
  });

  test("taking empties it: the next dictation gets only what was read after", () => {
    const ring = new PreRoll(2000, FRAME_MS);
    fill(ring, 5);
    expect(numbers(ring.takeSince(-Infinity))).toEqual([0, 1, 2, 3, 4]);
    expect(ring.takeSince(-Infinity)).toEqual([]);
    ring.push(new Uint8Array([7]), 500);
    expect(numbers(ring.takeSince(-Infinity))).toEqual([7]);
  });
});
