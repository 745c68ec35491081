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

/** Reads the form; the file may hold at most `maxFileBytes`. Throws ApiError (400, 413) and leaves nothing behind. */
export async function receiveForm(
  request: IncomingMessage,
  options: { uploadsDir: string; maxFileBytes: number },
): Promise<UploadedForm> {
  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: request.headers, limits: { ...LIMITS, fileSize: options.maxFileBytes } });
  } catch {
    throw new ApiError(400, "the request must be multipart/form-data, with the audio in the `file` field");
  }
  const folder = await mkdtemp(path.join(options.uploadsDir, "api-"));
  const discard = () => rm(folder, { recursive: true, force: true });
  const fields = new Map<string, string[]>();
  let file: UploadedFile | null = null;
  let writing: Promise<void> = Promise.resolve();
  let refusal: ApiError | null = null;
  const refuse = (error: ApiError) => (refusal ??= error);

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
    stream.on("limit", () => {
      const error = new ApiError(
        413,
        `the file is larger than the ${mebibytes(options.maxFileBytes)} this daemon takes (config maxUnfinishedUploadMB)`,
        "file_too_large",
        "file",
      );
      refuse(error);
      parser.destroy(error);
    });
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        if (uploaded.head.length < SNIFF_BYTES) {
          uploaded.head = Buffer.concat([uploaded.head, chunk.subarray(0, SNIFF_BYTES - uploaded.head.length)]);
        }
        uploaded.bytes += chunk.length;
        done(null, chunk);
      },
    });
    writing = pipeline(stream, counter, createWriteStream(uploaded.path, { flags: "wx", mode: 0o600 }));
  });
  parser.on("filesLimit", () => refuse(new ApiError(400, "send one file per request", null, "file")));
  parser.on("fieldsLimit", () => refuse(new ApiError(400, "the form has too many fields")));
  parser.on("partsLimit", () => refuse(new ApiError(400, "the form has too many parts")));

  try {
    await pipeline(request, parser);
    await writing;
  } catch (error) {
    await writing.catch(() => undefined);
    await discard();
    if (refusal) throw refusal;
    throw new ApiError(400, `the multipart form could not be read: ${(error as Error).message}`);
  }
  if (refusal) {
    await discard();
    throw refusal;
  }
  return { fields, file, discard };
}

/** The client's file name as a safe name in the upload's own folder (its extension kept for the decoder). */
function safeName(name: string | undefined): string {
  const base = path.basename(name || "audio").replace(/[^\w.\- ]/g, "_");
  const extension = path.extname(base).slice(0, 16);
  const stem = base.slice(0, base.length - path.extname(base).length).slice(0, 100);
  return stem && stem !== "." && stem !== ".." ? stem + extension : `audio${extension}`;
}

function mebibytes(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MiB`;
}
