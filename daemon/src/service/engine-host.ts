// The daemon's one warm model: resolved (and downloaded) through the model store, loaded into the native engine
// in the background as its family (families/), switched at run time, and unloaded when
// idle if configured. One rule says which model a job runs on: the one it names, else the default model (the
// configured one, which a client's switch changes once the new model has loaded). A job never runs on another model
// than that: when the default cannot load, jobs that name none fail, naming it and what to do. While a client's
// switch loads the next default, jobs keep running on the default before it: a slow, stalled or failing switch holds
// up only the jobs that asked for the new model. A load that failed is remembered (load-failures.ts): jobs that ask
// for that model fail at once with the reason, until its files change or a client switches to it again.
import { buildInfo, gpuAbsence, thisMac, trimNativeHeap, type Backend } from "@verbatim/native";
import type { DownloadProgress, ModelStore } from "../models";
import { loadFamilyModel, type FamilyModel } from "../families";
import { refuseSpeakerModelForSpeech } from "../models/speaker-catalog";
import type { ModelLoadProgress, ModelState } from "../protocol";
import { LoadFailures } from "./load-failures";
import type { Logger } from "./logger";
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
  private readonly failures: LoadFailures;
  /** Why the last client's switch failed (the default stayed the model before it); null once a switch succeeds. */
  private switchFailure: string | null = null;
  private notice: string | null = null;
  /** What the load in progress did last (a download's file and bytes, or loading into the engine). */
  private loadProgress: ModelLoadProgress | null = null;
  /** The model jobs that name none run on: the configured one, or the last a client's switch loaded. */
  private defaultId: string;
  /** The model a client's switch is loading: the default once it has loaded. */
  private switchingTo: string | null = null;
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
    this.defaultId = initialModel;
    this.failures = new LoadFailures((model) => store.filesStamp(model));
  }

  /** The model the status is about: the one loading now, else the default. */
  private get shownId(): string {
    return this.loading?.id ?? this.defaultId;
  }

  private stateOf(id: string): ModelState {
    if (this.loading?.id === id) return "loading";
    if (this.active?.id === id) return "ready";
    return this.failures.reasonOf(id) !== null ? "failed" : "unloaded";
  }

  describe() {
    const id = this.shownId;
    return {
      id,
      state: this.stateOf(id),
      backend: this.active?.model.backend ?? null,
      device: this.active?.model.device ?? null,
      folder: this.active?.folder ?? null,
      loadSeconds: this.active?.model.loadSeconds ?? null,
      error: this.failures.reasonOf(id) ?? this.switchFailure,
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

  /** The model loaded now (the default, or the last job's own model), null while none is. */
  get loaded(): ActiveModel | null {
    return this.active;
  }

  /** MLX's allocator figures while the model runs on MLX, else null. */
  mlxMemory() {
    return this.active?.model.memory() ?? null;
  }

  /** Starts loading the default model, or `id`, in the background (the daemon's start); a failure is remembered. */
  warm(id: string = this.defaultId): void {
    if (this.failures.reasonOf(id) === null) this.select(id).catch(() => undefined);
  }

  /**
   * A client's switch: `id` becomes the default model once it has loaded (a failed switch leaves the default as it
   * was). It tries again a model whose load failed, and calls off a switch to another model in progress; a switch
   * back to the loaded model calls off any load in progress. Resolves once `id` is ready, waiting at most
   * `timeoutMs` (the switch goes on after a timeout); rejects with why it did not load.
   */
  switchTo(id: string, timeoutMs: number, onProgress?: LoadProgressListener): Promise<ActiveModel> {
    refuseSpeakerModelForSpeech(id); // before anything changes: not a failed switch, a request that makes no sense
    this.failures.forget(id);
    this.switchFailure = null;
    if (this.active?.id === id) {
      this.loading?.controller.abort(new Error(`superseded by a request for ${id}`));
      this.loading = null;
      this.switchingTo = null;
      this.defaultId = id;
      this.touch();
      return Promise.resolve(this.active);
    }
    this.switchingTo = id;
    const promise = this.select(id);
    promise.then(
      () => {
        if (this.switchingTo !== id) return;
        this.switchingTo = null;
        this.defaultId = id;
      },
      (error: unknown) => {
        if (this.switchingTo !== id) return;
        this.switchingTo = null;
        const reason = error instanceof Error ? error.message : String(error);
        this.switchFailure = `Could not switch to ${id}; still using ${this.defaultId}. ${reason}`;
      },
    );
    return this.waitFor(id, promise, timeoutMs, { onProgress });
  }

  /**
   * The model a job runs on, once ready, waiting at most `timeoutMs`: `model`, or without it the default model
   * (while a client's switch loads a new default, the default before it if it is loaded, else the switch's model).
   * Loaded, or reloaded after an idle unload or a job that named another model, as needed. A model whose load failed
   * fails the job at once (a ModelNotReadyError "model" naming it and what to do), until its files change.
   */
  async ready(
    timeoutMs: number,
    onProgress?: LoadProgressListener,
    signal?: AbortSignal,
    model?: string,
  ): Promise<ActiveModel> {
    refuseSpeakerModelForSpeech(model ?? this.defaultId);
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const wanted = model ?? this.defaultId;
      if (this.active?.id === wanted) {
        this.touch();
        return this.active;
      }
      const switching = !model && this.switchLoading();
      if (!switching) {
        const reason = await this.failures.standing(wanted);
        if (reason !== null) throw this.loadFailure(wanted, reason, model === undefined);
        // Looked at again if things moved while the files were read: a load ended, a switch began or succeeded.
        if (this.active?.id === wanted || (!model && (this.switchLoading() || wanted !== this.defaultId))) continue;
      }
      const loading = switching ? this.loading!.promise : this.select(wanted);
      try {
        return await this.waitFor(switching ? this.switchingTo! : wanted, loading, deadline - performance.now(), {
          onProgress,
          signal,
        });
      } catch (error) {
        if (!(error instanceof ModelNotReadyError && error.code === "model")) throw error;
        // The switch a job without a model waited for failed: it goes on with the default, still the one before it.
        if (switching) continue;
        const reason = this.failures.reasonOf(wanted);
        throw reason === null ? error : this.loadFailure(wanted, reason, model === undefined);
      }
    }
  }

  /** Whether a client's switch is loading the next default now. */
  private switchLoading(): boolean {
    return this.switchingTo !== null && this.loading?.id === this.switchingTo;
  }

  /** Why a job cannot run on `id`, whose load failed, and what to do. */
  private loadFailure(id: string, reason: string, asDefault: boolean): ModelNotReadyError {
    const said = reason.replace(/\.?$/, ".");
    const message = asDefault
      ? `The configured model ${id}, which jobs without a model of their own run on, did not load: ${said} It is ` +
        `tried again once its files change or at \`verbatim models use ${id}\`; \`verbatim models use NAME\` ` +
        `configures another.`
      : `The model ${id} did not load: ${said} It is tried again once its files change or after a restart.`;
    return new ModelNotReadyError(message, "model");
  }

  /** Starts loading `id` in the background, superseding a load of another model in progress. */
  private select(id: string): Promise<ActiveModel> {
    if (this.loading?.id === id) return this.loading.promise;
    if (this.active?.id === id) return Promise.resolve(this.active);
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
        this.failures.forget(id);
        if (previous) this.retire(previous);
        this.touch();
      },
      (error: unknown) => {
        if (this.loading !== loading) return; // superseded: not a failure of the model
        this.loading = null;
        const reason = error instanceof Error ? error.message : String(error);
        this.log.error("model failed to load", { model: id, error: reason });
        this.failures.remember(id, reason);
      },
    );
    return promise;
  }

  private async waitFor(
    id: string,
    loading: Promise<ActiveModel>,
    timeoutMs: number,
    { onProgress, signal }: { onProgress?: LoadProgressListener; signal?: AbortSignal },
  ): Promise<ActiveModel> {
    if (onProgress) this.progressListeners.add(onProgress);
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new ModelNotReadyError(
                `The model ${id} was not ready within ${Math.round(timeoutMs / 1000)} s; it is still loading. Try again shortly.`,
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

  /**
   * Gives the C heap that jobs freed back to the system now, unless a job holds a model. The daemon calls it when it
   * has nothing to run (its queue drained, no dictation live), so that the trim (a few ms) delays no job and no
   * dictation's text, and glibc's arenas do not keep the jobs' buffers between jobs (test/bench/README.md).
   */
  releaseFreedMemory(): void {
    if (this.holds.size === 0) trimNativeHeap();
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
    refuseSpeakerModelForSpeech(id); // config.json's "model" (a job's own or a switch's is refused before)
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
