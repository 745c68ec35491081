// One upload written to its own file in the uploads folder as its frames arrive, in order, never gathered in memory.
// `unwrittenBytes` is what the disk has not taken yet, so the connection can stop reading while it catches up.
import { mkdtemp, open, rm, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { storedUploadName } from "./upload-name";

/** The longest an upload, on the socket or over HTTP, may go without a byte before it is abandoned. */
export const MAX_UPLOAD_STALL_MS = 60_000;

/** How long an upload may stall here: config idleConnectionSeconds when shorter than the most. */
export function uploadStallMs(idleConnectionMs: number): number {
  return Math.min(idleConnectionMs, MAX_UPLOAD_STALL_MS);
}

export class UploadFile {
  readonly path: Promise<string>;
  private unwritten = 0;
  private failure: Error | null = null;
  private handle: FileHandle | null = null;
  private folder: string | null = null;
  /** Every write so far, in order; never rejects (a failure is kept in `failure`). */
  private writes: Promise<void>;

  /** Creates the file (mode 0600, in a folder of its own) in the background; frames may be appended at once. */
  constructor(
    uploadsDir: string,
    name: string | undefined,
    private readonly onWritten: () => void,
  ) {
    this.path = (async () => {
      this.folder = await mkdtemp(path.join(uploadsDir, "upload-"));
      const file = path.join(this.folder, storedUploadName(name));
      this.handle = await open(file, "wx", 0o600);
      return file;
    })();
    this.writes = this.path.then(
      () => undefined,
      (error: unknown) => this.fail(error),
    );
  }

  get unwrittenBytes(): number {
    return this.unwritten;
  }

  /** Queues `bytes` after the bytes before them. The buffer must not change until written. */
  append(bytes: Uint8Array): void {
    this.unwritten += bytes.length;
    this.writes = this.writes.then(async () => {
      try {
        if (!this.failure) await this.handle!.writeFile(bytes);
      } catch (error) {
        this.fail(error);
      } finally {
        this.unwritten -= bytes.length;
        this.onWritten();
      }
    });
  }

  /** Waits for every byte to be on disk and closes the file; throws why the upload could not be stored. */
  async finish(): Promise<string> {
    await this.writes;
    await this.handle?.close();
    this.handle = null;
    if (this.failure) {
      await this.discard();
      throw this.failure;
    }
    return this.path;
  }

  /** Removes the upload's file and folder (after the writes queued so far). */
  async discard(): Promise<void> {
    await this.writes;
    await this.handle?.close().catch(() => undefined);
    this.handle = null;
    if (this.folder) await rm(this.folder, { recursive: true, force: true });
  }

  private fail(error: unknown): void {
    this.failure ??= error instanceof Error ? error : new Error(String(error));
  }
}
