// The engine's speaker diarization (native/DIARIZATION.md): NVIDIA's Nemotron 3 Diarization in transformers' layout,
// who speaks when as each speaker's probability every 10 ms frame and as segments. Speakers are numbered from 0 in
// the order they first speak, up to the model's maximum (8 for NVIDIA's).
import { addon, type RawJob, type RawSpeakerModel, type RawSpeakerStream } from "./addon";
import { CancelledError, typed, typedError } from "./errors";
import type { LoadOptions, SpeakerActivity, SpeakerModelInfo, SpeakerSegment } from "./types";

/** The backend as every family chooses it (LoadOptions): its weights run as stored, so there is no quantize. */
export type SpeakerLoadOptions = Omit<LoadOptions, "quantize">;

export interface DiarizeOptions {
  /** Aborting rejects the promise with CancelledError within one encoder layer. */
  signal?: AbortSignal;
  /** The fraction of the recording done, after each chunk. */
  onProgress?: (fraction: number) => void;
}

export interface SpeakerStreamOptions {
  /** One of info().streamingModes' names ("low_latency", "very_low_latency", "ultra_low_latency" for NVIDIA's); default the model's. */
  mode?: string;
}

export class SpeakerModel {
  private constructor(private raw: RawSpeakerModel | null) {}

  /** Loads a nemotron3_diarization folder (config.json, model.safetensors, processor_config.json) in the background. */
  static async load(dir: string, options: SpeakerLoadOptions = {}): Promise<SpeakerModel> {
    const job = typed(() => addon().loadSpeakerModel(dir, options));
    try {
      return new SpeakerModel(await job.promise);
    } catch (error) {
      throw typedError(error);
    }
  }

  info(): SpeakerModelInfo {
    return typed(() => this.handle().info());
  }

  /** A whole recording of 16 kHz mono samples (copied), offline: chunks of the model's chunk_length, on a thread of their own. */
  async diarize(
    samples: Float32Array,
    options: DiarizeOptions = {},
  ): Promise<{ activity: SpeakerActivity; segments: SpeakerSegment[] }> {
    const { signal, onProgress } = options;
    if (signal?.aborted) throw new CancelledError("the job was cancelled", "ERR_CANCELLED");
    const info = this.info();
    const job: RawJob<{ probabilities: Float32Array; frames: number; segments: SpeakerSegment[] }> = typed(() =>
      this.handle().diarize(samples, (event) => {
        if (event.type === "progress") onProgress?.(event.fraction);
      }),
    );
    const abort = (): void => job.cancel();
    signal?.addEventListener("abort", abort, { once: true });
    try {
      const result = await job.promise;
      return {
        activity: { frameSeconds: info.frameSeconds, speakers: info.speakers, probabilities: result.probabilities },
        segments: result.segments,
      };
    } catch (error) {
      throw typedError(error);
    } finally {
      signal?.removeEventListener("abort", abort);
    }
  }

  /** A streaming session: push samples as they arrive, finish() at the end. */
  stream(options: SpeakerStreamOptions = {}): SpeakerStream {
    const info = this.info();
    return new SpeakerStream(
      typed(() => this.handle().startStream(options.mode)),
      info,
    );
  }

  /** Releases the model once no stream or job uses it. */
  close(): void {
    this.raw?.free();
    this.raw = null;
  }

  private handle(): RawSpeakerModel {
    if (this.raw === null) throw typedError({ message: "the speaker model is closed", code: "ERR_INVALID_ARGUMENT" });
    return this.raw;
  }
}

/**
 * One session's speaker cache and pending audio, in bounded memory however long it runs. Each chunk runs once its
 * samples and look-ahead are in (chunkFrames + rightContextFrames encoder frames of 80 ms), on a thread of its own:
 * one push (or the finish) at a time, each awaited before the next.
 */
export class SpeakerStream {
  /** @internal */
  constructor(
    private readonly raw: RawSpeakerStream,
    private readonly info: SpeakerModelInfo,
  ) {}

  /**
   * The probabilities of the frames this audio completed (possibly none), in order after the earlier ones. The
   * samples are copied. Rejects with StreamClosedError after finish(), and with InvalidArgumentError while another
   * push runs.
   */
  async push(samples: Float32Array): Promise<SpeakerActivity> {
    return this.activity(await settled(typed(() => this.raw.push(samples))));
  }

  /** The last frames (the audio left, without look-ahead) and every segment of the session. */
  async finish(): Promise<{ activity: SpeakerActivity; segments: SpeakerSegment[] }> {
    const result = await settled(typed(() => this.raw.finish()));
    return { activity: this.activity(result.probabilities), segments: result.segments };
  }

  private activity(probabilities: Float32Array): SpeakerActivity {
    return { frameSeconds: this.info.frameSeconds, speakers: this.info.speakers, probabilities };
  }
}

async function settled<T>(job: RawJob<T>): Promise<T> {
  try {
    return await job.promise;
  } catch (error) {
    throw typedError(error);
  }
}
