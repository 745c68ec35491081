// Dictation audio on disk: a 16 kHz mono 16-bit WAV per dictation in recordings/ (folder 0700, files 0600), written
// as the audio arrives with the header's sizes kept current, so that a daemon killed mid-dictation leaves a readable
// file. Beside each WAV a small JSON file says how the dictation was asked for and how it ended.
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import type { DictationSource, RecordingInfo, TranscriptionOptions } from "../protocol";
import { SAMPLE_RATE } from "./pcm";

/** RecordingWriter's WAV header: the 16 kHz mono 16-bit samples start at this byte. */
export const WAV_HEADER_BYTES = 44;

/** What the JSON file beside a recording holds. "recording": the dictation is (or was, if the daemon died) running. */
interface RecordingMeta {
  id: string;
  startedAt: string;
  source: DictationSource;
  options: TranscriptionOptions;
  state: RecordingInfo["state"] | "recording";
  error?: string;
}

function wavHeader(dataBytes: number): Buffer {
  const header = Buffer.alloc(WAV_HEADER_BYTES);
  header.write("RIFF", 0, "latin1");
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write("WAVEfmt ", 8, "latin1");
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(SAMPLE_RATE, 24);
  header.writeUInt32LE(SAMPLE_RATE * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36, "latin1");
  header.writeUInt32LE(dataBytes, 40);
  return header;
}

/** The seconds of audio in a WAV RecordingWriter wrote (0 for a file that is not there). */
export function recordedSeconds(file: string): number {
  const bytes = existsSync(file) ? Math.max(0, statSync(file).size - WAV_HEADER_BYTES) : 0;
  return Math.floor(bytes / 2) / SAMPLE_RATE;
}

/** An id that sorts by time and names a file safely: 20261128T151900Z-a1b2c3 (UTC, then 3 random bytes). */
export function timestampedId(at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return `${stamp}-${randomBytes(3).toString("hex")}`;
}

/** Makes a WAV header written by RecordingWriter match the whole samples on disk (a killed writer's last update may be missing). */
export function repairWavHeader(file: string): void {
  const fd = openSync(file, "r+");
  try {
    const dataBytes = Math.max(0, fstatSync(fd).size - WAV_HEADER_BYTES) & ~1;
    writeSync(fd, wavHeader(dataBytes), 0, WAV_HEADER_BYTES, 0);
  } finally {
    closeSync(fd);
  }
}

/** One dictation's WAV file, open for appending. Writes are synchronous: the audio is on disk before it is used. */
export class RecordingWriter {
  private dataBytes = 0;
  private fd: number | null;
  /** A header size field as written, reused: a meeting appends tens of frames a second for hours. */
  private readonly size = Buffer.alloc(4);

  constructor(
    readonly id: string,
    readonly file: string,
  ) {
    this.fd = openSync(file, "wx", 0o600);
    writeSync(this.fd, wavHeader(0));
  }

  /** The samples written so far. */
  get samples(): number {
    return this.dataBytes / 2;
  }

  /** Appends whole 16-bit samples and updates the header's sizes. */
  append(pcm: Uint8Array): void {
    if (this.fd === null) throw new Error(`the recording ${this.id} is closed`);
    writeSync(this.fd, pcm, 0, pcm.length, WAV_HEADER_BYTES + this.dataBytes);
    this.dataBytes += pcm.length;
    this.size.writeUInt32LE(36 + this.dataBytes);
    writeSync(this.fd, this.size, 0, 4, 4);
    this.size.writeUInt32LE(this.dataBytes);
    writeSync(this.fd, this.size, 0, 4, 40);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

export class RecordingStore {
  constructor(readonly folder: string) {}

  /** A new recording for a dictation starting now; its id is also the session's. */
  create(source: DictationSource, options: TranscriptionOptions): RecordingWriter {
    mkdirSync(this.folder, { recursive: true, mode: 0o700 });
    chmodSync(this.folder, 0o700);
    const startedAt = new Date();
    const id = timestampedId(startedAt);
    this.writeMeta({ id, startedAt: startedAt.toISOString(), source, options, state: "recording" });
    return new RecordingWriter(id, this.wavFile(id));
  }

  wavFile(id: string): string {
    return path.join(this.folder, `${id}.wav`);
  }

  has(id: string): boolean {
    return /^[\w-]+$/.test(id) && existsSync(this.metaFile(id)) && existsSync(this.wavFile(id));
  }

  options(id: string): TranscriptionOptions {
    return this.readMeta(id).options;
  }

  /** Records how the dictation ended (or that it was retried). */
  mark(id: string, state: RecordingInfo["state"], error?: string): void {
    const meta = this.readMeta(id);
    this.writeMeta(error === undefined ? { ...meta, state } : { ...meta, state, error });
  }

  remove(id: string): void {
    rmSync(this.wavFile(id), { force: true });
    rmSync(this.metaFile(id), { force: true });
  }

  /** Every recording except those of dictations running now, oldest first. */
  list(running: ReadonlySet<string> = new Set()): RecordingInfo[] {
    if (!existsSync(this.folder)) return [];
    const ids = readdirSync(this.folder)
      .filter((name) => name.endsWith(".json"))
      .map((name) => name.slice(0, -".json".length))
      .filter((id) => !running.has(id) && this.has(id))
      .sort();
    return ids.map((id) => {
      const meta = this.readMeta(id);
      const info: RecordingInfo = {
        id,
        file: this.wavFile(id),
        startedAt: meta.startedAt,
        audioSeconds: recordedSeconds(this.wavFile(id)),
        state: meta.state === "recording" ? "interrupted" : meta.state,
      };
      if (meta.error) info.error = meta.error;
      return info;
    });
  }

  /**
   * At start: dictations the last daemon left running (it was killed) become "interrupted", with their WAV headers
   * made to match the audio on disk (the last header update may not have happened). Returns them.
   */
  recover(): RecordingInfo[] {
    const interrupted = this.list().filter((info) => this.readMeta(info.id).state === "recording");
    for (const info of interrupted) {
      repairWavHeader(info.file);
      this.mark(info.id, "interrupted", "the daemon stopped during the dictation");
    }
    return interrupted;
  }

  private metaFile(id: string): string {
    return path.join(this.folder, `${id}.json`);
  }

  private readMeta(id: string): RecordingMeta {
    return JSON.parse(readFileSync(this.metaFile(id), "utf8")) as RecordingMeta;
  }

  private writeMeta(meta: RecordingMeta): void {
    writeFileSync(this.metaFile(meta.id), JSON.stringify(meta, null, 2) + "\n", { mode: 0o600 });
  }
}
