// A span of a meeting track read straight from its WAV (RecordingWriter's: a 44-byte header, then 16 kHz mono 16-bit
// samples), so that judging an hour-long meeting's segments holds only the spans in memory.
import { closeSync, openSync, readSync } from "node:fs";
import { SAMPLE_RATE } from "../dictation/pcm";
import { WAV_HEADER_BYTES } from "../dictation/recordings";

/** Samples from `startSeconds` to `endSeconds` (fewer where the track ends sooner). */
export function readTrackSpan(file: string, startSeconds: number, endSeconds: number): Int16Array {
  const first = Math.max(0, Math.floor(startSeconds * SAMPLE_RATE));
  return readTrackSamples(file, first, Math.max(0, Math.ceil(endSeconds * SAMPLE_RATE) - first));
}

/** `count` samples from sample `first` on (fewer where the track ends sooner). */
export function readTrackSamples(file: string, first: number, count: number): Int16Array {
  const bytes = Buffer.alloc(count * 2);
  const fd = openSync(file, "r");
  try {
    const read = readSync(fd, bytes, 0, bytes.length, WAV_HEADER_BYTES + first * 2);
    return new Int16Array(bytes.buffer, bytes.byteOffset, Math.floor(read / 2)).slice();
  } finally {
    closeSync(fd);
  }
}
