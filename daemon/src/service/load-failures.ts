// Loads that failed, remembered per model: a job that asks for one fails at once with the reason instead of loading
// it again (one attempt, one log line), until the model's files change (a download by Verbatim or another tool, a
// repaired folder) or a client switches to it (`verbatim models use`, Raycast's Try Again); a restart forgets them.

interface Failure {
  reason: string;
  /** The model's files as they were when it failed. */
  stamp: Promise<string>;
}

export class LoadFailures {
  private readonly failures = new Map<string, Failure>();

  /** `stampOf`: what the files behind a model name look like now (ModelStore.filesStamp). */
  constructor(private readonly stampOf: (model: string) => Promise<string>) {}

  remember(model: string, reason: string): void {
    const stamp = this.stampOf(model).catch((error: unknown) => `unreadable: ${String(error)}`);
    this.failures.set(model, { reason, stamp });
  }

  forget(model: string): void {
    this.failures.delete(model);
  }

  /** Why `model` failed to load, as remembered (its files are not looked at), or null. */
  reasonOf(model: string): string | null {
    return this.failures.get(model)?.reason ?? null;
  }

  /**
   * Why `model` failed to load, while its files are as they were then; null when no failure is remembered, or when
   * they have changed since (the failure is forgotten then: the next load is a new attempt).
   */
  async standing(model: string): Promise<string | null> {
    const failure = this.failures.get(model);
    if (!failure) return null;
    const now = await this.stampOf(model).catch((error: unknown) => `unreadable: ${String(error)}`);
    if (now === (await failure.stamp)) return failure.reason;
    if (this.failures.get(model) === failure) this.failures.delete(model);
    return null;
  }
}
