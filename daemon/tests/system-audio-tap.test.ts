// The system's audio on a Mac through the Core Audio tap's helper (audiotee): the helper shipped is the universal
// macOS binary, and SystemAudioTap, driven through a stand-in that speaks the helper's protocol (the binary cannot run
// here), gives its PCM as 16 kHz frames, ends on its errors and on a format it should not send, and stops it.
import { chmodSync, mkdtempSync, openSync, readFileSync, readSync, closeSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { FRAME_SAMPLES } from "../src/capture/microphone";
import { audioteeBinary, SystemAudioError, SystemAudioTap } from "../src/capture/system-audio-tap";
import { systemTapProblem } from "../src/capture/system-tap-support";

const STAND_IN = path.resolve(__dirname, "../../test/support/audiotee-stand-in.mjs");
const WAV = path.resolve(__dirname, "../../test/fixtures/heldout/heldout-07.wav");
const work = mkdtempSync(path.join(os.tmpdir(), "verbatim-tap-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** An executable that runs the stand-in with these options before the helper's own arguments. */
function helper(name: string, options: string[]): string {
  const file = path.join(work, name);
  const quoted = [process.execPath, STAND_IN, ...options].map((word) => `'${word}'`).join(" ");
  writeFileSync(file, `#!/bin/sh\nexec ${quoted} "$@"\n`);
  chmodSync(file, 0o755);
  return file;
}

async function collect(tap: SystemAudioTap, samples: number): Promise<{ frames: Int16Array[]; error: unknown }> {
  const frames: Int16Array[] = [];
  try {
    for await (const frame of tap.frames()) {
      frames.push(frame);
      if (frames.length * FRAME_SAMPLES >= samples) tap.stop();
    }
    return { frames, error: null };
  } catch (error) {
    return { frames, error };
  }
}

test("the helper shipped is a universal macOS binary for Apple silicon and Intel", () => {
  const header = Buffer.alloc(8 + 2 * 20);
  const fd = openSync(audioteeBinary(), "r");
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  expect(header.readUInt32BE(0)).toBe(0xcafebabe); // a fat Mach-O
  const cpuTypes = Array.from({ length: header.readUInt32BE(4) }, (_, i) => header.readUInt32BE(8 + 20 * i));
  expect(cpuTypes.sort()).toEqual([0x01000007, 0x0100000c]); // x86_64, arm64
});

test("macOS 14.2 (Darwin 23.2) and later tap the system's audio; earlier Macs and Linux are told what to use", () => {
  expect(systemTapProblem("darwin", "23.2.0")).toBeNull();
  expect(systemTapProblem("darwin", "25.0.0")).toBeNull();
  expect(systemTapProblem("darwin", "23.1.0")).toMatch(/macOS 14.2 or later.*loopback device/);
  expect(systemTapProblem("linux", "6.1.0")).toMatch(/monitor source/);
});

test("the helper's PCM comes as 16 kHz frames, sample for sample, until stopped", async () => {
  const pcm = readFileSync(WAV).subarray(44);
  const expected = new Int16Array(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.length));
  const whole = Math.floor(expected.length / FRAME_SAMPLES) * FRAME_SAMPLES;
  const tap = new SystemAudioTap(helper("plays", ["--wav", WAV]));
  const { frames, error } = await collect(tap, whole);
  expect(error).toBeNull();
  expect(frames.every((frame) => frame.length === FRAME_SAMPLES)).toBe(true);
  const got = new Int16Array(frames.length * FRAME_SAMPLES);
  frames.forEach((frame, i) => got.set(frame, i * FRAME_SAMPLES));
  expect(got.length).toBe(whole);
  expect(Buffer.from(got.buffer).equals(Buffer.from(expected.buffer, 0, whole * 2))).toBe(true);
});

test("an error from the helper ends the frames with it, and says where macOS allows the recording", async () => {
  const tap = new SystemAudioTap(helper("fails", ["--wav", WAV, "--fail", "Failed to create process tap"]));
  const { frames, error } = await collect(tap, Infinity);
  expect(frames.length).toBeGreaterThan(0);
  expect(error).toBeInstanceOf(SystemAudioError);
  expect((error as Error).message).toMatch(/said "Failed to create process tap"/);
  expect((error as Error).message).toMatch(/System Audio Recording Only/);
});

test("a helper that sends another format is refused rather than recorded as noise", async () => {
  const tap = new SystemAudioTap(helper("native", ["--wav", WAV, "--format", "native"]));
  const { error } = await collect(tap, Infinity);
  expect((error as Error).message).toMatch(/48000 Hz, 1 channel\(s\), 32-bit float/);
});

test("a helper that cannot be started says so", async () => {
  const tap = new SystemAudioTap(path.join(work, "missing-audiotee"));
  const { error } = await collect(tap, Infinity);
  expect((error as Error).message).toMatch(/could not be started .*missing-audiotee.*ENOENT/);
});
