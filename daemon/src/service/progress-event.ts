// Model download and load progress as a protocol progress event.
import type { DownloadProgress } from "../models";
import type { UnaddressedEvent } from "./daemon-context";

const megabytes = (bytes: number) => (bytes / 1e6).toFixed(1);

export function modelProgressEvent(stage: "download" | "loading", progress: DownloadProgress | null): UnaddressedEvent {
  if (!progress) return { type: "progress", stage, fraction: null };
  return {
    type: "progress",
    stage,
    fraction: progress.totalBytes ? progress.downloadedBytes / progress.totalBytes : null,
    detail: `${progress.file}: ${megabytes(progress.downloadedBytes)} of ${megabytes(progress.totalBytes)} MB at ${megabytes(progress.bytesPerSecond)} MB/s`,
  };
}
