// 16 kHz mono 16-bit WAV files as the benches write and read them (a plain 44-byte header, nothing else).
import { readFileSync, writeFileSync } from "node:fs";

const RATE = 16000;

/** The samples of a WAV file this module wrote (or any with a 44-byte header), as floats in [-1, 1). */
export function readWav(file) {
  const bytes = readFileSync(file);
  const pcm = new Int16Array(bytes.buffer, bytes.byteOffset + 44, (bytes.length - 44) / 2);
  return Float32Array.from(pcm, (sample) => sample / 32768);
}

/** Writes 16-bit samples (an Int16Array) as a 16 kHz mono WAV file. */
export function writeWav(file, samples) {
  const header = Buffer.alloc(44);
  header.write("RIFF", 0);
  header.writeUInt32LE(36 + samples.length * 2, 4);
  header.write("WAVEfmt ", 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(RATE, 24);
  header.writeUInt32LE(RATE * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36);
  header.writeUInt32LE(samples.length * 2, 40);
  writeFileSync(file, Buffer.concat([header, Buffer.from(samples.buffer, samples.byteOffset, samples.length * 2)]));
}
