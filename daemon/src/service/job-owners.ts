// Who may cancel a job by its id: the client connection that started it. A detached job outlives its connection;
// once that connection has closed, any client may cancel it (nothing else could). Jobs the daemon started for
// others (the HTTP API's, a dictation's retry) are cancelled only by the daemon itself.

/** The owner of jobs no client connection started. */
const NOT_A_CLIENT = Object.freeze({});

export class JobOwners {
  /** Each running or waiting job's owner; null once its connection has closed (anyone's to cancel). */
  private readonly owners = new Map<string, object | null>();

  /** Records the job's owner: a connection, or none for a job the daemon started for others. */
  claim(job: string, owner: object = NOT_A_CLIENT): void {
    this.owners.set(job, owner);
  }

  /** The job has ended. */
  release(job: string): void {
    this.owners.delete(job);
  }

  /** The connection has closed: its jobs that go on (detached ones) are anyone's to cancel now. */
  disown(owner: object): void {
    for (const [job, current] of this.owners) if (current === owner) this.owners.set(job, null);
  }

  /** Why `client` may not cancel the job, or null when it may (or when no such job runs: the caller says so). */
  cancelRefusal(job: string, client: object): string | null {
    const owner = this.owners.get(job);
    if (owner === undefined || owner === null || owner === client) return null;
    return (
      `the job "${job}" was not started on this connection, and only the client that started a job can cancel ` +
      "it; cancel it from that client (or stop it there by closing its connection, unless it is detached)"
    );
  }
}
