/**
 * Downloads one file into its cache blob: appended to `<blob>.incomplete` (resuming from whatever an earlier,
 * interrupted download left there), checked against the listed size and hash, and only then renamed into place,
 * so a loader never sees a partial or damaged file.
 */
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { downloadFile } from "@huggingface/hub";
import { describeCause, diskProblem, ModelStoreError } from "./errors";
import { fileSize, partialPath } from "./cache-layout";
import type { HubAccess, RemoteFile } from "./hub-repo";
import { type ProgressListener, ProgressReporter } from "./progress";

export interface BlobDownloadOptions extends HubAccess {
  signal?: AbortSignal;
  onProgress?: ProgressListener;
}

export async function downloadBlob(file: RemoteFile, blob: string, options: BlobDownloadOptions): Promise<void> {
  const partial = partialPath(blob);
  await mkdir(dirname(blob), { recursive: true });
  const resumeFrom = await usablePartialSize(partial, file.size);
  const received = await appendRemainder(file, partial, resumeFrom, options);

  const problem = contentProblem(file, received);
  if (problem) {
    await rm(partial, { force: true });
    // The part kept from before may be what is damaged: try once more from the first byte.
    if (resumeFrom > 0) return downloadBlob(file, blob, options);
    throw new ModelStoreError(
      "integrity",
      `The download of ${file.path} from ${file.repoId} is damaged (${problem}) and was discarded. ` +
        `Try again; if it keeps happening, the hub or a proxy is serving a different file than it lists.`,
    );
  }
  await rename(partial, blob);
}

async function usablePartialSize(partial: string, expectedSize: number): Promise<number> {
  const size = (await fileSize(partial)) ?? 0;
  if (size <= expectedSize) return size;
  await rm(partial, { force: true });
  return 0;
}

interface ReceivedContent {
  size: number;
  digest: string;
}

async function appendRemainder(
  file: RemoteFile,
  partial: string,
  resumeFrom: number,
  options: BlobDownloadOptions,
): Promise<ReceivedContent> {
  const hash = contentHash(file);
  if (resumeFrom > 0) await hashFilePrefix(partial, resumeFrom, hash);
  const progress = new ProgressReporter(file, options.onProgress);
  progress.start(resumeFrom);

  let size = resumeFrom;
  if (resumeFrom < file.size) {
    const output = await open(partial, "a");
    try {
      for await (const chunk of await remainderStream(file, resumeFrom, options)) {
        await output.write(chunk);
        hash.update(chunk);
        size += chunk.length;
        progress.update(size);
        if (size > file.size) break;
      }
    } catch (error) {
      throw diskProblem(error, dirname(partial)) ?? interruption(file, size, error, options.signal);
    } finally {
      await output.close();
    }
  }
  progress.finish(size);
  return { size, digest: hash.digest("hex") };
}

async function remainderStream(
  file: RemoteFile,
  resumeFrom: number,
  options: BlobDownloadOptions,
): Promise<AsyncIterable<Uint8Array>> {
  const remote = await downloadFile({
    repo: { type: "model", name: file.repoId },
    path: file.path,
    revision: file.commit,
    hubUrl: options.hubUrl,
    fetch: options.fetch,
    // Plain HTTP from the resolve URL, so an interrupted transfer can continue with a Range request.
    xet: false,
  });
  if (!remote) {
    throw new ModelStoreError("not-on-hub", `${file.path} is no longer in ${file.repoId} on the hub. Try again.`);
  }
  // A slice of the hub's blob is fetched with `Range: bytes=<resumeFrom>-`.
  return remote.slice(resumeFrom).stream();
}

function interruption(file: RemoteFile, size: number, error: unknown, signal: AbortSignal | undefined): Error {
  if (error instanceof ModelStoreError) return error;
  if (signal?.aborted) {
    return new ModelStoreError("cancelled", `The download of ${file.repoId} was canceled.`, { cause: error });
  }
  return new ModelStoreError(
    "network",
    `The download of ${file.path} from ${file.repoId} broke off after ${size} of ${file.size} bytes ` +
      `(${describeCause(error)}). Run it again to continue where it stopped.`,
    { cause: error },
  );
}

/**
 * Whether a blob in the cache holds the listed file: its size, and with `checkHash` its sha256 (LFS files) or git
 * blob id (the others), which reads the whole file.
 */
export async function blobMatches(file: RemoteFile, blob: string, checkHash: boolean): Promise<boolean> {
  const size = await fileSize(blob);
  if (size !== file.size) return false;
  if (!checkHash) return true;
  const hash = contentHash(file);
  if (size > 0) await hashFilePrefix(blob, size, hash);
  return hash.digest("hex") === file.etag;
}

/** LFS files are named by their sha256; other files by their git blob id, sha1 over a `blob <size>\0` header. */
function contentHash(file: RemoteFile): Hash {
  if (file.lfs) return createHash("sha256");
  return createHash("sha1").update(`blob ${file.size}\0`);
}

async function hashFilePrefix(path: string, length: number, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(path, { start: 0, end: length - 1 })) hash.update(chunk as Buffer);
}

function contentProblem(file: RemoteFile, received: ReceivedContent): string | undefined {
  if (received.size !== file.size) return `${received.size} bytes instead of ${file.size}`;
  if (received.digest !== file.etag) {
    return `${file.lfs ? "sha256" : "git hash"} ${received.digest} instead of ${file.etag}`;
  }
  return undefined;
}
