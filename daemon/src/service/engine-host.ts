// The daemon's one warm model: resolved (and downloaded) through the model store, loaded into the native engine
// in the background, paired with its tokenizer, switched at run time, and unloaded when idle if configured.
import { WhisperModel, type Backend, type ModelInfo } from "@verbatim/native";
import type { DownloadProgress, ModelStore } from "../models";
import type { ModelLoadProgress, ModelState } from "../protocol";
import { loadTokenizer, type Tokenizer } from "../tokenizer";
import type { Logger } from "./logger";
import { modelLoadProgress } from "./progress-event";

export interface ActiveModel {
  /** What the model was asked for by (alias, repo id or folder). */
  id: string;
  folder: string;
  model: WhisperModel;
  tokenizer: Tokenizer;
  info: ModelInfo;
}

export interface EngineHostSettings {
  backend: Backend;
  threads: number;
  mlxCacheLimitBytes?: number;
  mlxWiredLimitBytes?: number;
  idleUnloadMinutes: number;
}

export type LoadProgressListener = (stage: "download" | "loading", progress: DownloadProgress | null) => void;

export class ModelNotReadyError extends Error {
  constructor(
    message: string,
    readonly code: "timeout" | "model",
  ) {
    super(message);
    this.name = "ModelNotReadyError";
  }
}

interface Loading {
  id: string;
  promise: Promise<ActiveModel>;
  controller: AbortController;
}

export class EngineHost {
  private active: ActiveModel | null = null;
  private loading: Loading | null = null;
  /** Why the wanted model could not load (state "failed"). */
  private failure: string | null = null;
  /** Why the last switch failed while the model before it stays in use. */
  private switchFailure: string | null = null;
  /** The last model that loaded: a failed switch goes back to it. */
  private lastReadyId: string | null = null;
  private notice: string | null = null;
  /** What the load in progress did last (a download's file and bytes, or loading into the engine). */
  private loadProgress: ModelLoadProgress | null = null;
  private wantedId: string;
  private idleTimer: NodeJS.Timeout | null = null;
  /** Jobs running on the model now: the idle unload waits for them. */
  private holds = 0;
  private readonly progressListeners = new Set<LoadProgressListener>();
  // Building a vocabulary's tokenizer blocks the event loop for a moment, so each is built once.
  private readonly tokenizers = new Map<number, Promise<Tokenizer>>();

  constructor(
    initialModel: string,
    private readonly store: ModelStore,
    private readonly settings: EngineHostSettings,
    private readonly log: Logger,
  ) {
    this.wantedId = initialModel;
  }

  get state(): ModelState {
    if (this.loading) return "loading";
    if (this.active) return "ready";
    return this.failure ? "failed" : "unloaded";
  }

  describe() {
    return {
      id: this.wantedId,
      state: this.state,
      backend: this.active?.info.backend ?? null,
      device: this.active?.info.device ?? null,
      folder: this.active?.folder ?? null,
      loadSeconds: this.active?.info.loadSeconds ?? null,
      error: this.failure ?? this.switchFailure,
      notice: this.notice,
      progress: this.loading ? this.loadProgress : null,
    };
  }

  /** The loaded model's tokenizer, null while none is loaded. */
  get tokenizer(): Tokenizer | null {
    return this.active?.tokenizer ?? null;
  }

  /** MLX's allocator figures while the model runs on MLX, else null. */
  mlxMemory() {
    return this.active?.model.memory() ?? null;
  }

  /** Starts loading `id` in the background (a newer request supersedes a load in progress). */
  select(id: string): Promise<ActiveModel> {
    this.wantedId = id;
    if (this.loading?.id === id) return this.loading.promise;
    if (this.active?.id === id && !this.loading) return Promise.resolve(this.active);
    this.loading?.controller.abort(new Error(`superseded by a request for ${id}`));

    const controller = new AbortController();
    const promise = this.load(id, controller.signal);
    const loading: Loading = { id, promise, controller };
    this.loading = loading;
    promise.then(
      (model) => {
        if (this.loading !== loading) return model.model.free();
        const previous = this.active;
        this.active = model;
        this.loading = null;
        this.failure = null;
        this.switchFailure = null;
        this.lastReadyId = id;
        previous?.model.free();
        this.touch();
      },
      (error: unknown) => {
        if (this.loading !== loading) return;
        this.loading = null;
        const reason = error instanceof Error ? error.message : String(error);
        this.log.error("model failed to load", { model: id, error: reason });
        const previous = this.lastReadyId;
        if (previous !== null && previous !== id) {
          // The model that worked is still loaded (or reloads on demand after an idle unload): keep using it.
          this.wantedId = previous;
          this.switchFailure = `Could not switch to ${id}; still using ${previous}. ${reason}`;
        } else {
          this.failure = reason;
        }
      },
    );
    return promise;
  }

  /** The model, once ready: loads (or reloads after an idle unload) as needed, waiting at most `timeoutMs`. */
  async ready(timeoutMs: number, onProgress?: LoadProgressListener, signal?: AbortSignal): Promise<ActiveModel> {
    const loading = this.loading?.promise ?? (this.active ? null : this.select(this.wantedId));
    if (!loading) {
      this.touch();
      return this.active!;
    }
    if (onProgress) this.progressListeners.add(onProgress);
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new ModelNotReadyError(
                `The model ${this.wantedId} was not ready within ${Math.round(timeoutMs / 1000)} s; it is still loading. Try again shortly.`,
                "timeout",
              ),
            ),
          timeoutMs,
        );
      });
      const aborted = new Promise<never>((_, reject) => {
        signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
      });
      const model = await Promise.race([loading, timeout, aborted]);
      this.touch();
      return model;
    } catch (error) {
      if (error instanceof ModelNotReadyError || signal?.aborted) throw error;
      throw new ModelNotReadyError(error instanceof Error ? error.message : String(error), "model");
    } finally {
      clearTimeout(timer);
      if (onProgress) this.progressListeners.delete(onProgress);
    }
  }

  /** Frees the model's memory; the next request loads it again. */
  unload(reason: string): void {
    if (!this.active) return;
    this.log.info("model unloaded", { model: this.active.id, reason });
    this.active.model.free();
    this.active = null;
  }

  close(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.loading?.controller.abort(new Error("the daemon is shutting down"));
    this.unload("shutdown");
  }

  /** Keeps the idle unload away while `work` runs on the model (a file longer than the idle time, its speech search). */
  async hold<T>(work: () => Promise<T>): Promise<T> {
    this.holds++;
    try {
      return await work();
    } finally {
      this.holds--;
      this.touch();
    }
  }

  /** Restarts the idle countdown (called whenever the model is used). */
  touch(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.settings.idleUnloadMinutes <= 0) return;
    this.idleTimer = setTimeout(() => {
      if (this.holds === 0) this.unload("idle"); // else the last hold's end starts the countdown again
    }, this.settings.idleUnloadMinutes * 60_000);
    this.idleTimer.unref();
  }

  private emitProgress(stage: "download" | "loading", progress: DownloadProgress | null): void {
    this.loadProgress = modelLoadProgress(stage, progress);
    for (const listener of this.progressListeners) listener(stage, progress);
  }

  private async load(id: string, signal: AbortSignal): Promise<ActiveModel> {
    const started = performance.now();
    this.loadProgress = null;
    this.log.info("loading model", { model: id });
    const resolved = await this.store.resolveModel(id, {
      signal,
      onProgress: (progress) => this.emitProgress("download", progress),
    });
    this.notice = resolved.notice ?? null;
    if (resolved.notice) this.log.warn("model substituted", { model: id, notice: resolved.notice });
    signal.throwIfAborted();

    this.emitProgress("loading", null);
    const { backend, threads, mlxCacheLimitBytes, mlxWiredLimitBytes } = this.settings;
    const model = await WhisperModel.load(resolved.folder, {
      backend,
      threads,
      mlxCacheLimitBytes,
      mlxWiredLimitBytes,
    }).promise;
    try {
      const info = model.info();
      const tokenizer = await this.tokenizerFor(info.dims.nVocab);
      model.setVocabulary(tokenizer.tokenBytesTable());
      signal.throwIfAborted();
      this.log.info("model ready", {
        model: id,
        folder: resolved.folder,
        backend: info.backend,
        device: info.device,
        seconds: (performance.now() - started) / 1000,
      });
      return { id, folder: resolved.folder, model, tokenizer, info };
    } catch (error) {
      model.free();
      throw error;
    }
  }

  private tokenizerFor(nVocab: number): Promise<Tokenizer> {
    let tokenizer = this.tokenizers.get(nVocab);
    if (!tokenizer) {
      tokenizer = loadTokenizer({ nVocab });
      tokenizer.catch(() => this.tokenizers.delete(nVocab)); // a failed load is tried again next time
      this.tokenizers.set(nVocab, tokenizer);
    }
    return tokenizer;
  }
}
