// verbatimd: a WebSocket server on the per-user Unix socket, the warm model, the job queue, and a clean
// shutdown that leaves no socket behind.
import { chmodSync, mkdirSync, rmSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { WebSocketServer, type WebSocket } from "ws";
import { ApiServer } from "../api/api-server";
import { captureCommand } from "../capture/capture-launch";
import type { ApiSettings } from "../service/api-settings";
import { DictationManager } from "../dictation/manager";
import { RecordingStore } from "../dictation/recordings";
import { MeetingManager } from "../meetings/meeting-manager";
import { MeetingStore } from "../meetings/meeting-store";
import { speechGate } from "../dictation/speech-gate";
import { TranscriptHistory } from "../history/transcript-history";
import { ModelStore } from "../models";
import {
  MAX_FRAME_BYTES,
  MAX_UPLOAD_BYTES,
  PROTOCOL_VERSION,
  ProtocolError,
  type ApiStatus,
  type CachedModelData,
  type DaemonStatus,
  type Event,
  type IdleUnloadStatus,
  type Request,
  type TranscriptData,
  type TranscriptionOptions,
} from "../protocol";
import type { VerbatimPaths } from "../paths";
import { decodingDefaults, DEFAULT_CONFIG, mlxLimits, type DaemonConfig } from "../service/config";
import { Connection } from "./connection";
import type { DaemonContext } from "./daemon-context";
import type { JobObserver, UnaddressedEvent } from "../service/job-events";
import { EngineHost, type LoadProgressListener } from "../service/engine-host";
import { SpeakerHost } from "../service/speaker-host";
import { describeFailure, JobStopped } from "../service/failures";
import { guardHandshakes } from "../service/handshake-guard";
import { InstanceLock } from "../service/instance-lock";
import { JobOwners } from "../service/job-owners";
import { JobQueue } from "../service/job-queue";
import { saveModelChoice } from "../service/model-choice";
import { modelProgressEvent } from "../service/progress-event";
import type { Logger } from "../service/logger";
import { memoryBreakdown } from "../service/memory-breakdown";
import { RecentResults } from "../service/results";
import { transcribe } from "../service/transcription";
import { VocabularyStore } from "../vocabulary/vocabulary-store";
import { ModesStore } from "../modes/modes-store";
import { UploadBudget } from "../service/upload-budget";

const CAPTURE_COMMAND = captureCommand();

/** How long a shutdown waits for cancelled jobs to end, then for clients to close, before it goes on regardless. */
const SHUTDOWN_GRACE_MS = 5000;
const CLIENT_CLOSE_GRACE_MS = 1000;
/** How long a connection may take to send its WebSocket handshake. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

export interface DaemonOptions {
  paths: VerbatimPaths;
  config: DaemonConfig;
  /** What loadConfig found wrong in the config file (reported in the status). */
  configProblems?: string[];
  /** The config file was written at this start with the defaults: nobody has chosen a model yet. */
  firstRun?: boolean;
  /**
   * The model to load at the start instead of the configured one (a CLI that starts the daemon for a job naming its
   * own model): loaded, not made the default.
   */
  warmModel?: string;
  log: Logger;
  version: string;
  store?: ModelStore;
}

export class Daemon implements DaemonContext {
  readonly version: string;
  readonly log: Logger;
  readonly results: RecentResults;
  readonly dictations: DictationManager;
  readonly meetings: MeetingManager;
  readonly vocabulary: VocabularyStore;
  readonly modes: ModesStore;
  readonly uploadsDir: string;
  readonly uploadBudget: UploadBudget;
  readonly jobOwners = new JobOwners();
  readonly idleConnectionMs: number;
  private firstRun: boolean;
  /** The daemon's RSS once it listens, before any model loads: what an idle unload brings it back to, about. */
  private rssWithoutModel: number | null = null;
  /** The largest upload the HTTP API takes. */
  readonly maxUploadBytes: number;
  /** Opened in start(), once this daemon holds the instance lock. */
  history: TranscriptHistory | null = null;
  /** Once it drains with no dictation live, the heap that its jobs freed goes back to the system. */
  private readonly queue = new JobQueue(() => {
    if (this.dictations.current === null) this.host.releaseFreedMemory();
  });
  private readonly host: EngineHost;
  private readonly speakerHost: SpeakerHost;
  private readonly store: ModelStore;
  private readonly startedAt = Date.now();
  private readonly server = http.createServer((_, response) => response.writeHead(426).end("WebSocket only\n"));
  // A text frame that is not UTF-8 gets a typed error from its Connection instead of ws closing the socket (1007).
  private readonly sockets = new WebSocketServer({
    server: this.server,
    maxPayload: MAX_FRAME_BYTES,
    skipUTF8Validation: true,
  });
  private lock: InstanceLock | null = null;
  private stopping: Promise<void> | null = null;
  private readonly api: ApiServer;
  private apiSettings: ApiSettings;

  constructor(private readonly options: DaemonOptions) {
    this.version = options.version;
    this.log = options.log;
    this.results = new RecentResults(options.config.keepResults);
    this.uploadsDir = path.join(options.paths.stateDir, "uploads");
    this.uploadBudget = new UploadBudget({
      maxUploads: options.config.maxUnfinishedUploads,
      maxBytes: options.config.maxUnfinishedUploadMB * 1024 * 1024,
    });
    this.idleConnectionMs = options.config.idleConnectionSeconds * 1000;
    this.firstRun = options.firstRun ?? false;
    this.maxUploadBytes = Math.min(MAX_UPLOAD_BYTES, options.config.maxUnfinishedUploadMB * 1024 * 1024);
    this.api = new ApiServer(this, options.paths.configDir);
    this.apiSettings = options.config.api;
    this.store = options.store ?? new ModelStore({}, "daemon");
    this.host = new EngineHost(
      options.config.model,
      this.store,
      {
        backend: options.config.backend,
        threads: options.config.threads,
        ...mlxLimits(options.config),
        idleUnloadMinutes: options.config.idleUnloadMinutes,
      },
      options.log,
    );
    this.speakerHost = new SpeakerHost(
      options.config.speakerModel,
      this.store,
      {
        backend: options.config.backend,
        threads: options.config.threads,
        ...mlxLimits(options.config),
        idleUnloadMinutes: () => this.host.idleUnloadMinutes,
      },
      options.log,
    );
    this.vocabulary = new VocabularyStore(
      options.paths.configFile,
      { vocabulary: options.config.vocabulary, problems: [] },
      () => this.host.loaded,
      { ...DEFAULT_CONFIG },
    );
    this.modes = new ModesStore(
      options.paths.configFile,
      { modes: options.config.modes, problems: [] },
      { ...DEFAULT_CONFIG },
      options.log,
    );
    this.dictations = new DictationManager(
      {
        host: this.host,
        recordings: new RecordingStore(path.join(options.paths.stateDir, "recordings")),
        results: this.results,
        log: options.log,
        submitTranscription: (request, file, send) => this.submitTranscription(request, file, send),
        speechGate: () => speechGate(options.config.utteranceSilenceSeconds, (notice) => options.log.warn(notice)),
        vocabulary: () => this.vocabulary.current,
        recordTranscript: (finished) => this.history?.record(finished) ?? null,
        modes: () => this.modes.current(),
        recordFinished: (job, finishing) => this.history?.recordFinished(job, finishing) ?? null,
        forgetTranscript: (job) => this.history?.forget(job),
      },
      {
        maxDictationSeconds: options.config.maxDictationSeconds,
        keepRecordings: options.config.keepRecordings,
        keepSessions: options.config.keepResults,
        readyTimeoutSeconds: options.config.readyTimeoutSeconds,
        autoStopSeconds: options.config.autoStopSeconds,
        streamingChunkMs: options.config.streamingChunkMs,
        decoding: decodingDefaults(options.config),
        finishingTimeoutSeconds: options.config.finishingTimeoutSeconds,
        keepMicrophoneReadyMinutes: options.config.keepMicrophoneReadyMinutes,
      },
    );
    this.meetings = new MeetingManager({
      store: new MeetingStore(path.join(options.paths.stateDir, "meetings")),
      log: options.log,
      transcribeTrack: (job, file, trackOptions, live) => this.transcribeTrack(job, file, trackOptions, live),
      cancelJob: (job) => void this.cancelJob(job, "canceled: the meeting stopped"),
      speechGate: () => speechGate(options.config.utteranceSilenceSeconds, (notice) => options.log.warn(notice)),
      speakerStream: (work) => this.speakerHost.streaming(work),
      modes: () => this.modes.current(),
      recordMeeting: ({ meeting, transcript, speakerNames }, folder) =>
        this.history?.record({
          kind: "meeting",
          job: meeting,
          transcript,
          sourceFile: folder,
          app: null,
          audioFile: null,
          // Only You is named: the others are "Speaker N" until the user names them.
          speakerNames: speakerNames.map((name, speaker) => (speaker === 0 ? name : null)),
        }) ?? null,
    });
    guardHandshakes(this.server, { max: options.config.maxConnections, timeoutMs: HANDSHAKE_TIMEOUT_MS }, (why) =>
      options.log.warn(`closed connections without a handshake: ${why} (config maxConnections)`),
    );
    this.sockets.on("connection", (socket) => {
      if (this.sockets.clients.size > options.config.maxConnections) refuseConnection(socket, options.config);
      else new Connection(socket, this);
    });
  }

  /**
   * Takes the per-user lock, sweeps uploads a killed daemon left behind, listens on the socket (0600) and starts
   * loading the model in the background.
   */
  async start(): Promise<void> {
    const socket = this.options.paths.socket;
    this.lock = await InstanceLock.acquire(socket, this.options.paths.socketFolders);
    rmSync(this.uploadsDir, { recursive: true, force: true });
    mkdirSync(this.uploadsDir, { recursive: true, mode: 0o700 });
    this.history = new TranscriptHistory(this.options.paths.stateDir, this.options.config, this.log);
    // Created under a private umask: a socket bound under umask 000 would be open to everyone until the chmod.
    const umask = process.umask(0o077);
    try {
      await new Promise<void>((resolve, reject) => {
        this.server.once("error", reject);
        this.server.listen(socket, () => {
          this.server.off("error", reject);
          resolve();
        });
      });
    } finally {
      process.umask(umask);
    }
    chmodSync(socket, 0o600);
    this.rssWithoutModel = process.memoryUsage.rss();
    this.dictations.recover();
    this.meetings.recover();
    this.log.info("verbatimd listening", { socket, pid: process.pid, version: this.version });
    // A port in use does not stop the daemon: the status says why the API is not there.
    await this.api.apply(this.apiSettings).catch((error: Error) => this.log.warn(error.message));
    // On a first run the model waits for the first-run choice (or the first job), rather than downloading the default
    // the person may not want; a model a job asked for is loaded whatever the run.
    if (this.options.warmModel) this.host.warm(this.options.warmModel);
    else if (!this.firstRun) this.host.warm(); // a failure is remembered, and the status says it
  }

  status(): DaemonStatus {
    const usage = process.resourceUsage();
    const rssBytes = process.memoryUsage.rss();
    return {
      version: this.version,
      protocol: PROTOCOL_VERSION,
      pid: process.pid,
      uptimeSeconds: (Date.now() - this.startedAt) / 1000,
      model: this.host.describe(),
      speakerModel: this.speakerHost.describe(),
      memory: {
        rssBytes,
        peakRssBytes: usage.maxRSS * 1024,
        mlx: this.host.mlxMemory(),
        breakdown: memoryBreakdown(rssBytes),
      },
      queue: { running: this.queue.runningId, waiting: this.queue.waitingCount },
      capture: {
        command: CAPTURE_COMMAND,
        keepReadyMinutes: this.dictations.readyMicrophone.keepMinutes,
        ready: this.dictations.readyMicrophone.ready,
      },
      history: this.history?.status() ?? { enabled: false, notice: null },
      api: this.api.status(),
      idleUnload: this.idleUnloadStatus(rssBytes),
      config: {
        file: this.options.paths.configFile,
        problems: this.options.configProblems ?? [],
        firstRun: this.firstRun,
      },
      hub: { cacheDir: this.store.settings.cacheDir, offline: this.store.settings.offline },
    };
  }

  get shuttingDown(): boolean {
    return this.stopping !== null;
  }

  submitTranscription(
    request: Extract<Request, { type: "transcribe" }>,
    file: string,
    send: (event: Event) => void,
    observer?: JobObserver,
    owner?: object,
  ): { position: number; finished: Promise<void> } {
    const id = request.id;
    if (this.stopping) {
      send({ type: "error", id, ...describeFailure(shutdownStop()) });
      return { position: 0, finished: Promise.resolve() };
    }
    if (this.results.get(id)?.state === "running") {
      send({ type: "error", id, code: "bad_message", message: `a job with id "${id}" is already running` });
      return { position: 0, finished: Promise.resolve() };
    }
    this.results.set(id, { state: "running" });
    this.jobOwners.claim(id, owner);
    const onModelProgress: LoadProgressListener = (stage, progress) =>
      send({ ...modelProgressEvent(stage, progress), id });
    const readyTimeoutMs = this.options.config.readyTimeoutSeconds * 1000;
    const model = request.options?.model;
    const queued = this.queue.enqueue({
      id,
      priority: request.priority ?? "batch",
      // A job that asks for a model waits for it to load beside the queue, so that the jobs behind it keep running.
      prepare: model
        ? async (signal) => void (await this.host.ready(readyTimeoutMs, onModelProgress, signal, model))
        : undefined,
      run: async (signal) => {
        try {
          const transcript = await transcribe(
            this.fileJob(file, request.options ?? {}),
            this.host,
            {
              onText: (text, restart) =>
                send(restart ? { type: "token", id, text, restart } : { type: "token", id, text }),
              onSegment: (segment, decoded) => {
                observer?.onDecodedSegment?.(decoded);
                send({ type: "segment", id, segment });
              },
              onProgress: (stage, fraction) => send({ type: "progress", id, stage, fraction }),
              onModelProgress,
              onNotice: (message) => send({ type: "notice", id, message }),
            },
            signal,
          );
          this.results.set(id, { state: "done", transcript });
          const { source, options } = request;
          const unrecorded = this.history?.record({
            kind: "file",
            job: id,
            transcript,
            sourceFile: source.kind === "file" ? source.path : (source.name ?? null),
            app: options?.app ?? null,
            audioFile: source.kind === "upload" ? file : null,
          });
          if (unrecorded) send({ type: "notice", id, message: unrecorded });
          send({ type: "done", id, transcript });
        } catch (error) {
          const failure = describeFailure(error);
          observer?.onFailure?.(error);
          this.results.set(id, { state: "failed", ...failure });
          if (failure.code !== "cancelled" && failure.code !== "shutting_down") {
            this.log.warn("transcription failed", { job: id, file, code: failure.code, error: failure.message });
          }
          send({ type: "error", id, ...failure });
        }
      },
    });
    queued.finished.catch((error: unknown) => {
      // Cancelled while waiting, or its model failed to load: the job never ran, so report it here.
      const failure = describeFailure(error);
      observer?.onFailure?.(error);
      this.results.set(id, { state: "failed", ...failure });
      send({ type: "error", id, ...failure });
    });
    void queued.finished.catch(() => undefined).finally(() => this.jobOwners.release(id));
    send({ type: "progress", id, stage: "queued", fraction: null });
    return { position: queued.position, finished: queued.finished.catch(() => undefined) };
  }

  /**
   * A meeting track's (or live utterance's) transcript, through the queue like a file's (live: ahead of files), kept
   * out of the history (the meeting's is kept).
   */
  transcribeTrack(job: string, file: string, options: TranscriptionOptions, live = false): Promise<TranscriptData> {
    let transcript: TranscriptData | null = null;
    const ignore = () => undefined;
    const queued = this.queue.enqueue({
      id: job,
      priority: live ? "interactive" : "batch",
      run: async (signal) => {
        const events = {
          onText: ignore,
          onSegment: ignore,
          onProgress: ignore,
          onModelProgress: ignore,
          onNotice: ignore,
        };
        transcript = await transcribe(this.fileJob(file, options), this.host, events, signal);
      },
    });
    return queued.finished.then(() => transcript!);
  }

  /** What transcribing `file` needs beside the model: the daemon's settings and the user's vocabulary now. */
  private fileJob(file: string, options: TranscriptionOptions) {
    return {
      file,
      scratchDir: this.uploadsDir,
      options,
      readyTimeoutMs: this.options.config.readyTimeoutSeconds * 1000,
      vocabulary: this.vocabulary.current,
      fileVad: this.options.config.fileVad,
      decoding: decodingDefaults(this.options.config),
      speakerHost: this.speakerHost,
    };
  }

  cancelJob(job: string, reason = "canceled by the client"): boolean {
    return this.queue.cancel(job, new JobStopped("cancelled", `the job was ${reason}`));
  }

  /** A client's choice of the default model: loaded, then saved in config.json for the next start. */
  async switchModel(model: string, send: (event: UnaddressedEvent) => void): Promise<void> {
    this.firstRun = false;
    await this.host.switchTo(model, this.options.config.readyTimeoutSeconds * 1000, (stage, progress) =>
      send(modelProgressEvent(stage, progress)),
    );
    const notice = this.host.describe().notice;
    if (notice) send({ type: "notice", message: notice });
    try {
      await saveModelChoice(this.options.paths.configFile, model);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      send({
        type: "notice",
        message: `Jobs use ${model} until the daemon restarts, but it could not be saved as "model" in config.json: ${reason}`,
      });
    }
  }

  /** The downloaded speech models (the speaker model is not one a client may pick for a job). */
  async listModels(): Promise<CachedModelData[]> {
    const models = await this.store.listModels();
    return models
      .filter((model) => model.kind === "speech")
      .map((model) => ({
        repoId: model.repoId,
        folder: model.folder ?? "",
        sizeBytes: model.sizeBytes,
        complete: model.complete,
      }));
  }

  async pullModel(model: string, send: (event: UnaddressedEvent) => void): Promise<void> {
    const resolved = await this.store.resolveModel(model, {
      onProgress: (progress) => send(modelProgressEvent("download", progress)),
    });
    if (resolved.notice) send({ type: "notice", message: resolved.notice });
  }

  async removeModel(model: string): Promise<void> {
    await this.store.removeModel(model);
  }

  async setIdleUnload(minutes: number): Promise<IdleUnloadStatus> {
    this.host.setIdleUnloadMinutes(minutes);
    this.speakerHost.touch();
    await this.vocabulary.setMember("idleUnloadMinutes", minutes);
    return this.idleUnloadStatus(process.memoryUsage.rss());
  }

  async keepMicrophoneReady(minutes: number): Promise<number> {
    this.dictations.readyMicrophone.setMinutes(minutes);
    await this.vocabulary.setMember("keepMicrophoneReadyMinutes", minutes);
    return minutes;
  }

  private idleUnloadStatus(rssBytes: number): IdleUnloadStatus {
    const model = this.host.describe();
    const loaded = model.state === "ready" && model.loadSeconds !== null;
    return {
      minutes: this.host.idleUnloadMinutes,
      modelMemoryBytes: loaded && this.rssWithoutModel !== null ? Math.max(0, rssBytes - this.rssWithoutModel) : null,
      loadSeconds: loaded ? model.loadSeconds : null,
    };
  }

  async configureApi(request: Extract<Request, { type: "api.set" }>): Promise<ApiStatus> {
    const previous = this.apiSettings;
    const tlsPort = request.tlsPort ?? previous.tlsPort;
    const settings: ApiSettings = {
      enabled: request.enabled,
      port: request.port ?? previous.port,
      host: request.host ?? previous.host,
      tls: request.tls ?? previous.tls,
      ...(tlsPort !== undefined && { tlsPort }),
      allowOrigins: request.allowOrigins ?? previous.allowOrigins,
    };
    try {
      await this.api.apply(settings);
    } catch (error) {
      await this.api.apply(previous).catch(() => undefined); // keep serving as before
      throw new ProtocolError("busy", (error as Error).message, request.id);
    }
    this.apiSettings = settings;
    await this.vocabulary.setMember("api", settings);
    return this.api.status();
  }

  /**
   * Stops taking connections at once (requests on open ones are answered shutting_down), cancels waiting and
   * running jobs and waits for them at most SHUTDOWN_GRACE_MS, closes every connection, removes the socket and the
   * pid file. Idempotent.
   */
  shutdown(reason: string): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info("verbatimd stopping", { reason });
      const listenerClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.dictations.shutdown();
      this.meetings.shutdown();
      await this.api.close();
      this.queue.cancelAll(shutdownStop());
      if (!(await withinMs(this.queue.drained(), SHUTDOWN_GRACE_MS))) {
        this.log.warn("jobs did not stop in time; stopping without them", { job: this.queue.runningId });
      }
      for (const client of this.sockets.clients) client.close(1001, "verbatimd is shutting down");
      if (!(await withinMs(listenerClosed, CLIENT_CLOSE_GRACE_MS))) {
        for (const client of this.sockets.clients) client.terminate();
      }
      await new Promise<void>((resolve) => this.sockets.close(() => resolve()));
      this.host.close();
      this.speakerHost.close();
      this.history?.close();
      this.lock?.release();
      this.log.info("verbatimd stopped");
    })();
    return this.stopping;
  }

  /** For a second stop signal: removes the socket and the pid file now, without waiting for anything. */
  abandon(reason: string): void {
    this.log.warn("verbatimd stopping at once", { reason });
    this.lock?.release();
  }
}

/** Over maxConnections: says why in an error event and in the close frame's reason, then closes. */
function refuseConnection(socket: WebSocket, config: DaemonConfig): void {
  const message =
    `verbatimd already has ${config.maxConnections} client connections, the most it takes (config maxConnections); ` +
    "close clients you no longer use (or raise maxConnections in config.json) and try again";
  socket.send(JSON.stringify({ type: "error", id: null, code: "busy", message } satisfies Event));
  socket.close(1013, `too many connections (config maxConnections: ${config.maxConnections})`);
}

function shutdownStop(): JobStopped {
  return new JobStopped("shutting_down", "verbatimd is shutting down; run the job again once it is back");
}

/** Whether the promise settled within ms. */
async function withinMs(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
