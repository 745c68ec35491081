// 16-bit little-endian PCM as it arrives in binary frames: conversion to the engine's floats, and its level.

export const SAMPLE_RATE = 16_000;

/** The samples of a frame (whose byte count is even). Copies, as the frame's bytes may sit at an odd offset. */
export function pcmSamples(bytes: Uint8Array): Int16Array {
  // Every platform Verbatim runs on (arm64, x64) is little-endian, as the frames are.
  return new Int16Array(new Uint8Array(bytes).buffer); // (a Buffer's slice() would share its pool)
}

/** The samples as floats in [-1, 1], into `into` (reused by a caller converting piece after piece) or a new array. */
export function toFloat(samples: Int16Array, into = new Float32Array(samples.length)): Float32Array {
  for (let i = 0; i < samples.length; i++) into[i] = samples[i] / 32768;
  return into.length === samples.length ? into : into.subarray(0, samples.length);
}

/** Floats in [-1, 1] as 16-bit little-endian PCM bytes; exact for floats read from 16-bit audio (s / 32768). */
export function toPcmBytes(samples: Float32Array): Uint8Array {
  const bytes = new Uint8Array(samples.length * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < samples.length; i++) {
    view.setInt16(i * 2, Math.max(-32768, Math.min(32767, Math.round(samples[i] * 32768))), true);
  }
  return bytes;
}

/** RMS and peak (0-1) over blocks of `blockSamples`, one report per full block. */
export class LevelMeter {
  private sumSquares = 0;
  private peak = 0;
  private count = 0;

  constructor(
    private readonly blockSamples: number,
    private readonly report: (rms: number, peak: number) => void,
  ) {}

  push(samples: Int16Array): void {
    for (const sample of samples) {
      const value = Math.abs(sample) / 32768;
      this.sumSquares += value * value;
      if (value > this.peak) this.peak = value;
      if (++this.count === this.blockSamples) {
        this.report(Math.sqrt(this.sumSquares / this.count), this.peak);
        this.sumSquares = 0;
        this.peak = 0;
        this.count = 0;
      }
    }
  }
}
