// Kept dictation recordings are compressed to FLAC, one at a time in the background: lossless (Transcribe Again hears
// exactly what the dictation heard) at about 55% of the WAV's size. The encoder is the audio decoder the daemon
// already uses (ffmpeg where installed, else macOS's afconvert), and both read FLAC back.
import { renameSync, rmSync } from "node:fs";
import { findDecoder, type ExternalDecoder } from "../audio/external-decoder";
import { runDecoder } from "../audio/decoder-process";
import { createPrivate, makePrivate } from "./private-files";

export interface CompressorLog {
  warn(message: string, fields?: Record<string, unknown>): void;
}

function encoderArguments(encoder: ExternalDecoder, wav: string, flac: string): string[] {
  if (encoder.kind === "ffmpeg") {
    return ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", wav, "-c:a", "flac", "-f", "flac", flac];
  }
  return ["-f", "flac", "-d", "flac", wav, flac];
}

/** `<name>.wav` → `<name>.flac`. */
export const flacFileFor = (wav: string) => wav.replace(/\.wav$/i, "") + ".flac";

export class RecordingCompressor {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly stopping = new AbortController();
  private encoder: Promise<ExternalDecoder | undefined> | null = null;

  constructor(
    private readonly log: CompressorLog,
    private readonly findEncoder: () => Promise<ExternalDecoder | undefined> = () => findDecoder(),
  ) {}

  /**
   * Writes `wav` as FLAC beside it, after the compressions queued before it; resolves with the FLAC file, or null
   * when there is no encoder or it failed (logged; the WAV is then kept as it is). The WAV is left for the caller.
   */
  compress(wav: string): Promise<string | null> {
    const next = this.queue.then(() => this.encode(wav));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Stops the compression that runs and drops the queued ones (their WAVs stay as they are). */
  close(): void {
    this.stopping.abort();
  }

  private async encode(wav: string): Promise<string | null> {
    if (this.stopping.signal.aborted) return null;
    this.encoder ??= this.findEncoder();
    const encoder = await this.encoder;
    if (!encoder) {
      this.log.warn("kept recordings stay uncompressed WAV: neither ffmpeg nor afconvert was found", { wav });
      return null;
    }
    const flac = flacFileFor(wav);
    const partial = `${flac}.partial`;
    try {
      createPrivate(partial); // the encoder writes into it, keeping its mode
      const run = await runDecoder(encoder.path, encoderArguments(encoder, wav, partial), wav, {
        signal: this.stopping.signal,
      });
      if (run.exitCode !== 0) throw new Error(`${encoder.kind} exited with ${run.exitCode}: ${run.stderr.trim()}`);
      makePrivate(partial); // in case the encoder made a new file
      renameSync(partial, flac);
      return flac;
    } catch (error) {
      rmSync(partial, { force: true });
      if (!this.stopping.signal.aborted) {
        const reason = error instanceof Error ? error.message : String(error);
        this.log.warn("a kept recording could not be compressed; it stays WAV", { wav, error: reason });
      }
      return null;
    }
  }
}
