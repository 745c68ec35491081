// Real audio files for audio tests: made with sox and ffmpeg, or written byte by byte where a test needs a WAV
// layout no tool writes (odd chunks, RF64, cut-short data).
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";

export function sox(...args: string[]): Buffer {
  return execFileSync("sox", args, { stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 30 });
}

export function ffmpeg(...args: string[]): void {
  execFileSync("ffmpeg", ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", ...args], { stdio: "ignore" });
}

/** Synthetic speech from espeak-ng: a 22.05 kHz mono 16-bit WAV. */
export function speak(path: string, text: string): void {
  execFileSync("espeak-ng", ["-w", path, text], { stdio: "ignore" });
}

/** The file as sox reads it, as mono float samples, after optional sox effects (e.g. "rate", "-v", "16000"). */
export function soxSamples(path: string, ...effects: string[]): Float32Array {
  const bytes = sox(path, "-t", "f32", "-c", "1", "-", ...effects);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

export function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  return a.reduce((max, x, i) => Math.max(max, Math.abs(x - b[i])), 0);
}

/** Amplitude of the component at `frequency` in a span of whole cycles. */
export function amplitudeAt(samples: Float32Array, frequency: number, rate: number): number {
  let re = 0;
  let im = 0;
  samples.forEach((x, i) => {
    re += x * Math.cos((2 * Math.PI * frequency * i) / rate);
    im -= x * Math.sin((2 * Math.PI * frequency * i) / rate);
  });
  return (2 * Math.hypot(re, im)) / samples.length;
}

export interface WavSpec {
  formatCode: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  /** WAVE_FORMAT_EXTENSIBLE: the sub-format code written into the standard GUID. */
  subFormat?: number;
  data: Buffer;
  /** Chunks written between fmt and data, e.g. an odd-sized LIST chunk. */
  extraChunks?: Array<{ id: string; body: Buffer }>;
  /** Data size written in the header when it should differ from the data present (a cut-short file). */
  declaredDataSize?: number;
  rf64?: boolean;
}

function chunk(id: string, body: Buffer, declaredSize = body.length): Buffer {
  const header = Buffer.alloc(8);
  header.write(id, 0, "latin1");
  header.writeUInt32LE(declaredSize, 4);
  return Buffer.concat([header, body, Buffer.alloc(body.length % 2)]);
}

/** A WAV file written byte by byte. */
export function writeWav(path: string, spec: WavSpec): void {
  const blockAlign = (spec.channels * spec.bitsPerSample) / 8;
  const extensible = spec.subFormat !== undefined;
  const fmt = Buffer.alloc(extensible ? 40 : 16);
  fmt.writeUInt16LE(spec.formatCode, 0);
  fmt.writeUInt16LE(spec.channels, 2);
  fmt.writeUInt32LE(spec.sampleRate, 4);
  fmt.writeUInt32LE(spec.sampleRate * blockAlign, 8);
  fmt.writeUInt16LE(blockAlign, 12);
  fmt.writeUInt16LE(spec.bitsPerSample, 14);
  if (extensible) {
    fmt.writeUInt16LE(22, 16);
    fmt.writeUInt16LE(spec.bitsPerSample, 18);
    fmt.writeUInt32LE(0, 20);
    fmt.writeUInt16LE(spec.subFormat ?? 0, 24);
    Buffer.from([0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71]).copy(fmt, 26);
  }
  const dataSize = spec.declaredDataSize ?? spec.data.length;
  const chunks: Buffer[] = [];
  if (spec.rf64) {
    const ds64 = Buffer.alloc(28);
    ds64.writeBigUInt64LE(BigInt(36 + 36 + dataSize), 0);
    ds64.writeBigUInt64LE(BigInt(dataSize), 8);
    ds64.writeBigUInt64LE(BigInt(spec.data.length / blockAlign), 16);
    chunks.push(chunk("ds64", ds64));
  }
  chunks.push(chunk("fmt ", fmt));
  for (const extra of spec.extraChunks ?? []) chunks.push(chunk(extra.id, extra.body));
  chunks.push(chunk("data", spec.data, spec.rf64 ? 0xffffffff : dataSize));
  const body = Buffer.concat(chunks);
  const riff = Buffer.alloc(12);
  riff.write(spec.rf64 ? "RF64" : "RIFF", 0, "latin1");
  riff.writeUInt32LE(spec.rf64 ? 0xffffffff : 4 + body.length, 4);
  riff.write("WAVE", 8, "latin1");
  writeFileSync(path, Buffer.concat([riff, body]));
}

/** 16-bit little-endian PCM bytes of float samples. */
export function int16Bytes(samples: Float32Array): Buffer {
  const bytes = Buffer.alloc(samples.length * 2);
  samples.forEach((x, i) => bytes.writeInt16LE(Math.round(Math.max(-1, Math.min(1, x)) * 32767), i * 2));
  return bytes;
}

export function sine(frequency: number, rate: number, seconds: number, amplitude: number): Float32Array {
  return Float32Array.from(
    { length: Math.round(rate * seconds) },
    (_, i) => amplitude * Math.sin((2 * Math.PI * frequency * i) / rate),
  );
}
