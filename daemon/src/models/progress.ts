export interface DownloadProgress {
  repoId: string;
  /** The file's path in the repository. */
  file: string;
  /** Bytes on disk so far, including those kept from an earlier, interrupted download. */
  downloadedBytes: number;
  totalBytes: number;
  /** Recent transfer speed (over the last few seconds). */
  bytesPerSecond: number;
}

export type ProgressListener = (progress: DownloadProgress) => void;

const REPORT_INTERVAL_MS = 250;
const SPEED_WINDOW_MS = 3000;

/** Turns a stream of byte counts into throttled progress events: one at the start, at most 4 a second, one at the end. */
export class ProgressReporter {
  private samples: { time: number; bytes: number }[] = [];
  private lastReport = -Infinity;

  constructor(
    private readonly file: { repoId: string; path: string; size: number },
    private readonly listener: ProgressListener | undefined,
    private readonly now: () => number = () => performance.now(),
  ) {}

  start(downloadedBytes: number): void {
    this.samples = [{ time: this.now(), bytes: downloadedBytes }];
    this.report(downloadedBytes, 0);
  }

  update(downloadedBytes: number): void {
    const time = this.now();
    this.samples.push({ time, bytes: downloadedBytes });
    while (this.samples.length > 2 && time - this.samples[1].time >= SPEED_WINDOW_MS) this.samples.shift();
    if (time - this.lastReport >= REPORT_INTERVAL_MS) this.report(downloadedBytes, this.speed());
  }

  finish(downloadedBytes: number): void {
    this.report(downloadedBytes, this.speed());
  }

  private speed(): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    const seconds = (last.time - first.time) / 1000;
    return seconds > 0 ? Math.round((last.bytes - first.bytes) / seconds) : 0;
  }

  private report(downloadedBytes: number, bytesPerSecond: number): void {
    this.lastReport = this.now();
    this.listener?.({
      repoId: this.file.repoId,
      file: this.file.path,
      downloadedBytes,
      totalBytes: this.file.size,
      bytesPerSecond,
    });
  }
}
