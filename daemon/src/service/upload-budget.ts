// The uploads being received at once, across every client: at most so many, and at most so many bytes. An upload that
// announces its length takes that room at once; one that does not (a chunked HTTP body) takes room for the bytes it
// has sent so far, as they arrive. Each is stored on disk as it arrives (upload-file.ts), so the cap bounds the disk
// they can fill, not memory. The budget says why it refuses; each client's door adds what its client can do about it.

export interface UploadLimits {
  maxUploads: number;
  maxBytes: number;
}

export interface UploadReservation {
  /**
   * Takes room for `bytes` in all (the bytes received so far of an upload without an announced length), or says why
   * there is none; the room already taken stays taken until release.
   */
  grow(bytes: number): string | null;
  /** Gives the upload's room back (its bytes are all in, or it was abandoned). Idempotent. */
  release(): void;
}

const MIB = 1024 * 1024;

export class UploadBudget {
  private uploads = 0;
  private bytes = 0;

  constructor(private readonly limits: UploadLimits) {}

  /** Room for an upload of `bytes` (0 when it does not say), or why there is none. */
  reserve(bytes: number): UploadReservation | string {
    if (this.uploads >= this.limits.maxUploads) {
      return `verbatimd is already receiving ${this.uploads} uploads, the most it takes at once (config maxUnfinishedUploads)`;
    }
    const refusal = this.refusal(bytes);
    if (refusal) return refusal;
    this.uploads++;
    this.bytes += bytes;
    let taken = bytes;
    let released = false;
    return {
      grow: (total) => {
        if (released || total <= taken) return null;
        const more = this.refusal(total - taken, total);
        if (more) return more;
        this.bytes += total - taken;
        taken = total;
        return null;
      },
      release: () => {
        if (released) return;
        released = true;
        this.uploads--;
        this.bytes -= taken;
      },
    };
  }

  /** Why `more` bytes (making an upload `total` bytes) do not fit, or null. */
  private refusal(more: number, total = more): string | null {
    if (this.bytes + more <= this.limits.maxBytes) return null;
    return (
      `this upload (${mebibytes(total)}) and the others being received (${mebibytes(this.bytes + more - total)}) ` +
      `would pass the ${mebibytes(this.limits.maxBytes)} verbatimd takes at once (config maxUnfinishedUploadMB)`
    );
  }
}

function mebibytes(bytes: number): string {
  if (bytes < MIB) return `${Math.ceil(bytes / 1024)} KiB`;
  return `${(bytes / MIB).toFixed(bytes % MIB === 0 ? 0 : 1)} MiB`;
}
