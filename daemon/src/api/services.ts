// What the HTTP API uses of the daemon: the same job queue, dictations, uploads folder and limits as the socket (the
// daemon's context has all of it; the API names only what it uses, so it does not depend on the daemon above it).
import type { DictationManager } from "../dictation/manager";
import type { CachedModelData, DaemonStatus } from "../protocol";
import type { SubmitTranscription } from "../service/job-events";
import type { Logger } from "../service/logger";
import type { UploadBudget } from "../service/upload-budget";

export interface ApiServices {
  readonly log: Logger;
  readonly uploadsDir: string;
  readonly uploadBudget: UploadBudget;
  readonly idleConnectionMs: number;
  readonly dictations: DictationManager;
  readonly shuttingDown: boolean;
  status(): DaemonStatus;
  submitTranscription: SubmitTranscription;
  cancelJob(job: string, reason?: string): boolean;
  listModels(): Promise<CachedModelData[]>;
  /** The largest upload the API takes (the protocol's limit, or config maxUnfinishedUploadMB if lower). */
  readonly maxUploadBytes: number;
}

/**
 * The client's name for the history: the first product of its User-Agent ("OpenAI/JS", "python-requests") and
 * which of the daemon's doors it came through.
 */
export function clientName(userAgent: string | undefined, door: string): string {
  const product = /^[\w.\-/]{1,60}/.exec(userAgent?.trim() ?? "")?.[0];
  return `${product ?? "unnamed client"} (${door})`;
}
