import { access, constants, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AudioError, displayName, tooLongError } from "./audio-error";
import { runDecoder } from "./decoder-process";

export type DecoderKind = "ffmpeg" | "afconvert";

export interface ExternalDecoder {
  kind: DecoderKind;
  path: string;
}

/** Raycast starts processes without the shell's PATH, so decoders are looked for by absolute path. */
export const DEFAULT_DECODER_DIRECTORIES: readonly string[] = ["/opt/homebrew/bin", "/usr/local/bin", "/usr/bin"];

export const TARGET_SAMPLE_RATE = 16000;

/**
 * ffmpeg where installed (it reads every container, ogg and mkv included), else afconvert, which ships with macOS
 * but reads only Apple's formats (mp3, m4a/aac, caf, aiff, flac, mp4/mov).
 */
export async function findDecoder(
  directories: readonly string[] = DEFAULT_DECODER_DIRECTORIES,
  platform: NodeJS.Platform = process.platform,
): Promise<ExternalDecoder | undefined> {
  const kinds: DecoderKind[] = platform === "darwin" ? ["ffmpeg", "afconvert"] : ["ffmpeg"];
  for (const kind of kinds) {
    for (const directory of directories) {
      const path = join(directory, kind);
      if (await isExecutable(path)) return { kind, path };
    }
  }
  return undefined;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface DecodeOptions {
  signal?: AbortSignal;
  maxSeconds: number;
}

/** ffmpeg's arguments to decode `path` to 16 kHz mono 32-bit little-endian float samples, before the output. */
function ffmpegArguments(path: string): string[] {
  const args = ["-nostdin", "-hide_banner", "-loglevel", "error", "-i", path, "-vn", "-map", "0:a:0"];
  // ffmpeg's own down-mix adds channels at -3 dB each (stereo → mono gains 3 dB); capping the mix matrix's row sum
  // at 1 makes it an average, as the WAV reader does.
  args.push("-ac", "1", "-rematrix_maxval", "1.0", "-ar", String(TARGET_SAMPLE_RATE), "-f", "f32le");
  return args;
}

/** Decodes any file ffmpeg reads to 16 kHz mono float samples, streamed from its stdout. */
export async function decodeWithFfmpeg(ffmpeg: string, path: string, options: DecodeOptions): Promise<Float32Array> {
  const maxBytes = Math.ceil(options.maxSeconds * TARGET_SAMPLE_RATE) * 4;
  const chunks: Buffer[] = [];
  let bytes = 0;
  const result = await runDecoder(ffmpeg, [...ffmpegArguments(path), "-"], path, {
    signal: options.signal,
    onStdout: (chunk) => {
      chunks.push(chunk);
      bytes += chunk.length;
      return bytes <= maxBytes;
    },
  });
  if (result.stopped) throw tooLongError(path, undefined, options.maxSeconds);
  if (result.exitCode !== 0) throw ffmpegError(path, result.stderr);

  const samples = new Float32Array(Math.floor(bytes / 4));
  const view = new Uint8Array(samples.buffer);
  let offset = 0;
  for (const chunk of chunks) {
    const take = Math.min(chunk.length, view.length - offset);
    view.set(chunk.subarray(0, take), offset);
    offset += take;
  }
  return samples;
}

/**
 * Decodes any file ffmpeg reads to 16 kHz mono 32-bit little-endian float samples that ffmpeg writes to `output`
 * itself (nothing passes through this process); returns how many. ffmpeg stops just past maxSeconds.
 */
export async function decodeWithFfmpegToFile(
  ffmpeg: string,
  path: string,
  output: string,
  options: DecodeOptions,
): Promise<number> {
  const maxBytes = Math.ceil(options.maxSeconds * TARGET_SAMPLE_RATE) * 4;
  const args = [...ffmpegArguments(path), "-fs", String(maxBytes + 4), "-y", output];
  const result = await runDecoder(ffmpeg, args, path, { signal: options.signal });
  // ffmpeg exits 0 when it could not write all of its output (a full disk): the file would be silently cut short.
  const unwritten = outputWriteError(output, result.stderr, result.exitSignal);
  if (unwritten) throw unwritten;
  if (result.exitCode !== 0) throw ffmpegError(path, result.stderr);
  const { size } = await stat(output);
  if (size > maxBytes) throw tooLongError(path, undefined, options.maxSeconds);
  return Math.floor(size / 4);
}

const WRITE_ERRORS: ReadonlyArray<[RegExp, string]> = [
  [/No space left on device/, "ENOSPC"],
  [/Disk quota exceeded/, "EDQUOT"],
  [/File too large/, "EFBIG"],
  [/Read-only file system/, "EROFS"],
];

/**
 * Why ffmpeg could not write `output`, as the file system's error (with its `code`, as Node's own errors have), or
 * null. A file-size limit (ulimit -f) ends ffmpeg with SIGXFSZ instead of a message.
 */
function outputWriteError(output: string, stderr: string, exitSignal: NodeJS.Signals | null): Error | null {
  const found = WRITE_ERRORS.find(([pattern]) => pattern.test(stderr));
  const code = found?.[1] ?? (exitSignal === "SIGXFSZ" ? "EFBIG" : null);
  if (!code) return null;
  return Object.assign(new Error(`ffmpeg could not write the decoded audio to ${output} (${code})`), {
    code,
    path: output,
  });
}

function ffmpegError(path: string, stderr: string): AudioError {
  const name = displayName(path);
  if (/matches no streams|does not contain any stream/.test(stderr)) {
    return new AudioError("no-audio", path, `${name} has no audio track to transcribe.`);
  }
  // Lines look like "[mp3 @ 0x55f4…] Failed to read frame size" or "/path/to/file: Invalid data found…".
  const firstError = stderr
    .split("\n")
    .map((line) =>
      line
        .replace(/^\[[^\]]* @ 0x[0-9a-f]+\]\s*/, "")
        .replace(`${path}: `, "")
        .trim(),
    )
    .find((line) => line.length > 0);
  const reason = firstError ? firstError.replaceAll(path, name).replace(/\.$/, "") : "it gave no reason";
  return new AudioError(
    "decoder-failed",
    path,
    `ffmpeg could not read ${name}: ${reason}. Check that the file is a complete audio or video recording.`,
  );
}

/**
 * Converts with macOS afconvert to a temporary 16 kHz float WAV and hands its path to `readWav`; the
 * temporary folder is removed afterwards, whatever happens.
 */
export async function decodeWithAfconvert<T>(
  afconvert: string,
  path: string,
  options: DecodeOptions,
  readWav: (wavPath: string) => Promise<T>,
): Promise<T> {
  const folder = await mkdtemp(join(tmpdir(), "verbatim-audio-"));
  try {
    const output = join(folder, "audio.wav");
    // Channels are kept: the WAV reader averages them, where afconvert's own down-mix may keep only the first.
    const args = ["-f", "WAVE", "-d", `LEF32@${TARGET_SAMPLE_RATE}`, path, output];
    const result = await runDecoder(afconvert, args, path, { signal: options.signal });
    if (result.exitCode !== 0) {
      const reason = result.stderr.trim().split("\n")[0] || `exit code ${result.exitCode}`;
      throw new AudioError(
        "decoder-failed",
        path,
        `afconvert could not read ${displayName(path)}: ${reason}. ` +
          "Install ffmpeg (brew install ffmpeg), which reads more formats, and try again.",
      );
    }
    return await readWav(output);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
