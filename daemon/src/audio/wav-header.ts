import type { FileHandle } from "node:fs/promises";
import { AudioError, displayName } from "./audio-error";
import { abortedError } from "./decoder-process";

export type SampleEncoding = "uint8" | "int16" | "int24" | "int32" | "float32" | "float64";

export interface WavLayout {
  encoding: SampleEncoding;
  sampleRate: number;
  channels: number;
  /** Bytes per frame (all channels of one sample instant). */
  blockAlign: number;
  /** Byte offset of the first sample in the file. */
  dataOffset: number;
  /** Frames present in the file (fewer than declared when the file is truncated). */
  frames: number;
  /** Set when the data chunk declares more bytes than the file holds. */
  truncatedFrom?: number;
  description: string;
}

/** A WAV file in an encoding we do not parse ourselves (µ-law, ADPCM, …): an external decoder may read it. */
export class UnsupportedWavEncoding extends Error {}

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** The 14 bytes after the format code in every KSDATAFORMAT_SUBTYPE GUID (…-0000-0010-8000-00AA00389B71). */
const SUBFORMAT_GUID_TAIL = Buffer.from([
  0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
]);
const CHUNK_HEADER = 8;
/**
 * A data size of 0xFFFFFFFF: RF64 keeps the real size in its ds64 chunk; a plain RIFF writer that did not know the
 * length (recording to a pipe) means "to the end of the file".
 */
const SIZE_UNKNOWN = 0xffffffff;

interface FormatChunk {
  formatCode: number;
  channels: number;
  sampleRate: number;
  blockAlign: number;
  bitsPerSample: number;
}

/**
 * Reads the RIFF/RF64 chunk structure of a WAV file: format, where the samples are, how many there are. Chunk
 * headers are read through a window of the file (a WAV of a million empty chunks is one read per window, not one per
 * chunk), and the walk stops as soon as `signal` aborts.
 */
export async function readWavLayout(file: FileHandle, path: string, signal?: AbortSignal): Promise<WavLayout> {
  const fileSize = (await file.stat()).size;
  const readAt = windowedReader(file);
  const name = displayName(path);
  const corrupt = (what: string) =>
    new AudioError("corrupt", path, `${name} is not a readable WAV file: ${what}. Re-export or re-copy the file.`);

  const header = await readAt(0, 12);
  const riff = header.toString("latin1", 0, 4);
  if (header.length < 12 || !(riff === "RIFF" || riff === "RF64") || header.toString("latin1", 8, 12) !== "WAVE") {
    throw corrupt("it does not start with a RIFF/WAVE header");
  }

  let format: FormatChunk | undefined;
  let ds64DataSize: number | undefined;
  let position = 12;
  while (position + CHUNK_HEADER <= fileSize) {
    if (signal?.aborted) throw abortedError(path);
    const chunk = await readAt(position, CHUNK_HEADER);
    const id = chunk.toString("latin1", 0, 4);
    const declaredSize = chunk.readUInt32LE(4);
    const bodyStart = position + CHUNK_HEADER;

    if (id === "ds64" && riff === "RF64") {
      const body = await readAt(bodyStart, Math.min(declaredSize, 24));
      if (body.length < 24) throw corrupt("its ds64 chunk is too short");
      ds64DataSize = Number(body.readBigUInt64LE(8));
    } else if (id === "fmt ") {
      format = parseFormatChunk(await readAt(bodyStart, Math.min(declaredSize, 40)), corrupt);
    } else if (id === "data") {
      if (!format) throw corrupt("its audio data comes before the fmt chunk that describes it");
      const size = declaredSize === SIZE_UNKNOWN ? (ds64DataSize ?? fileSize - bodyStart) : declaredSize;
      return layoutOf(format, bodyStart, size, fileSize, corrupt);
    }
    position = bodyStart + declaredSize + (declaredSize % 2); // chunks are padded to an even size
  }
  throw corrupt(format ? "it has no data chunk (the file may be cut short)" : "it has no fmt chunk");
}

function parseFormatChunk(body: Buffer, corrupt: (what: string) => AudioError): FormatChunk {
  if (body.length < 16) throw corrupt("its fmt chunk is shorter than 16 bytes");
  let formatCode = body.readUInt16LE(0);
  const chunk: FormatChunk = {
    formatCode,
    channels: body.readUInt16LE(2),
    sampleRate: body.readUInt32LE(4),
    blockAlign: body.readUInt16LE(12),
    bitsPerSample: body.readUInt16LE(14),
  };
  if (formatCode === WAVE_FORMAT_EXTENSIBLE) {
    if (body.length < 40) throw corrupt("its WAVE_FORMAT_EXTENSIBLE fmt chunk is shorter than 40 bytes");
    formatCode = body.readUInt16LE(24);
    if (!body.subarray(26, 40).equals(SUBFORMAT_GUID_TAIL)) {
      throw new UnsupportedWavEncoding("a vendor-specific sub-format GUID");
    }
    chunk.formatCode = formatCode;
  }
  if (chunk.channels === 0) throw corrupt("its fmt chunk says it has 0 channels");
  if (chunk.sampleRate === 0) throw corrupt("its fmt chunk says its sample rate is 0 Hz");
  if (chunk.bitsPerSample === 0) throw corrupt("its fmt chunk says its samples have 0 bits");
  return chunk;
}

function encodingOf(format: FormatChunk): SampleEncoding {
  const { formatCode, bitsPerSample } = format;
  if (formatCode === WAVE_FORMAT_PCM) {
    // A sample of any width up to 32 bits fills whole bytes, left-justified (12-bit audio is in 16-bit containers).
    const pcm: Record<number, SampleEncoding> = { 1: "uint8", 2: "int16", 3: "int24", 4: "int32" };
    const encoding = pcm[Math.ceil(bitsPerSample / 8)];
    if (encoding) return encoding;
    throw new UnsupportedWavEncoding(`${bitsPerSample}-bit PCM`);
  }
  if (formatCode === WAVE_FORMAT_IEEE_FLOAT) {
    if (bitsPerSample === 32) return "float32";
    if (bitsPerSample === 64) return "float64";
    throw new UnsupportedWavEncoding(`${bitsPerSample}-bit float`);
  }
  throw new UnsupportedWavEncoding(`format code 0x${formatCode.toString(16).padStart(4, "0")}`);
}

const BYTES: Record<SampleEncoding, number> = { uint8: 1, int16: 2, int24: 3, int32: 4, float32: 4, float64: 8 };

function layoutOf(
  format: FormatChunk,
  dataOffset: number,
  dataSize: number,
  fileSize: number,
  corrupt: (what: string) => AudioError,
): WavLayout {
  const encoding = encodingOf(format);
  const blockAlign = BYTES[encoding] * format.channels;
  if (format.blockAlign !== blockAlign) {
    // The header contradicts itself: read either way, the samples would be noise or the duration wrong.
    const { bitsPerSample: bits, channels } = format;
    throw corrupt(
      `its fmt chunk says ${bits} bits per sample in ${format.blockAlign}-byte frames (block align), but ` +
        `${channels} channel${channels === 1 ? "" : "s"} of ${bits}-bit samples make ${blockAlign}-byte frames`,
    );
  }
  const available = Math.max(0, Math.min(dataSize, fileSize - dataOffset));
  const frames = Math.floor(available / blockAlign);
  const kind = encoding.startsWith("float") ? "float" : "PCM";
  const layout: WavLayout = {
    encoding,
    sampleRate: format.sampleRate,
    channels: format.channels,
    blockAlign,
    dataOffset,
    frames,
    description:
      `WAV, ${format.bitsPerSample}-bit ${kind}, ${format.sampleRate} Hz, ` +
      `${format.channels} channel${format.channels === 1 ? "" : "s"}`,
  };
  if (dataSize > available) layout.truncatedFrom = Math.floor(dataSize / blockAlign);
  return layout;
}

const WINDOW_BYTES = 64 * 1024;

/** readAt(position, length) served from a window of the file that is read again only when the range leaves it. */
function windowedReader(file: FileHandle): (position: number, length: number) => Promise<Buffer> {
  let start = 0;
  let window = Buffer.alloc(0);
  return async (position, length) => {
    if (position < start || position + length > start + window.length) {
      const buffer = Buffer.alloc(Math.max(length, WINDOW_BYTES));
      const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
      start = position;
      window = buffer.subarray(0, bytesRead);
    }
    return window.subarray(position - start, Math.min(position - start + length, window.length));
  };
}
