// A multipart/form-data request body as the `openai` clients send it: text fields, and the audio in `file`, written
// straight to its own 0600 file in the daemon's uploads folder as it arrives (never gathered in memory).
import type { IncomingMessage } from "node:http";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import busboy from "busboy";
import { SNIFF_BYTES } from "../audio/container-sniffer";
import { diskError } from "../service/disk-error";
import { MAX_UPLOAD_STALL_MS } from "../service/upload-file";
import { ApiError } from "./errors";

export interface UploadedFile {
  path: string;
  /** The name the client gave the file (kept in the history). */
  name: string;
  bytes: number;
  /** Its first bytes, to tell an audio container from anything else. */
  head: Buffer;
}

export interface UploadedForm {
  fields: Map<string, string[]>;
  file: UploadedFile | null;
  /** Removes the uploaded file. */
  discard(): Promise<void>;
}

const LIMITS = { fieldNameSize: 200, fieldSize: 256 * 1024, fields: 64, files: 1, parts: 80 };

export interface FormOptions {
  uploadsDir: string;
  /** The most the file may hold. */
  maxFileBytes: number;
  /** The refusal of `what` (the file, the upload) for holding more than that. */
  tooLarge(what: string): ApiError;
  /** The longest the client may send nothing (or the disk take nothing) before the upload is abandoned. */
  stallMs: number;
  /** Told the bytes of the request received so far; an error it returns ends the reading. */
  received(bytes: number): ApiError | null;
}

/**
 * Reads the form. Throws ApiError (400, 408 for a stall, 413, 507 for a full disk) and then leaves nothing behind. A
 * stall or an oversize body ends the reading at once; any other refusal reads the rest of the body and drops it.
 */
export async function receiveForm(request: IncomingMessage, options: FormOptions): Promise<UploadedForm> {
  let parser: busboy.Busboy;
  try {
    // A file name is UTF-8 as RFC 7578 says clients send it (busboy's default reads Latin-1), or RFC 5987's filename*.
    parser = busboy({
      headers: request.headers,
      defParamCharset: "utf8",
      limits: { ...LIMITS, fileSize: options.maxFileBytes },
    });
  } catch {
    throw new ApiError(400, "the request must be multipart/form-data, with the audio in the `file` field");
  }
  const folder = await makeFolder(options.uploadsDir);
  const discard = () => rm(folder, { recursive: true, force: true });
  const fields = new Map<string, string[]>();
  let file: UploadedFile | null = null;
  let received = 0;
  /** The file's writing: null once all of it is on disk, else why not. */
  let writing: Promise<unknown> = Promise.resolve(null);
  let refusal: ApiError | null = null;
  let bodyRead = false;
  const refuse = (error: ApiError) => (refusal ??= error);
  const abort = (error: ApiError) => {
    refuse(error);
    parser.destroy(error);
  };
  const stall = setTimeout(() => abort(stallError(options.stallMs, received)), options.stallMs);

  parser.on("field", (name, value, info) => {
    if (info.valueTruncated) refuse(new ApiError(400, `the field "${name}" is too long`, null, name));
    fields.set(name, [...(fields.get(name) ?? []), value]);
  });
  parser.on("file", (name, stream, info) => {
    if (name !== "file") {
      refuse(new ApiError(400, `unexpected file field "${name}": send the audio as \`file\``, null, name));
      stream.resume();
      return;
    }
    const uploaded: UploadedFile = {
      path: path.join(folder, safeName(info.filename)),
      name: info.filename || "audio",
      bytes: 0,
      head: Buffer.alloc(0),
    };
    file = uploaded;
    // Reading stops at once: the rest of an oversize upload is not worth receiving.
    stream.on("limit", () => abort(options.tooLarge("the file")));
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        stall.refresh(); // the disk took the bytes before: a wait for it was not the client's stall
        if (uploaded.head.length < SNIFF_BYTES) {
          uploaded.head = Buffer.concat([uploaded.head, chunk.subarray(0, SNIFF_BYTES - uploaded.head.length)]);
        }
        uploaded.bytes += chunk.length;
        done(null, chunk);
      },
    });
    const output = createWriteStream(uploaded.path, { flags: "wx", mode: 0o600 });
    // A file the disk does not take is refused as the meter refuses: the rest of the body is read and dropped, so that
    // a client still sending gets the answer (one cut off mid-body may lose it to the connection's reset). Once all of
    // the body is read, nothing else would end the form.
    output.on("error", (error) => {
      const refused = storeError(error, options.uploadsDir);
      if (bodyRead) abort(refused);
      else refuse(refused);
    });
    // Busboy's file stream is piped, not in the pipeline, so that a failed write does not destroy it: busboy would wait
    // for it to be read, and read no more of the request. Once the file cannot be written, the rest of it is dropped.
    stream.pipe(counter);
    stream.once("error", (error) => counter.destroy(error));
    counter.once("close", () => stream.unpipe(counter).resume());
    writing = pipeline(counter, output).then(
      () => null,
      (error: unknown) => error,
    );
  });
  parser.on("filesLimit", () => refuse(new ApiError(400, "send one file per request", null, "file")));
  parser.on("fieldsLimit", () => refuse(new ApiError(400, "the form has too many fields")));
  parser.on("partsLimit", () => refuse(new ApiError(400, "the form has too many parts")));

  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      stall.refresh();
      const refused = options.received(received);
      if (refused?.status === 413) {
        abort(refused);
        done(refused);
        return;
      }
      // Once refused for now (no room), the rest is read and dropped: a client still sending gets the answer, where
      // one cut off mid-body sees only a broken connection.
      if (refused) refuse(refused);
      if (refusal) done();
      else done(null, chunk);
    },
    flush(done) {
      bodyRead = true;
      if (refusal) parser.destroy(refusal);
      done();
    },
  });
  try {
    await pipeline(request, meter, parser);
  } catch (error) {
    clearTimeout(stall);
    await writing;
    await discard();
    throw refusal ?? new ApiError(400, `the multipart form could not be read: ${(error as Error).message}`);
  }
  clearTimeout(stall);
  const failed = await writing;
  if (failed) refuse(new ApiError(400, `the file could not be read: ${(failed as Error).message}`));
  if (refusal) {
    await discard();
    throw refusal;
  }
  return { fields, file, discard };
}

/**
 * Reads the rest of a request refused before its body was read, and drops it, so that the client (still sending) gets
 * the answer; stops reading once it has sent more than `maxBytes`, or paused for `stallMs`, and the answer goes then.
 */
export function drainRequest(request: IncomingMessage, maxBytes: number, stallMs: number): Promise<void> {
  return new Promise((resolve) => {
    let drained = 0;
    const stop = () => {
      clearTimeout(stall);
      request.off("data", count);
      request.pause();
      resolve();
    };
    const count = (chunk: Buffer) => {
      drained += chunk.length;
      stall.refresh();
      if (drained > maxBytes) stop();
    };
    const stall = setTimeout(stop, stallMs);
    request.on("data", count);
    request.once("end", stop);
    request.once("error", stop);
  });
}

/** The upload's own folder in the uploads folder. */
async function makeFolder(uploadsDir: string): Promise<string> {
  try {
    return await mkdtemp(path.join(uploadsDir, "api-"));
  } catch (error) {
    throw storeError(error, uploadsDir);
  }
}

/** Why the upload could not be stored: the disk's refusal (507) as such, else the file system's error (500). */
function storeError(error: unknown, uploadsDir: string): ApiError {
  const disk = diskError(error, "the upload", uploadsDir);
  if (disk) return new ApiError(507, disk.message, "disk");
  return new ApiError(500, `verbatimd could not store the upload: ${(error as Error).message}`);
}

function stallError(stallMs: number, received: number): ApiError {
  return new ApiError(
    408,
    `the upload sent nothing for ${Math.round(stallMs / 1000)} s after ${received} bytes of its request and was ` +
      `abandoned (config idleConnectionSeconds, at most ${MAX_UPLOAD_STALL_MS / 1000} s); send the file again ` +
      "without pausing",
    "upload_timeout",
    "file",
  );
}

/** The client's file name as a safe name in the upload's own folder (its extension kept for the decoder). */
function safeName(name: string | undefined): string {
  const base = path.basename(name || "audio").replace(/[^\w.\- ]/g, "_");
  const extension = path.extname(base).slice(0, 16);
  const stem = base.slice(0, base.length - path.extname(base).length).slice(0, 100);
  return stem && stem !== "." && stem !== ".." ? stem + extension : `audio${extension}`;
}
