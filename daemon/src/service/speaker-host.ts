// The speaker model (config speakerModel): resolved and downloaded through the model store on the first job with
// speakers, loaded into the engine beside the speech model, kept while jobs use it, and freed after the same idle
// time as the speech model.
import { type Backend, SpeakerModel, type SpeakerStream } from "@verbatim/native";
import { type ModelStore, ModelStoreError } from "../models";
import { describeCause } from "../models/errors";
import type { DaemonStatus } from "../protocol";
import type { LoadProgressListener } from "./engine-host";
import type { Logger } from "./logger";
import { untilAborted } from "./until-aborted";

interface LoadedSpeakerModel {
  folder: string;
  model: SpeakerModel;
  loadSeconds: number;
}

/** The speech model's backend settings (config backend, threads, MLX limits): the speaker model loads as it does. */
export interface SpeakerHostSettings {
  backend: Backend;
  threads: number;
  mlxCacheLimitBytes?: number;
  mlxWiredLimitBytes?: number;
  /** The speech model's idle unload, read at each use (a client may change it at run time). */
  idleUnloadMinutes: () => number;
}

export class SpeakerHost {
  private loaded: LoadedSpeakerModel | null = null;
  private loading: Promise<LoadedSpeakerModel> | null = null;
  /** Whether the load under way looks on disk only (a meeting's): a job that may download waits it out first. */
  private loadingFromDisk = false;
  private readonly progressListeners = new Set<LoadProgressListener>();
  private lastError: string | null = null;
  private holds = 0;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly name: string,
    private readonly store: ModelStore,
    private readonly settings: SpeakerHostSettings,
    private readonly log: Logger,
  ) {}

  describe(): NonNullable<DaemonStatus["speakerModel"]> {
    return {
      id: this.name,
      state: this.loading ? "loading" : this.loaded ? "ready" : "unloaded",
      folder: this.loaded?.folder ?? null,
      loadSeconds: this.loaded?.loadSeconds ?? null,
      error: this.lastError,
    };
  }

  /**
   * Runs `work` on the speaker model, downloading (unless `offline`) and loading it first when needed; it is kept
   * while work runs.
   */
  async use<T>(
    onProgress: LoadProgressListener,
    signal: AbortSignal,
    work: (model: SpeakerModel) => Promise<T>,
    offline = false,
  ): Promise<T> {
    this.holds++;
    try {
      const loaded = await this.ready(onProgress, signal, offline);
      return await work(loaded.model);
    } finally {
      this.holds--;
      this.touch();
    }
  }

  /**
   * Runs `work` on a stream of the speaker model, loaded only from disk: a meeting never waits on a download. Rejects
   * saying so when the model is not downloaded.
   */
  streaming(work: (stream: SpeakerStream) => Promise<void>): Promise<void> {
    return this.use(
      () => {},
      new AbortController().signal,
      (model) => work(model.stream()),
      true,
    );
  }

  /** Frees the model's memory; the next job with speakers loads it again. */
  unload(reason: string): void {
    if (!this.loaded) return;
    this.log.info("speaker model unloaded", { model: this.name, reason });
    this.loaded.model.close();
    this.loaded = null;
  }

  close(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.unload("shutdown");
  }

  /** Restarts the idle countdown (called whenever the idle unload changes or the model is used). */
  touch(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const minutes = this.settings.idleUnloadMinutes();
    if (minutes <= 0 || !this.loaded) return;
    this.idleTimer = setTimeout(() => {
      if (this.holds === 0) this.unload("idle");
    }, minutes * 60_000);
    this.idleTimer.unref();
  }

  /** The loaded model; a load under way is shared, and a job that stops waiting leaves it to finish for the next. */
  private async ready(
    onProgress: LoadProgressListener,
    signal: AbortSignal,
    offline: boolean,
  ): Promise<LoadedSpeakerModel> {
    if (!offline && this.loadingFromDisk) await this.loading?.catch(() => {});
    if (this.loaded) return this.loaded;
    if (!this.loading) {
      this.loadingFromDisk = offline;
      this.loading = this.load(offline).finally(() => (this.loading = null));
    }
    this.progressListeners.add(onProgress);
    try {
      return await untilAborted(this.loading, signal);
    } finally {
      this.progressListeners.delete(onProgress);
    }
  }

  private async load(offline: boolean): Promise<LoadedSpeakerModel> {
    const started = performance.now();
    this.log.info("loading speaker model", { model: this.name });
    try {
      const resolved = await this.store.resolveModel(this.name, {
        offline: offline || undefined,
        onProgress: (progress) => this.emit("download", progress),
      });
      this.emit("loading", null);
      const { backend, threads, mlxCacheLimitBytes, mlxWiredLimitBytes } = this.settings;
      const model = await SpeakerModel.load(resolved.folder, {
        backend,
        threads,
        mlxCacheLimitBytes,
        mlxWiredLimitBytes,
        ...(resolved.quantize && { quantize: resolved.quantize }),
      });
      this.loaded = { folder: resolved.folder, model, loadSeconds: (performance.now() - started) / 1000 };
      this.lastError = null;
      this.log.info("speaker model ready", { model: this.name, folder: resolved.folder });
      return this.loaded;
    } catch (error) {
      if (offline && error instanceof ModelStoreError && error.code === "not-downloaded") {
        throw new ModelStoreError(
          "not-downloaded",
          `The speaker model ${this.name} (config speakerModel) is not downloaded, and a meeting downloads none ` +
            `while it records: verbatim models pull ${this.name}`,
          { cause: error },
        );
      }
      const failure = speakerModelFailure(this.name, error);
      this.lastError = failure.message;
      this.log.warn("speaker model failed to load", { model: this.name, error: failure.message });
      throw failure;
    }
  }

  private emit(...[stage, progress]: Parameters<LoadProgressListener>): void {
    for (const listener of this.progressListeners) listener(stage, progress);
  }
}

/** A load's failure told as the speaker model's, with what to do (a ModelStoreError: the job fails with code "model"). */
function speakerModelFailure(name: string, error: unknown): ModelStoreError {
  const code = error instanceof ModelStoreError ? error.code : "not-a-model";
  return new ModelStoreError(
    code,
    `The speaker model ${name} (config speakerModel) could not be loaded: ${describeCause(error)} ` +
      `Set speakerModel to nemotron-diarization (downloaded on first use), a hub repository id, or a folder ` +
      `holding a Nemotron 3 Diarization model's config.json, model.safetensors and processor_config.json.`,
    { cause: error },
  );
}
