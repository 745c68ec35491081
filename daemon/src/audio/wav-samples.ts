import type { FileHandle } from "node:fs/promises";
import type { SampleEncoding, WavLayout } from "./wav-header";

/** Frames read and converted per step, so a long file never needs its raw bytes in memory at once. */
const FRAMES_PER_BLOCK = 65536;

/** Reads sample `index` (frame × channels + channel) of a block as a float in [-1, 1). */
type SampleReader = (view: DataView, index: number) => number;

const READERS: Record<SampleEncoding, SampleReader> = {
  uint8: (view, index) => (view.getUint8(index) - 128) / 128,
  int16: (view, index) => view.getInt16(index * 2, true) / 32768,
  int24: (view, index) => {
    const offset = index * 3;
    return ((view.getInt8(offset + 2) << 16) | view.getUint16(offset, true)) / 8388608;
  },
  int32: (view, index) => view.getInt32(index * 4, true) / 2147483648,
  float32: (view, index) => view.getFloat32(index * 4, true),
  float64: (view, index) => view.getFloat64(index * 8, true),
};

/**
 * The WAV's samples as mono float blocks (channels averaged) at the file's own rate. Every block is a view of one
 * buffer, valid until the next is asked for: an hour of audio would otherwise leave 230 MB of blocks for the
 * collector, which a busy machine does not run in time. Keep a block by copying it.
 */
export async function* readMonoBlocks(file: FileHandle, layout: WavLayout): AsyncGenerator<Float32Array> {
  const bytes = Buffer.alloc(FRAMES_PER_BLOCK * layout.blockAlign);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const mono = new Float32Array(FRAMES_PER_BLOCK);
  for (let frame = 0; frame < layout.frames; frame += FRAMES_PER_BLOCK) {
    const frames = Math.min(FRAMES_PER_BLOCK, layout.frames - frame);
    const position = layout.dataOffset + frame * layout.blockAlign;
    const { bytesRead } = await file.read(bytes, 0, frames * layout.blockAlign, position);
    const complete = Math.floor(bytesRead / layout.blockAlign);
    yield downmix(view, complete, layout.channels, READERS[layout.encoding], mono);
    if (complete < frames) return; // the file shrank while being read
  }
}

function downmix(
  view: DataView,
  frames: number,
  channels: number,
  read: SampleReader,
  into: Float32Array,
): Float32Array {
  const mono = into.subarray(0, frames);
  if (channels === 1) {
    for (let i = 0; i < frames; i++) mono[i] = read(view, i);
    return mono;
  }
  for (let i = 0, index = 0; i < frames; i++) {
    let sum = 0;
    for (let channel = 0; channel < channels; channel++) sum += read(view, index++);
    mono[i] = sum / channels;
  }
  return mono;
}
