import { resample, Resampler } from "../src/audio";
import { amplitudeAt, sine } from "./support/audio-fixtures";

// Files are made and decoded by real tools on a shared machine: allow for a slow one.
jest.setTimeout(60_000);

function rms(samples: Float32Array): number {
  return Math.sqrt(samples.reduce((sum, x) => sum + x * x, 0) / samples.length);
}

/** The middle of a signal, away from the filter's edge effects: whole 1 kHz cycles at 16 kHz (16 samples). */
function middle(samples: Float32Array): Float32Array {
  return samples.subarray(1600, 1600 + 16 * 800);
}

describe("Resampler", () => {
  test.each([44100, 48000, 22050, 8000, 11025, 32000])(
    "a 1 kHz sine at %i Hz keeps its frequency and amplitude",
    (rate) => {
      const output = resample(sine(1000, rate, 1.2, 0.5), rate, 16000);
      expect(output.length).toBe(Math.ceil((Math.round(rate * 1.2) * 16000) / rate));
      const span = middle(output);
      const amplitude = amplitudeAt(span, 1000, 16000);
      expect(amplitude).toBeGreaterThan(0.5 * 0.995);
      expect(amplitude).toBeLessThan(0.5 * 1.005);
      // All the power is at 1 kHz: nothing moved to other frequencies.
      expect(rms(span)).toBeCloseTo(amplitude / Math.SQRT2, 3);
    },
  );

  test("an odd rate (44056 Hz, 2000 phases) keeps a 1 kHz sine within 0.1%", () => {
    const output = resample(sine(1000, 44056, 1.2, 0.5), 44056, 16000);
    const span = middle(output);
    expect(Math.abs(amplitudeAt(span, 1000, 16000) - 0.5)).toBeLessThan(0.0005);
    expect(rms(span)).toBeCloseTo(amplitudeAt(span, 1000, 16000) / Math.SQRT2, 4);
  });

  test("a 10 kHz tone at 44.1 kHz is attenuated by more than 60 dB instead of aliasing to 6 kHz", () => {
    const input = sine(10000, 44100, 1.2, 0.5);
    const output = middle(resample(input, 44100, 16000));
    const attenuationDb = 20 * Math.log10(rms(output) / rms(input));
    expect(attenuationDb).toBeLessThan(-60);
  });

  test("speech-band tones pass and out-of-band tones are stopped at 48 kHz", () => {
    const passed = middle(resample(sine(5000, 48000, 1.2, 0.5), 48000, 16000));
    expect(amplitudeAt(passed, 5000, 16000)).toBeGreaterThan(0.49);
    const stopped = middle(resample(sine(12000, 48000, 1.2, 0.5), 48000, 16000));
    expect(20 * Math.log10(rms(stopped) / (0.5 / Math.SQRT2))).toBeLessThan(-60);
  });

  test("a constant stays constant", () => {
    const output = middle(resample(new Float32Array(44100).fill(0.25), 44100, 16000));
    const worst = output.reduce((max, x) => Math.max(max, Math.abs(x - 0.25)), 0);
    expect(worst).toBeLessThan(1e-5);
  });

  test("chunks in any sizes give the same output as the whole signal at once", () => {
    const input = sine(440, 44100, 0.5, 0.8).map((x, i) => x + 0.1 * Math.sin(i * 0.37));
    const whole = resample(input, 44100, 16000);
    const streaming = new Resampler(44100, 16000);
    const pieces: Float32Array[] = [];
    const sizes = [1, 7, 100, 3, 4096, 0, 513];
    for (let offset = 0, i = 0; offset < input.length; i++) {
      const size = sizes[i % sizes.length];
      pieces.push(streaming.push(input.subarray(offset, offset + size)));
      offset += size;
    }
    pieces.push(streaming.flush());
    const joined = Float32Array.from(pieces.flatMap((piece) => Array.from(piece)));
    expect(joined.length).toBe(whole.length);
    expect(Array.from(joined)).toEqual(Array.from(whole));
  });

  test("16 kHz input passes through unchanged and odd rates are refused clearly", () => {
    const input = sine(1000, 16000, 0.1, 0.3);
    expect(Array.from(resample(input, 16000, 16000))).toEqual(Array.from(input));
    expect(() => new Resampler(500, 16000)).toThrow(/500 Hz is outside/);
  });
});
