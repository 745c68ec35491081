// The uploads being received at once, across every client: at most so many, and at most so many announced bytes.
// Each is stored on disk as it arrives (upload-file.ts), so the cap bounds the disk they can fill, not memory.

export interface UploadLimits {
  maxUploads: number;
  maxBytes: number;
}

export interface UploadReservation {
  /** Gives the upload's room back (its bytes are all in, or it was abandoned). Idempotent. */
  release(): void;
}

const MIB = 1024 * 1024;
const ADVICE =
  'pass the file by path (source {"kind": "file"}) instead of uploading it, or send it once others are done';

export class UploadBudget {
  private uploads = 0;
  private bytes = 0;

  constructor(private readonly limits: UploadLimits) {}

  /** Room for an upload of `bytes`, or why there is none (for a too_large error). */
  reserve(bytes: number): UploadReservation | string {
    if (this.uploads >= this.limits.maxUploads) {
      return `verbatimd is already receiving ${this.uploads} uploads, the most it takes at once (config maxUnfinishedUploads); ${ADVICE}`;
    }
    if (this.bytes + bytes > this.limits.maxBytes) {
      return (
        `this upload (${mebibytes(bytes)}) and those being received (${mebibytes(this.bytes)}) would pass the ` +
        `${mebibytes(this.limits.maxBytes)} verbatimd takes at once (config maxUnfinishedUploadMB); ${ADVICE}`
      );
    }
    this.uploads++;
    this.bytes += bytes;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.uploads--;
        this.bytes -= bytes;
      },
    };
  }
}

function mebibytes(bytes: number): string {
  return `${(bytes / MIB).toFixed(bytes % MIB === 0 ? 0 : 1)} MiB`;
}
