// A span of a meeting track read straight from its WAV (RecordingWriter's: a 44-byte header, then 16 kHz mono 16-bit
// samples), so that judging an hour-long meeting's segments holds only the spans in memory.
import { closeSync, openSync, readSync } from "node:fs";
import { SAMPLE_RATE } from "../dictation/pcm";
import { type RecordingWriter, WAV_HEADER_BYTES } from "../dictation/recordings";

/** Samples from `startSeconds` to `endSeconds` (fewer where the track ends sooner). */
export function readTrackSpan(file: string, startSeconds: number, endSeconds: number): Int16Array {
  const first = Math.max(0, Math.floor(startSeconds * SAMPLE_RATE));
  const samples = new Int16Array(Math.max(0, Math.ceil(endSeconds * SAMPLE_RATE) - first));
  return samples.subarray(0, readTrackInto(file, first, samples));
}

/**
 * Fills `into` with samples from sample `first` on, and says how many it read (fewer where the track ends sooner), so
 * that a reader going through the track in pieces can reuse one buffer.
 */
export function readTrackInto(file: string, first: number, into: Int16Array): number {
  const fd = openSync(file, "r");
  try {
    // Every platform Verbatim runs on (arm64, x64) is little-endian, as the track's samples are.
    return Math.floor(readSync(fd, into, 0, into.byteLength, WAV_HEADER_BYTES + first * 2) / 2);
  } finally {
    closeSync(fd);
  }
}

/** Appends samples [from, to) of a track to `copy` (fewer where the track ends sooner), through the buffer `piece`. */
export function copyTrackSpan(file: string, from: number, to: number, copy: RecordingWriter, piece: Int16Array): void {
  for (let at = from; at < to;) {
    const read = readTrackInto(file, at, piece.subarray(0, Math.min(piece.length, to - at)));
    if (read === 0) return;
    copy.append(new Uint8Array(piece.buffer, piece.byteOffset, read * 2));
    at += read;
  }
}
