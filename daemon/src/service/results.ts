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

  set(job: string, outcome: JobOutcome): void {
    this.outcomes.delete(job);
    this.outcomes.set(job, outcome);
    while (this.outcomes.size > Math.max(this.keep, 1)) {
      const oldest = this.outcomes.keys().next().value as string;
      this.outcomes.delete(oldest);
    }
  }

  get(job: string): JobOutcome | undefined {
    return this.outcomes.get(job);
  }
}
