// The jobs the extension started, kept across launches: Raycast closes a command's window, the daemon keeps
// working, and reopening the command fetches the outcome by job id.

/** The subset of Raycast's LocalStorage the store needs (injected, so logic and tests stay free of @raycast/api). */
export interface KeyValueStorage {
  getItem(key: string): Promise<string | undefined>;
  setItem(key: string, value: string): Promise<void>;
}

export interface TrackedJob {
  id: string;
  file: string;
  startedAt: number;
  /** The finished text; absent while the job runs (or when its outcome was never fetched). */
  text?: string;
  /** Why the job failed, when it did. */
  error?: string;
}

const STORAGE_KEY = "jobs";
/** How many jobs are remembered; the daemon itself keeps the last 20 results by default. */
export const REMEMBERED_JOBS = 20;

export class JobStore {
  // Changes are read-modify-write of one key: run them one after another so none is lost.
  private pending: Promise<unknown> = Promise.resolve();

  constructor(private readonly storage: KeyValueStorage) {}

  /** Newest first. */
  async list(): Promise<TrackedJob[]> {
    const raw = await this.storage.getItem(STORAGE_KEY);
    if (!raw) return [];
    try {
      const jobs: unknown = JSON.parse(raw);
      return Array.isArray(jobs) ? (jobs as TrackedJob[]) : [];
    } catch {
      return [];
    }
  }

  /** Jobs whose outcome has not been fetched yet. */
  async unfinished(): Promise<TrackedJob[]> {
    return (await this.list()).filter((job) => job.text === undefined && job.error === undefined);
  }

  add(job: TrackedJob): Promise<void> {
    return this.change((jobs) => [job, ...jobs.filter((known) => known.id !== job.id)]);
  }

  update(id: string, change: Partial<Omit<TrackedJob, "id">>): Promise<void> {
    return this.change((jobs) => jobs.map((job) => (job.id === id ? { ...job, ...change } : job)));
  }

  forget(id: string): Promise<void> {
    return this.change((jobs) => jobs.filter((job) => job.id !== id));
  }

  private change(edit: (jobs: TrackedJob[]) => TrackedJob[]): Promise<void> {
    const next = this.pending.then(async () => {
      const jobs = edit(await this.list()).slice(0, REMEMBERED_JOBS);
      await this.storage.setItem(STORAGE_KEY, JSON.stringify(jobs));
    });
    this.pending = next.catch(() => undefined);
    return next;
  }
}
