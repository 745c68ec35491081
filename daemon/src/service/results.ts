// Recent jobs and their outcomes, so a client that went away (Raycast closes an extension with its window) can
// come back for the transcript.
import type { ErrorCode, TranscriptData } from "../protocol";

export type JobOutcome =
  | { state: "running" }
  | { state: "done"; transcript: TranscriptData }
  | { state: "failed"; code: ErrorCode; message: string };

export class RecentResults {
  private readonly outcomes = new Map<string, JobOutcome>();

  constructor(private readonly keep: number) {}

  /** Records a job's outcome; past `keep`, the oldest finished ones are forgotten (running jobs never are). */
  set(job: string, outcome: JobOutcome): void {
    this.outcomes.delete(job);
    this.outcomes.set(job, outcome);
    let excess = this.outcomes.size - Math.max(this.keep, 1);
    for (const [id, recorded] of this.outcomes) {
      if (excess <= 0) break;
      if (recorded.state === "running") continue;
      this.outcomes.delete(id);
      excess--;
    }
  }

  get(job: string): JobOutcome | undefined {
    return this.outcomes.get(job);
  }
}
