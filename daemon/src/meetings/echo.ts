// Is a span of the meeting's microphone track the others' voices, played by the speakers and heard again by the
// microphone (echo), rather than the user?
//
// The leak is the system track delayed (output latency plus the air: 0-300 ms, the lags searched), quieter (-10 to
// -30 dB), coloured by the room and the speakers, and under the microphone's own noise. Its waveform is too changed
// for a sample-level cross-correlation, but its loudness over time survives: syllables and pauses rise and fall
// together on both tracks. So the span is cut into 10 ms frames, each frame's RMS amplitude taken in three bands
// (voicing, formants, hiss), and the system's amplitudes, shifted by each lag in the range, are correlated with the
// microphone's (Pearson, so gain and a steady noise floor do not matter). Amplitude rather than log energy: a louder
// voice in the microphone (the user talking over the others) then dominates its rise and fall, and the correlation
// drops as it should, where log energy would still match the leak heard in the user's pauses. The best lag's
// correlation, averaged over the bands (0 if negative), is the similarity; echo needs it high and the system actually
// sounding in the span (a system that whispers, or is silent, explains nothing).
import { SAMPLE_RATE } from "../dictation/pcm";

export interface EchoJudgement {
  /** The span's microphone audio is the system's audio heard through the speakers, not the user. */
  echo: boolean;
  /** How well the system track (at the best lag) explains the microphone in the span: 0 unrelated, 1 entirely. */
  similarity: number;
  /** The best lag found: how much later the system's sound reaches the microphone, in ms. */
  lagMs: number;
}

const FRAME = 160; // 10 ms
const FRAME_MS = (1000 * FRAME) / SAMPLE_RATE;
/**
 * Lags searched, in whole frames: up to 300 ms, and from -100 ms, since the two tracks' clocks agree within tens of
 * milliseconds (each capture process's first sample time), not exactly, so a leak heard soon may sit a little early.
 */
const MIN_LAG_FRAMES = -10;
const MAX_LAG_FRAMES = 30;
/**
 * Similarity from which a span is echo: measured on real speech (daemon/tests/meeting-echo.test.ts), the others
 * alone in the microphone give 0.94-0.97 (0.69-0.72 at -30 dB under noise at -45 dBFS), the user talking over them
 * and unrelated speech 0.26-0.33.
 */
const ECHO_SIMILARITY = 0.6;
/** A system frame below this RMS (int16 units, -60 dBFS) is silence. */
const SOUNDING_RMS = 32768 * 10 ** (-60 / 20);
/** Share of the span's frames in which the system must sound, at the best lag, for the span to be echo. */
const SOUNDING_SHARE = 0.25;

/** Second-order sections (RBJ cookbook, Q = 0.707) splitting speech into voicing, formants and hiss. */
type Biquad = [b0: number, b1: number, b2: number, a1: number, a2: number];
const BANDS: Biquad[][] = [[lowPass(700)], [highPass(700), lowPass(2500)], [highPass(2500)]];

function lowPass(frequency: number): Biquad {
  return biquad(frequency, (cos) => [(1 - cos) / 2, 1 - cos, (1 - cos) / 2]);
}

function highPass(frequency: number): Biquad {
  return biquad(frequency, (cos) => [(1 + cos) / 2, -(1 + cos), (1 + cos) / 2]);
}

function biquad(frequency: number, numerator: (cos: number) => [number, number, number]): Biquad {
  const w = (2 * Math.PI * frequency) / SAMPLE_RATE;
  const alpha = Math.sin(w) / (2 * Math.SQRT1_2);
  const a0 = 1 + alpha;
  const [b0, b1, b2] = numerator(Math.cos(w));
  return [b0 / a0, b1 / a0, b2 / a0, (-2 * Math.cos(w)) / a0, (1 - alpha) / a0];
}

/** Each band's RMS amplitude per frame of samples [from, from + frames * FRAME), silence outside the track. */
function bandEnvelopes(track: Int16Array, from: number, frames: number): Float64Array[] {
  const [first, last] = [Math.max(0, from), Math.min(track.length, from + frames * FRAME)];
  return BANDS.map((sections) => {
    const coefficients = Float64Array.from(sections.flat());
    const state = new Float64Array(4 * sections.length); // per section: x[n-1], x[n-2], y[n-1], y[n-2]
    const envelope = new Float64Array(frames);
    for (let i = first; i < last; i++) {
      let x = track[i];
      for (let s = 0; s < sections.length; s++) {
        const c = 5 * s;
        const z = 4 * s;
        const y =
          coefficients[c] * x +
          coefficients[c + 1] * state[z] +
          coefficients[c + 2] * state[z + 1] -
          coefficients[c + 3] * state[z + 2] -
          coefficients[c + 4] * state[z + 3];
        state[z + 1] = state[z];
        state[z] = x;
        state[z + 3] = state[z + 2];
        state[z + 2] = y;
        x = y;
      }
      envelope[((i - from) / FRAME) | 0] += x * x;
    }
    return envelope.map((energy) => Math.sqrt(energy / FRAME));
  });
}

/** Pearson correlation of x with y[offset .. offset + x.length); 0 where either is flat. */
function correlation(x: Float64Array, y: Float64Array, offset: number): number {
  const n = x.length;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += x[i];
    sy += y[offset + i];
  }
  const mx = sx / n;
  const my = sy / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[offset + i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}

/** RMS amplitude per frame of samples [from, from + frames * FRAME), silence outside the track. */
function frameRms(track: Int16Array, from: number, frames: number): Float64Array {
  const energies = new Float64Array(frames);
  for (let i = Math.max(0, from), last = Math.min(track.length, from + frames * FRAME); i < last; i++) {
    energies[((i - from) / FRAME) | 0] += track[i] * track[i];
  }
  return energies.map((energy) => Math.sqrt(energy / FRAME));
}

/** 16 kHz mono samples of each track (same clock), and the span of the microphone's segment in seconds. */
export function judgeEcho(
  microphone: Int16Array,
  system: Int16Array,
  startSeconds: number,
  endSeconds: number,
): EchoJudgement {
  const start = Math.max(0, Math.round(startSeconds * SAMPLE_RATE));
  const end = Math.min(microphone.length, Math.round(endSeconds * SAMPLE_RATE));
  const frames = Math.floor((end - start) / FRAME);
  if (!(frames >= 2)) return { echo: false, similarity: 0, lagMs: 0 };

  const heard = bandEnvelopes(microphone, start, frames);
  // The system from the longest lag before the span: frame f + MAX_LAG_FRAMES - lag is played `lag` frames before
  // the microphone's frame f.
  const played = bandEnvelopes(system, start - MAX_LAG_FRAMES * FRAME, frames + MAX_LAG_FRAMES - MIN_LAG_FRAMES);
  let best = { similarity: -Infinity, lag: 0 };
  for (let lag = MIN_LAG_FRAMES; lag <= MAX_LAG_FRAMES; lag++) {
    const offset = MAX_LAG_FRAMES - lag;
    const similarity = heard.reduce((sum, band, b) => sum + correlation(band, played[b], offset), 0) / BANDS.length;
    // Among equals (silence correlates with nothing at every lag) the lag nearest none.
    const nearer = similarity === best.similarity && Math.abs(lag) < Math.abs(best.lag);
    if (similarity > best.similarity || nearer) best = { similarity, lag };
  }
  const similarity = Math.max(0, best.similarity);
  const loudness = frameRms(system, start - best.lag * FRAME, frames);
  const sounding = loudness.filter((rms) => rms >= SOUNDING_RMS).length;
  const echo = similarity >= ECHO_SIMILARITY && sounding >= SOUNDING_SHARE * frames;
  return { echo, similarity, lagMs: best.lag * FRAME_MS };
}
