import { abortedError } from "./decoder-process";
import { AudioError, displayName, formatDuration, tooLongError } from "./audio-error";
import { MAX_SAMPLE_RATE, MIN_SAMPLE_RATE, Resampler } from "./resampler";
import { openRegularFile } from "./regular-file";
import { readWavLayout } from "./wav-header";
import { readMonoBlocks } from "./wav-samples";

export interface DecodedWav {
  /** Mono samples at outputRate. */
  samples: Float32Array;
  description: string;
  warnings: string[];
}

export interface WavReadOptions {
  maxSeconds: number;
  signal?: AbortSignal;
  /** The file messages name, when wavPath is a temporary conversion of it. Default wavPath. */
  sourcePath?: string;
}

/** Reads a WAV file into mono samples at outputRate (see readWavBlocks). */
export async function readWavFile(wavPath: string, outputRate: number, options: WavReadOptions): Promise<DecodedWav> {
  const blocks: Float32Array[] = [];
  const { description, warnings } = await readWavBlocks(wavPath, outputRate, options, (block) => {
    blocks.push(block.slice()); // blocks are views of one reused buffer
  });
  return { samples: concatenate(blocks), description, warnings };
}

/**
 * Reads a WAV file as mono samples at outputRate, block by block, handing each block to `onBlock` (awaited) so
 * that a long file never needs to be in memory whole. A block is valid only until `onBlock` returns: copy it to keep it. A data chunk cut short by the end of the file is read as far
 * as it goes, with a warning; one with no whole frame at all is an error.
 */
export async function readWavBlocks(
  wavPath: string,
  outputRate: number,
  options: WavReadOptions,
  onBlock: (block: Float32Array) => Promise<void> | void,
): Promise<Omit<DecodedWav, "samples">> {
  const path = options.sourcePath ?? wavPath;
  const file = await openRegularFile(wavPath);
  try {
    const layout = await readWavLayout(file, path, options.signal);
    const name = displayName(path);
    const seconds = layout.frames / layout.sampleRate;
    if (seconds > options.maxSeconds) throw tooLongError(path, seconds, options.maxSeconds);
    if (layout.sampleRate < MIN_SAMPLE_RATE || layout.sampleRate > MAX_SAMPLE_RATE) {
      throw new AudioError(
        "unsupported",
        path,
        `${name} has a sample rate of ${layout.sampleRate} Hz; Verbatim reads ${MIN_SAMPLE_RATE}–${MAX_SAMPLE_RATE} Hz. ` +
          "Convert it to a common rate such as 48000 Hz.",
      );
    }
    const warnings: string[] = [];
    if (layout.truncatedFrom !== undefined) {
      if (layout.frames === 0) {
        throw new AudioError(
          "corrupt",
          path,
          `${name} ends before its audio data begins (the file is cut short). Re-export or re-copy it.`,
        );
      }
      const declared = formatDuration(layout.truncatedFrom / layout.sampleRate);
      warnings.push(
        `${name} is cut short: its header promises ${declared} of audio, the file holds ${formatDuration(seconds)}.`,
      );
    }

    const resampler = layout.sampleRate === outputRate ? undefined : new Resampler(layout.sampleRate, outputRate);
    for await (const block of readMonoBlocks(file, layout)) {
      if (options.signal?.aborted) throw abortedError(path);
      await onBlock(resampler ? resampler.push(block) : block);
    }
    if (resampler) await onBlock(resampler.flush());
    return { description: layout.description, warnings };
  } finally {
    await file.close();
  }
}

function concatenate(blocks: readonly Float32Array[]): Float32Array {
  const output = new Float32Array(blocks.reduce((sum, block) => sum + block.length, 0));
  let offset = 0;
  for (const block of blocks) {
    output.set(block, offset);
    offset += block.length;
  }
  return output;
}
