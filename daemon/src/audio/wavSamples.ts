import type { FileHandle } from "node:fs/promises";
import type { SampleEncoding, WavLayout } from "./wavHeader";

/** Frames read and converted per step, so a long file never needs its raw bytes in memory at once. */
const FRAMES_PER_BLOCK = 65536;

type SampleReader = (bytes: Buffer, offset: number) => number;

const READERS: Record<SampleEncoding, SampleReader> = {
  uint8: (bytes, offset) => (bytes[offset] - 128) / 128,
  int16: (bytes, offset) => bytes.readInt16LE(offset) / 32768,
  int24: (bytes, offset) => bytes.readIntLE(offset, 3) / 8388608,
  int32: (bytes, offset) => bytes.readInt32LE(offset) / 2147483648,
  float32: (bytes, offset) => bytes.readFloatLE(offset),
  float64: (bytes, offset) => bytes.readDoubleLE(offset),
};

/** The WAV's samples as mono float blocks (channels averaged) at the file's own rate. */
export async function* readMonoBlocks(file: FileHandle, layout: WavLayout): AsyncGenerator<Float32Array> {
  const read = READERS[layout.encoding];
  const sampleBytes = layout.blockAlign / layout.channels;
  const bytes = Buffer.alloc(FRAMES_PER_BLOCK * layout.blockAlign);
  for (let frame = 0; frame < layout.frames; frame += FRAMES_PER_BLOCK) {
    const frames = Math.min(FRAMES_PER_BLOCK, layout.frames - frame);
    const length = frames * layout.blockAlign;
    const { bytesRead } = await file.read(bytes, 0, length, layout.dataOffset + frame * layout.blockAlign);
    const complete = Math.floor(bytesRead / layout.blockAlign);
    const block = new Float32Array(complete);
    for (let i = 0; i < complete; i++) {
      let sum = 0;
      const start = i * layout.blockAlign;
      for (let channel = 0; channel < layout.channels; channel++) sum += read(bytes, start + channel * sampleBytes);
      block[i] = sum / layout.channels;
    }
    yield block;
    if (complete < frames) return; // the file shrank while being read
  }
}
