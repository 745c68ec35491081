// The daemon's one warm model: resolved (and downloaded) through the model store, loaded into the native engine
// in the background as its family (Whisper or Parakeet TDT: load-model.ts), switched at run time, and unloaded when
// idle if configured. Jobs
// that name no model run on the default model (the configured one; a client's switch changes it); a job that names
// one runs on that one alone, and the next job without a name goes back to the default. While a client's switch
// loads the new default, jobs keep running on the default before it: a slow, stalled or failing switch holds up
// only the jobs that asked for the new model.
import { buildInfo, gpuAbsence, thisMac, trimNativeHeap, type Backend } from "@verbatim/native";
import type { DownloadProgress, ModelStore } from "../models";
import type { ModelLoadProgress, ModelState } from "../protocol";
import { loadFamilyModel } from "./load-model";
import type { Logger } from "./logger";
import type { FamilyModel } from "./model-family";
import { modelLoadProgress } from "./progress-event";

export interface ActiveModel {
  /** What the model was asked for by (alias, repo id or folder). */
  id: string;
  folder: string;
  /** The model as its family runs it: its capabilities, a file job's decoding, its memory. */
  model: FamilyModel;
}

export interface EngineHostSettings {
  backend: Backend;
  threads: number;
  mlxCacheLimitBytes?: number;
  mlxWiredLimitBytes?: number;
  idleUnloadMinutes: number;
}

export type LoadProgressListener = (stage: "download" | "loading", progress: DownloadProgress | null) => void;

/**
 * Left alone this long, the C heap a job freed goes back to the system: glibc keeps freed memory in its arenas, where a
 * long file's buffers would stay part of the daemon's memory until the next job (test/bench/daemon-memory.mjs).
 */
const TRIM_AFTER_MS = 5_000;

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
  /** The model jobs that name none run on: the configured one, or the last a client switched to. */
  private defaultId: string;
  /** The last default that loaded: it serves jobs while a switch loads the next default, and after one fails. */
  private lastDefaultReadyId: string | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private trimTimer: NodeJS.Timeout | null = null;
  /** Jobs running on each model now: the idle unload, and the free of a model a switch replaced, wait for them. */
  private readonly holds = new Map<ActiveModel, number>();
  /** Models a switch replaced, freed once no job holds them. */
  private readonly retiring = new Set<ActiveModel>();
  private readonly progressListeners = new Set<LoadProgressListener>();
  /** Why the engine computes on the CPU of a Mac whose GPU it should use; read once (undefined: not yet). */
  private gpuProblem: string | null | undefined;

  constructor(
    initialModel: string,
    private readonly store: ModelStore,
    private readonly settings: EngineHostSettings,
    private readonly log: Logger,
  ) {
    this.wantedId = initialModel;
    this.defaultId = initialModel;
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
      backend: this.active?.model.backend ?? null,
      device: this.active?.model.device ?? null,
      folder: this.active?.folder ?? null,
      loadSeconds: this.active?.model.loadSeconds ?? null,
      error: this.failure ?? this.switchFailure,
      notice: this.notice,
      progress: this.loading ? this.loadProgress : null,
      inUse: this.active?.id ?? null,
      capabilities: this.active?.model.capabilities ?? null,
      gpuProblem: this.whyNoGpu(),
    };
  }

  private whyNoGpu(): string | null {
    if (this.gpuProblem === undefined) {
      try {
        const absence = gpuAbsence(buildInfo(), thisMac());
        this.gpuProblem = absence && `${absence.reason}: ${absence.fix}`;
      } catch {
        return null; // an engine that does not load: the model's load says why
      }
    }
    return this.gpuProblem;
  }

  /** The model jobs without one of their own run on now, null while none is loaded. */
  get loaded(): ActiveModel | null {
    return this.active;
  }

  /** MLX's allocator figures while the model runs on MLX, else null. */
  mlxMemory() {
    return this.active?.model.memory() ?? null;
  }

  /**
   * Starts loading `id` in the background (a newer request supersedes a load in progress). Asking for the model
   * that is loaded while another one loads changes nothing: that switch goes on.
   */
  select(id: string): Promise<ActiveModel> {
    if (this.loading?.id === id) return this.loading.promise;
    if (this.active?.id === id) return Promise.resolve(this.active);
    this.wantedId = id;
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
        if (id === this.defaultId) this.lastDefaultReadyId = id;
        if (previous) this.retire(previous);
        this.touch();
      },
      (error: unknown) => {
        if (this.loading !== loading) return;
        this.loading = null;
        const reason = error instanceof Error ? error.message : String(error);
        this.log.error("model failed to load", { model: id, error: reason });
        const previous = this.lastReadyId;
        if (id === this.defaultId && this.lastDefaultReadyId !== null) this.defaultId = this.lastDefaultReadyId;
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

  /**
   * A client's switch: `id` becomes the default model, calling off a switch to another model in progress (the
   * loaded one stays).
   */
  switchTo(id: string): Promise<ActiveModel> {
    this.defaultId = id;
    if (this.loading && this.active?.id === id) {
      this.loading.controller.abort(new Error(`superseded by a request for ${id}`));
      this.loading = null;
      this.wantedId = id;
      this.switchFailure = null;
    }
    return this.select(id);
  }

  /**
   * The model a job runs on, once ready, waiting at most `timeoutMs`. With `model`, that model (switching to it as
   * needed). Without, the default model; while a client's switch loads a new default, the default before it (the
   * job does not wait for the switch); loaded, or reloaded after an idle unload or a job that named another model,
   * as needed; after a failed switch, the model before it.
   */
  async ready(
    timeoutMs: number,
    onProgress?: LoadProgressListener,
    signal?: AbortSignal,
    model?: string,
  ): Promise<ActiveModel> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const loading = this.pendingLoad(model);
      if (!loading) {
        this.touch();
        return this.active!;
      }
      const wanted = this.wantedId;
      try {
        return await this.waitFor(loading, deadline - performance.now(), onProgress, signal);
      } catch (error) {
        // A switch that failed while no model was loaded: a job that asked for none goes on with the model before it.
        const fellBack = error instanceof ModelNotReadyError && error.code === "model" && this.wantedId !== wanted;
        if (model || !fellBack || performance.now() >= deadline) throw error;
      }
    }
  }

  /** The load a job must wait for, or null when the model it runs on is loaded. */
  private pendingLoad(model: string | undefined): Promise<ActiveModel> | null {
    if (model) return this.active?.id === model ? null : this.select(model);
    const activeId = this.active?.id;
    const switching = this.loading?.id === this.defaultId;
    if (activeId === this.defaultId || (switching && activeId === this.lastDefaultReadyId)) return null;
    return switching ? this.loading!.promise : this.select(this.defaultId);
  }

  private async waitFor(
    loading: Promise<ActiveModel>,
    timeoutMs: number,
    onProgress?: LoadProgressListener,
    signal?: AbortSignal,
  ): Promise<ActiveModel> {
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
          Math.max(0, timeoutMs),
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
    trimNativeHeap();
  }

  close(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.trimTimer) clearTimeout(this.trimTimer);
    this.loading?.controller.abort(new Error("the daemon is shutting down"));
    this.unload("shutdown");
    for (const model of this.retiring) model.model.free();
    this.retiring.clear();
  }

  /**
   * Keeps `model` while `work` runs on it (a file longer than the idle time, its speech search): neither the idle
   * unload nor a switch frees it meanwhile.
   */
  async hold<T>(model: ActiveModel, work: () => Promise<T>): Promise<T> {
    this.holds.set(model, (this.holds.get(model) ?? 0) + 1);
    try {
      return await work();
    } finally {
      const left = this.holds.get(model)! - 1;
      if (left > 0) this.holds.set(model, left);
      else this.holds.delete(model);
      this.freeIfUnused(model);
      this.touch();
    }
  }

  /**
   * Frees a model a switch replaced once no job holds it. Not before the next turn of the event loop: a job that
   * ready() has just given it to takes its hold when its continuation runs.
   */
  private retire(model: ActiveModel): void {
    this.retiring.add(model);
    setImmediate(() => this.freeIfUnused(model));
  }

  private freeIfUnused(model: ActiveModel): void {
    if (!this.retiring.has(model) || this.holds.has(model)) return;
    this.retiring.delete(model);
    model.model.free();
  }

  get idleUnloadMinutes(): number {
    return this.settings.idleUnloadMinutes;
  }

  /** Unloads the model after `minutes` idle from now on (0: keeps it loaded). */
  setIdleUnloadMinutes(minutes: number): void {
    this.settings.idleUnloadMinutes = minutes;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.active) this.touch();
  }

  /** Restarts the idle countdown and the heap's trim (called whenever the model is used). */
  touch(): void {
    if (this.trimTimer) clearTimeout(this.trimTimer);
    this.trimTimer = setTimeout(() => {
      if (this.holds.size === 0) trimNativeHeap();
    }, TRIM_AFTER_MS);
    this.trimTimer.unref();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.settings.idleUnloadMinutes <= 0) return;
    this.idleTimer = setTimeout(() => {
      // Else the last hold's end starts the countdown again.
      if (!this.active || !this.holds.has(this.active)) this.unload("idle");
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
    const model = await loadFamilyModel(resolved, { backend, threads, mlxCacheLimitBytes, mlxWiredLimitBytes });
    try {
      signal.throwIfAborted();
    } catch (error) {
      model.free();
      throw error;
    }
    this.log.info("model ready", {
      model: id,
      family: model.capabilities.family,
      folder: resolved.folder,
      backend: model.backend,
      device: model.device,
      seconds: (performance.now() - started) / 1000,
    });
    return { id, folder: resolved.folder, model };
  }
}
