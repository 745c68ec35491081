// openai/whisper transcribe()'s bookkeeping around each window's decoded tokens (transcribe.py, without word
// timestamps): how a window's tokens split into segments, which segments it clears, where the next window starts.
// Tests check the engine's long-form loop against it from the tokens the engine decoded.

export const WINDOW_FRAMES = 3000;
const HOP_LENGTH = 160;
const PADDING_SAMPLES = 480_000;
/** Mel frames per timestamp step (30 s / 1500 encoder positions). */
const INPUT_STRIDE = 2;

/** Frames of audio in the spectrogram transcribe() slides over (the audio plus 30 s of zeros, less the padding). */
export function contentFrames(sampleCount: number): number {
  return Math.floor((sampleCount + PADDING_SAMPLES) / HOP_LENGTH) - WINDOW_FRAMES;
}

/** The frames a window at `seek` reads before pad_or_trim fills it to 3000. */
export function segmentSize(seek: number, content: number): number {
  return Math.min(WINDOW_FRAMES, content - seek);
}

export interface WindowSplit {
  /** Each segment's tokens (text and timestamps); [] for a segment openai clears (no text, or no length). */
  segments: number[][];
  /** Frames to the next window. */
  advance: number;
}

/**
 * A window's sampled tokens (without eot) as transcribe() splits them: a segment ends after each pair of
 * consecutive timestamps; the tokens after the last pair are decoded again by the next window, which starts at
 * that pair's time, unless the window ends with a single timestamp (no speech after it: the next window follows
 * this one). Without a pair, the whole window is one segment.
 */
export function splitWindow(
  tokens: readonly number[],
  size: number,
  timestampBegin: number,
  hasText: (tokens: number[]) => boolean,
): WindowSplit {
  const isTimestamp = (i: number) => tokens[i] >= timestampBegin;
  const n = tokens.length;
  const singleTimestampEnding = n >= 2 && !isTimestamp(n - 2) && isTimestamp(n - 1);
  const slices: number[] = [];
  for (let i = 0; i + 1 < n; i++) if (isTimestamp(i) && isTimestamp(i + 1)) slices.push(i + 1);

  if (slices.length === 0) {
    const segment = hasText([...tokens]) ? [...tokens] : [];
    return { segments: [segment], advance: size };
  }
  if (singleTimestampEnding) slices.push(n);
  const segments: number[][] = [];
  let last = 0;
  for (const current of slices) {
    const sliced = tokens.slice(last, current);
    // start == end compares the two timestamps' positions, as openai's times come from them alone.
    const instantaneous = sliced[0] === sliced[sliced.length - 1];
    segments.push(instantaneous || !hasText(sliced) ? [] : sliced);
    last = current;
  }
  const advance = singleTimestampEnding ? size : (tokens[last - 1] - timestampBegin) * INPUT_STRIDE;
  return { segments, advance };
}
