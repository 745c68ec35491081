// What the HTTP API uses of the daemon: the same job queue, dictations, uploads folder and limits as the socket.
import type { DaemonContext } from "../server/daemon-context";

export type ApiServices = Pick<
  DaemonContext,
  | "log"
  | "uploadsDir"
  | "uploadBudget"
  | "idleConnectionMs"
  | "dictations"
  | "shuttingDown"
  | "status"
  | "submitTranscription"
  | "cancelJob"
  | "listModels"
> & {
  /** The largest upload the API takes (the protocol's limit, or config maxUnfinishedUploadMB if lower). */
  readonly maxUploadBytes: number;
};

/**
 * The client's name for the history: the first product of its User-Agent ("OpenAI/JS", "python-requests") and
 * which of the daemon's doors it came through.
 */
export function clientName(userAgent: string | undefined, door: string): string {
  const product = /^[\w.\-/]{1,60}/.exec(userAgent?.trim() ?? "")?.[0];
  return `${product ?? "unnamed client"} (${door})`;
}
