import { open } from "node:fs/promises";
import { extname } from "node:path";
import { AudioError, displayName } from "./audio-error";
import { Container, SNIFF_BYTES, sniffContainer } from "./container-sniffer";
import {
  DecoderKind,
  decodeWithAfconvert,
  decodeWithFfmpeg,
  decodeWithFfmpegToFile,
  ExternalDecoder,
  findDecoder,
  TARGET_SAMPLE_RATE,
} from "./external-decoder";
import { openRegularFile } from "./regular-file";
import { readWavBlocks, readWavFile, type WavReadOptions } from "./wav-file";
import { UnsupportedWavEncoding } from "./wav-header";

/** Four hours of 16 kHz float samples is about 0.9 GB (on disk while the daemon transcribes): split longer ones. */
export const DEFAULT_MAX_SECONDS = 4 * 60 * 60;

export interface LoadAudioOptions {
  signal?: AbortSignal;
  /** Longer files are refused with a "too-long" AudioError. Default DEFAULT_MAX_SECONDS. */
  maxSeconds?: number;
  /** Where to look for ffmpeg (and afconvert on macOS); default /opt/homebrew/bin, /usr/local/bin, /usr/bin. */
  decoderDirectories?: readonly string[];
}

export interface LoadedAudio {
  /** 16 kHz mono samples, nominally in [-1, 1]. */
  samples: Float32Array;
  sampleRate: typeof TARGET_SAMPLE_RATE;
  durationSeconds: number;
  /** What the file was, for people: "WAV, 16-bit PCM, 44100 Hz, 2 channels", "mp3 (decoded by ffmpeg)". */
  sourceFormat: string;
  decoder: "wav" | DecoderKind;
  /** Problems that did not stop the reading, such as a file cut short. */
  warnings: string[];
}

/** Audio decoded to a file of 16 kHz mono 32-bit little-endian float samples. */
export type DecodedAudioFile = Omit<LoadedAudio, "samples"> & { sampleCount: number };

/** Where decoded samples go: gathered in memory (`T` the samples) or written to a file (`T` their count). */
interface SampleTarget<T> {
  wav(wavPath: string, options: WavReadOptions): Promise<{ result: T; description: string; warnings: string[] }>;
  ffmpeg(ffmpeg: string, path: string, options: { maxSeconds: number; signal?: AbortSignal }): Promise<T>;
}

const IN_MEMORY: SampleTarget<Float32Array> = {
  wav: async (wavPath, options) => {
    const wav = await readWavFile(wavPath, TARGET_SAMPLE_RATE, options);
    return { result: wav.samples, description: wav.description, warnings: wav.warnings };
  },
  ffmpeg: decodeWithFfmpeg,
};

function toFile(output: string): SampleTarget<number> {
  return {
    wav: async (wavPath, options) => {
      const file = await open(output, "w", 0o600);
      let count = 0;
      try {
        const wav = await readWavBlocks(wavPath, TARGET_SAMPLE_RATE, options, async (block) => {
          count += block.length;
          await file.writeFile(new Uint8Array(block.buffer, block.byteOffset, block.byteLength));
        });
        return { result: count, description: wav.description, warnings: wav.warnings };
      } finally {
        await file.close();
      }
    },
    ffmpeg: (ffmpeg, path, options) => decodeWithFfmpegToFile(ffmpeg, path, output, options),
  };
}

/**
 * Reads an audio (or video) file as 16 kHz mono. WAV is parsed here; everything else goes through ffmpeg or, on
 * macOS without ffmpeg, afconvert. The file's first bytes decide, not its name.
 */
export async function loadAudio(path: string, options: LoadAudioOptions = {}): Promise<LoadedAudio> {
  const { result, ...audio } = await decode(path, options, IN_MEMORY);
  return { ...audio, samples: result, durationSeconds: result.length / TARGET_SAMPLE_RATE };
}

/**
 * Decodes an audio (or video) file as loadAudio does, to `output`: 16 kHz mono 32-bit little-endian float samples,
 * written as they are decoded, so a long recording is never in this process's memory whole.
 */
export async function decodeAudioToFile(
  path: string,
  output: string,
  options: LoadAudioOptions = {},
): Promise<DecodedAudioFile> {
  const { result, ...audio } = await decode(path, options, toFile(output));
  return { ...audio, sampleCount: result, durationSeconds: result / TARGET_SAMPLE_RATE };
}

type Decoded<T> = Omit<LoadedAudio, "samples" | "durationSeconds"> & { result: T };

async function decode<T>(path: string, options: LoadAudioOptions, target: SampleTarget<T>): Promise<Decoded<T>> {
  const maxSeconds = options.maxSeconds ?? DEFAULT_MAX_SECONDS;
  const container = sniffContainer(await readHead(path));
  if (container === "wav") {
    try {
      const wav = await target.wav(path, { maxSeconds, signal: options.signal });
      return decoded(wav.result, wav.description, "wav", wav.warnings);
    } catch (error) {
      if (!(error instanceof UnsupportedWavEncoding)) throw error;
      const decoder = await findDecoder(options.decoderDirectories);
      if (!decoder) {
        throw new AudioError(
          "unsupported",
          path,
          `${displayName(path)} is a WAV file in ${error.message}, which Verbatim reads only through ffmpeg. ` +
            "Install ffmpeg (brew install ffmpeg / apt-get install ffmpeg), or export the file as 16-bit PCM WAV.",
        );
      }
      return decodeExternally(decoder, path, "WAV", maxSeconds, options.signal, target);
    }
  }
  const decoder = await findDecoder(options.decoderDirectories);
  if (!decoder) throw decoderMissingError(path, container);
  return decodeExternally(decoder, path, formatName(path, container), maxSeconds, options.signal, target);
}

async function decodeExternally<T>(
  decoder: ExternalDecoder,
  path: string,
  format: string,
  maxSeconds: number,
  signal: AbortSignal | undefined,
  target: SampleTarget<T>,
): Promise<Decoded<T>> {
  const sourceFormat = `${format} (decoded by ${decoder.kind})`;
  if (decoder.kind === "ffmpeg") {
    return decoded(await target.ffmpeg(decoder.path, path, { maxSeconds, signal }), sourceFormat, "ffmpeg", []);
  }
  const wav = await decodeWithAfconvert(decoder.path, path, { maxSeconds, signal }, (wavPath) =>
    target.wav(wavPath, { maxSeconds, signal, sourcePath: path }),
  );
  return decoded(wav.result, sourceFormat, "afconvert", wav.warnings);
}

function decoded<T>(result: T, sourceFormat: string, decoder: LoadedAudio["decoder"], warnings: string[]): Decoded<T> {
  return { result, sampleRate: TARGET_SAMPLE_RATE, sourceFormat, decoder, warnings };
}

/** The first bytes of the file, with the errors people meet before any decoding: missing, unreadable, empty. */
async function readHead(path: string): Promise<Buffer> {
  const file = await openRegularFile(path);
  try {
    if ((await file.stat()).size === 0) {
      throw new AudioError("empty", path, `${displayName(path)} is empty (0 bytes): there is nothing to transcribe.`);
    }
    const head = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await file.read(head, 0, SNIFF_BYTES, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

function formatName(path: string, container: Container): string {
  if (container !== "unknown") return container;
  return extname(path).slice(1).toLowerCase() || "unknown format";
}

function decoderMissingError(path: string, container: Container): AudioError {
  // The name says what people think the file is, unless it claims to be a WAV that is not one.
  const extension = extname(path).toLowerCase();
  const named = extension && extension !== ".wav" ? `${extension} files` : undefined;
  const kind = named ?? (container === "unknown" ? "this file" : `${container} files`);
  return new AudioError(
    "decoder-missing",
    path,
    `Install ffmpeg (brew install ffmpeg / apt-get install ffmpeg) to transcribe ${kind}; WAV works without it.`,
  );
}
