// Model download and load progress, as a protocol progress event and as the status reports it.
import type { DownloadProgress } from "../models";
import type { ModelLoadProgress } from "../protocol";
import type { UnaddressedEvent } from "./job-events";

const megabytes = (bytes: number) => (bytes / 1e6).toFixed(1);

export function modelLoadProgress(stage: "download" | "loading", progress: DownloadProgress | null): ModelLoadProgress {
  if (!progress) return { stage, fraction: null };
  return {
    stage,
    fraction: progress.totalBytes ? progress.downloadedBytes / progress.totalBytes : null,
    detail: `${progress.file}: ${megabytes(progress.downloadedBytes)} of ${megabytes(progress.totalBytes)} MB at ${megabytes(progress.bytesPerSecond)} MB/s`,
  };
}

export function modelProgressEvent(stage: "download" | "loading", progress: DownloadProgress | null): UnaddressedEvent {
  return { type: "progress", ...modelLoadProgress(stage, progress) };
}
