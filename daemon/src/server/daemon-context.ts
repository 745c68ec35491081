// What a client connection can ask of the daemon.
import type { DictationManager } from "../dictation/manager";
import type { MeetingManager } from "../meetings/meeting-manager";
import type { SubmitTranscription, UnaddressedEvent } from "../service/job-events";
import type { ApiStatus, CachedModelData, DaemonStatus, IdleUnloadStatus, Request } from "../protocol";
import type { Logger } from "../service/logger";
import type { RecentResults } from "../service/results";
import type { VocabularyStore } from "../vocabulary/vocabulary-store";
import type { ModesStore } from "../modes/modes-store";
import type { TranscriptHistory } from "../history/transcript-history";
import type { JobOwners } from "../service/job-owners";
import type { UploadBudget } from "../service/upload-budget";

export interface DaemonContext {
  readonly version: string;
  readonly log: Logger;
  readonly results: RecentResults;
  readonly dictations: DictationManager;
  readonly meetings: MeetingManager;
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
  submitTranscription: SubmitTranscription;
  cancelJob(job: string, reason?: string): boolean;
  switchModel(model: string, send: (event: UnaddressedEvent) => void): Promise<void>;
  listModels(): Promise<CachedModelData[]>;
  pullModel(model: string, send: (event: UnaddressedEvent) => void): Promise<void>;
  removeModel(model: string): Promise<void>;
  /** Turns the HTTP API on or off (api.set), keeping what the request leaves out, and saves it in config.json. */
  configureApi(request: Extract<Request, { type: "api.set" }>): Promise<ApiStatus>;
  /** Sets the idle unload (idleUnload.set) at once and saves it in config.json. */
  setIdleUnload(minutes: number): Promise<IdleUnloadStatus>;
  /** Sets keepMicrophoneReadyMinutes (dictation.keepReady) at once and saves it in config.json; returns it. */
  keepMicrophoneReady(minutes: number): Promise<number>;
  shutdown(reason: string): Promise<void>;
}
