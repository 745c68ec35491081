// What a client connection can ask of the daemon.
import type { Segment } from "@verbatim/native";
import type { DictationManager } from "../dictation/manager";
import type { ApiStatus, CachedModelData, DaemonStatus, Event, Request } from "../protocol";
import type { Logger } from "./logger";
import type { RecentResults } from "./results";
import type { VocabularyStore } from "../vocabulary/vocabulary-store";
import type { ModesStore } from "../modes/modes-store";
import type { TranscriptHistory } from "../history/transcript-history";
import type { JobOwners } from "./job-owners";
import type { UploadBudget } from "./upload-budget";

/** An event not yet addressed to a request (the connection adds the id). */
export type UnaddressedEvent =
  Extract<Event, { type: "progress" | "notice" }> extends infer E
    ? E extends { id: string }
      ? Omit<E, "id">
      : never
    : never;

/** In-process watchers of a job besides its events (the HTTP API's): the engine's segments, and why it failed. */
export interface JobObserver {
  /** The engine's segment behind each `segment` event (tokens, temperature, log-probability, no-speech figures). */
  onDecodedSegment?(decoded: Segment): void;
  /** The error behind the job's `error` event. */
  onFailure?(error: unknown): void;
}

export interface DaemonContext {
  readonly version: string;
  readonly log: Logger;
  readonly results: RecentResults;
  readonly dictations: DictationManager;
  /** The transcript history (null until the daemon has started). */
  readonly history: TranscriptHistory | null;
  /** The user's vocabulary, read from and edited in config.json. */
  readonly vocabulary: VocabularyStore;
  /** The modes, read from and edited in config.json. */
  readonly modes: ModesStore;
  /** Where uploads are stored while their job runs (emptied when the daemon starts). */
  readonly uploadsDir: string;
  /** Room for uploads being received, shared by every connection. */
  readonly uploadBudget: UploadBudget;
  /** Which connection may cancel each job. */
  readonly jobOwners: JobOwners;
  /** A connection with nothing in progress is closed after this long without a message. */
  readonly idleConnectionMs: number;
  /** True from the moment a shutdown begins: requests that would start work are answered shutting_down. */
  readonly shuttingDown: boolean;
  status(): DaemonStatus;
  submitTranscription(
    request: Extract<Request, { type: "transcribe" }>,
    file: string,
    send: (event: Event) => void,
    observer?: JobObserver,
    /** The client connection that started the job, the only one that may cancel it (none: only the daemon may). */
    owner?: object,
  ): { position: number; finished: Promise<void> };
  cancelJob(job: string, reason?: string): boolean;
  switchModel(model: string, send: (event: UnaddressedEvent) => void): Promise<void>;
  listModels(): Promise<CachedModelData[]>;
  pullModel(model: string, send: (event: UnaddressedEvent) => void): Promise<void>;
  removeModel(model: string): Promise<void>;
  /** Turns the HTTP API on or off (api.set), keeping what the request leaves out, and saves it in config.json. */
  configureApi(request: Extract<Request, { type: "api.set" }>): Promise<ApiStatus>;
  shutdown(reason: string): Promise<void>;
}
