// One engine, one job at a time: interactive work (live dictation) goes before batch work (files), first come
// first served within a priority. A job that must first wait for something (the model it asked for, while it loads)
// waits beside the queue: the jobs behind it run meanwhile. Waiting jobs can be cancelled; a running job is
// cancelled through its signal. Once the last job ends with none waiting, the queue says it has drained.
import type { Priority } from "../protocol";

export interface QueuedJob {
  id: string;
  priority: Priority;
  /** Runs the job; it must stop soon after `signal` aborts. */
  run(signal: AbortSignal): Promise<void>;
  /**
   * What the job waits for before it may run, started at once; until it resolves, the jobs behind this one run
   * first. Its failure ends the job without running it (`finished` rejects with it).
   */
  prepare?(signal: AbortSignal): Promise<void>;
}

interface Entry {
  job: QueuedJob;
  controller: AbortController;
  settle: { resolve: () => void; reject: (error: unknown) => void };
  /** Whether its `prepare` (if any) has resolved. */
  prepared: boolean;
}

export class JobQueue {
  private readonly waiting: Entry[] = [];
  private running: Entry | null = null;

  /** `onDrained` runs whenever a job ends and no other runs or waits. */
  constructor(private readonly onDrained: () => void = () => undefined) {}

  /** Queues a job; resolves or rejects when it has run. Returns its place in the queue (0: runs now). */
  enqueue(job: QueuedJob): { position: number; finished: Promise<void> } {
    let settle!: Entry["settle"];
    const finished = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    const entry: Entry = { job, controller: new AbortController(), settle, prepared: !job.prepare };
    const firstBatch = this.waiting.findIndex((e) => e.job.priority === "batch");
    const at = job.priority === "interactive" && firstBatch >= 0 ? firstBatch : this.waiting.length;
    this.waiting.splice(at, 0, entry);
    const position = this.running ? at + 1 : at;
    if (job.prepare) this.prepare(entry, job.prepare);
    this.pump();
    return { position, finished };
  }

  private prepare(entry: Entry, prepare: (signal: AbortSignal) => Promise<void>): void {
    prepare(entry.controller.signal).then(
      () => {
        entry.prepared = true;
        this.pump();
      },
      (error: unknown) => {
        const index = this.waiting.indexOf(entry);
        if (index < 0) return; // cancelled meanwhile: already settled
        this.waiting.splice(index, 1);
        entry.settle.reject(error);
      },
    );
  }

  /** Cancels a waiting or running job. Returns false when no such job is queued. */
  cancel(id: string, reason: Error): boolean {
    if (this.running?.job.id === id) {
      this.running.controller.abort(reason);
      return true;
    }
    const index = this.waiting.findIndex((entry) => entry.job.id === id);
    if (index < 0) return false;
    const [entry] = this.waiting.splice(index, 1);
    entry.controller.abort(reason);
    entry.settle.reject(reason);
    return true;
  }

  /** Cancels everything: waiting jobs never start, the running one is aborted. */
  cancelAll(reason: Error): void {
    for (const entry of this.waiting.splice(0)) {
      entry.controller.abort(reason);
      entry.settle.reject(reason);
    }
    this.running?.controller.abort(reason);
  }

  get runningId(): string | null {
    return this.running?.job.id ?? null;
  }

  get waitingCount(): number {
    return this.waiting.length;
  }

  /** Resolves once nothing runs or waits. */
  async drained(): Promise<void> {
    while (this.running || this.waiting.length) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private pump(): void {
    if (this.running) return;
    const index = this.waiting.findIndex((waiting) => waiting.prepared);
    if (index < 0) return;
    const [entry] = this.waiting.splice(index, 1);
    this.running = entry;
    entry.job
      .run(entry.controller.signal)
      .then(entry.settle.resolve, entry.settle.reject)
      .finally(() => {
        this.running = null;
        this.pump();
        if (!this.running && this.waiting.length === 0) this.onDrained();
      });
  }
}
