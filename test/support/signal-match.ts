// Whether a recording holds a known sound: the capture tests check that speech played into PulseAudio arrives
// intact, by the waveform rather than by what the small fixture model makes of it (which varies with the silence
// before the speech, different on every run).
import { loadAudio } from "../../daemon/src/audio";

export interface Match {
  /** Normalised cross-correlation at the best offset: 1 is an exact (scaled) copy, 0 unrelated. */
  correlation: number;
  /** Where the sound starts in the recording. */
  offsetSeconds: number;
}

const SAMPLE_RATE = 16_000;
const COARSE = 8; // the offset is found on audio averaged in blocks of 8 samples, then refined around it

function blockMeans(samples: Float32Array, block: number): Float32Array {
  const out = new Float32Array(Math.floor(samples.length / block));
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    for (let j = 0; j < block; j++) sum += samples[i * block + j];
    out[i] = sum / block;
  }
  return out;
}

function correlationAt(sound: Float32Array, recording: Float32Array, offset: number): number {
  let dot = 0;
  let soundEnergy = 0;
  let recordingEnergy = 0;
  for (let i = 0; i < sound.length; i++) {
    const r = recording[offset + i];
    dot += sound[i] * r;
    soundEnergy += sound[i] * sound[i];
    recordingEnergy += r * r;
  }
  return recordingEnergy > 0 && soundEnergy > 0 ? dot / Math.sqrt(soundEnergy * recordingEnergy) : 0;
}

function bestOffset(sound: Float32Array, recording: Float32Array, from: number, to: number): [number, number] {
  let best: [number, number] = [from, -Infinity];
  for (let offset = Math.max(0, from); offset <= Math.min(to, recording.length - sound.length); offset++) {
    const correlation = correlationAt(sound, recording, offset);
    if (correlation > best[1]) best = [offset, correlation];
  }
  return best;
}

/**
 * Finds `sound` in `recording` (both 16 kHz mono; the sound must fit inside the recording). The offset is searched
 * on the band below 1 kHz, where speech has its energy, then refined sample by sample.
 */
export function findSound(sound: Float32Array, recording: Float32Array): Match {
  if (sound.length > recording.length) return { correlation: 0, offsetSeconds: 0 };
  const [coarse] = bestOffset(blockMeans(sound, COARSE), blockMeans(recording, COARSE), 0, Infinity);
  const [offset, correlation] = bestOffset(sound, recording, (coarse - 1) * COARSE, (coarse + 1) * COARSE);
  return { correlation, offsetSeconds: offset / SAMPLE_RATE };
}

/** findSound on two audio files, with the sound's first `seconds` only if given. */
export async function findSoundIn(soundFile: string, recordingFile: string, seconds = Infinity): Promise<Match> {
  const [sound, recording] = await Promise.all([loadAudio(soundFile), loadAudio(recordingFile)]);
  return findSound(sound.samples.subarray(0, Math.min(sound.samples.length, seconds * SAMPLE_RATE)), recording.samples);
}
