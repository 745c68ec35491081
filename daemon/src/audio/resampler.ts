// Band-limited sample-rate conversion by a Kaiser-windowed sinc filter in polyphase form: for a rational ratio
// L/M each output sample uses one of L precomputed phases of the filter, so arbitrary rates cost a few dozen
// multiply-adds per tap window. Works on a stream: push chunks, get the output they complete, flush at the end.

// The filter follows ffmpeg's default resampler (swresample: 32 taps at the lower rate, cut-off 0.97 of Nyquist,
// Kaiser β 9), the preprocessing Whisper was trained on, with the cut-off a little lower for more alias rejection.
/** Filter half-length in periods of the lower of the two rates: longer gives a sharper cut-off but costs more. */
const HALF_WIDTH_PERIODS = 16;
/** Pass band edge as a fraction of the lower Nyquist frequency. */
const ROLLOFF = 0.95;
/** Kaiser β: about 90 dB stop-band attenuation. */
const KAISER_BETA = 9;
/**
 * Most filter phases kept. Common rates need few (44.1 kHz → 16 kHz: 160); an odd rate such as 44056 Hz would need
 * 2000, and then output instants are rounded to 1/1024 of an input sample (an error below -60 dB).
 */
const MAX_PHASES = 1024;

export const MIN_SAMPLE_RATE = 1000;
export const MAX_SAMPLE_RATE = 768_000;

function greatestCommonDivisor(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Modified Bessel function of the first kind, order 0 (power series; converges fast for β ≤ 20). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

export class Resampler {
  /** Output samples per input sample is up / down. */
  private readonly up: number;
  private readonly down: number;
  /** Taps per phase; the phase for output n starts `tapsBefore - 1` input samples before floor(n·down/up). */
  private readonly taps: number;
  private readonly tapsBefore: number;
  /** Filter rows for fractional positions k / (rows - 1), or exactly phase / up when every phase has its row. */
  private readonly bank: Float64Array;
  private readonly rowPerPhase: number;

  /** Input not yet consumed; buffer[0] is input sample `bufferStart` (negative indices are the zero lead-in). */
  private buffer = new Float32Array(0);
  private bufferStart: number;
  private received = 0;
  /** Next output sample and the input position it centres on: floor(next·down/up) and its phase. */
  private produced = 0;
  private centre = 0;
  private phase = 0;

  constructor(
    readonly inputRate: number,
    readonly outputRate: number,
  ) {
    for (const rate of [inputRate, outputRate]) {
      if (!Number.isInteger(rate) || rate < MIN_SAMPLE_RATE || rate > MAX_SAMPLE_RATE) {
        throw new RangeError(`Sample rate ${rate} Hz is outside ${MIN_SAMPLE_RATE}–${MAX_SAMPLE_RATE} Hz`);
      }
    }
    const divisor = greatestCommonDivisor(inputRate, outputRate);
    this.up = outputRate / divisor;
    this.down = inputRate / divisor;

    const scale = Math.min(1, outputRate / inputRate);
    const cutoff = 0.5 * scale * ROLLOFF; // cycles per input sample
    const halfWidth = HALF_WIDTH_PERIODS / scale; // input samples
    this.tapsBefore = Math.ceil(halfWidth);
    this.taps = 2 * this.tapsBefore;
    this.bufferStart = -this.tapsBefore;
    this.buffer = new Float32Array(this.tapsBefore);
    const exact = this.up <= MAX_PHASES;
    const rows = exact ? this.up : MAX_PHASES + 1;
    this.rowPerPhase = exact ? 1 : MAX_PHASES / this.up;
    this.bank = new Float64Array(rows * this.taps);

    const windowNorm = besselI0(KAISER_BETA);
    for (let index = 0; index < rows; index++) {
      const row = index * this.taps;
      const fraction = exact ? index / this.up : index / MAX_PHASES;
      let sum = 0;
      for (let m = 0; m < this.taps; m++) {
        // Distance in input samples from the output instant to input sample centre - tapsBefore + 1 + m.
        const t = this.tapsBefore - 1 - m + fraction;
        const ratio = t / halfWidth;
        if (Math.abs(ratio) >= 1) continue;
        const x = 2 * cutoff * t;
        const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
        const value = 2 * cutoff * sinc * (besselI0(KAISER_BETA * Math.sqrt(1 - ratio * ratio)) / windowNorm);
        this.bank[row + m] = value;
        sum += value;
      }
      // Unit gain at DC for every phase, so a constant stays constant whatever the fractional position.
      for (let m = 0; m < this.taps; m++) this.bank[row + m] /= sum;
    }
  }

  /** Feeds input samples; returns the output samples they complete. */
  push(input: Float32Array): Float32Array {
    this.append(input);
    this.received += input.length;
    return this.produce(this.received);
  }

  /** Ends the stream: the remaining output, as if silence followed the input. */
  flush(): Float32Array {
    this.append(new Float32Array(this.tapsBefore));
    const output = this.produce(this.received + this.tapsBefore, Math.ceil((this.received * this.up) / this.down));
    this.buffer = new Float32Array(0);
    return output;
  }

  private append(input: Float32Array): void {
    const joined = new Float32Array(this.buffer.length + input.length);
    joined.set(this.buffer);
    joined.set(input, this.buffer.length);
    this.buffer = joined;
  }

  /** Outputs whose whole filter window lies below input index `available`, at most up to output `limit`. */
  private produce(available: number, limit = Infinity): Float32Array {
    const lastCentre = available - this.tapsBefore - 1; // centre + tapsBefore must be < available
    const { bank, taps, buffer, up, down, rowPerPhase } = this;
    const bound = Math.max(
      0,
      Math.min(limit - this.produced, Math.ceil(((lastCentre - this.centre + 1) * up) / down) + 1),
    );
    const outputs = new Float32Array(bound);
    let count = 0;
    while (this.centre <= lastCentre && this.produced < limit) {
      const first = this.centre - this.tapsBefore + 1 - this.bufferStart;
      const row = Math.round(this.phase * rowPerPhase) * taps;
      let acc = 0;
      for (let m = 0; m < taps; m++) acc += bank[row + m] * buffer[first + m];
      outputs[count++] = acc;
      this.produced++;
      this.phase += down;
      this.centre += Math.floor(this.phase / up);
      this.phase %= up;
    }
    // Keep only the input the next output still needs.
    const keepFrom = this.centre - this.tapsBefore + 1;
    if (keepFrom > this.bufferStart) {
      this.buffer = this.buffer.slice(Math.min(keepFrom - this.bufferStart, this.buffer.length));
      this.bufferStart = keepFrom;
    }
    return outputs.subarray(0, count);
  }
}

/** Converts a whole signal at once. */
export function resample(samples: Float32Array, inputRate: number, outputRate: number): Float32Array {
  if (inputRate === outputRate) return samples.slice();
  const resampler = new Resampler(inputRate, outputRate);
  const head = resampler.push(samples);
  const tail = resampler.flush();
  const output = new Float32Array(head.length + tail.length);
  output.set(head);
  output.set(tail, head.length);
  return output;
}
