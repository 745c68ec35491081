// The name an upload is stored under, from the name its client gave (only a hint: for the decoder and the history).
// The name must stay one file inside the upload's own folder whatever the client sent: `..`, a path, a NUL or a name
// longer than the file system takes would otherwise fail with the file system's own error.
import path from "node:path";

/** Bytes of a stored name at most (file systems take 255). */
const MAX_NAME_BYTES = 200;
const FALLBACK = "audio";

export function storedUploadName(name: string | undefined): string {
  // eslint-disable-next-line no-control-regex
  const base = path.posix.basename((name ?? "").replace(/\\/g, "/")).replace(/[\u0000-\u001f\u007f]/g, "_");
  if (base === "" || base === "." || base === "..") return FALLBACK;
  if (Buffer.byteLength(base) <= MAX_NAME_BYTES) return base;
  const extension = path.extname(base);
  const keep = Buffer.byteLength(extension) <= 16 ? extension : "";
  return truncate(base.slice(0, base.length - keep.length), MAX_NAME_BYTES - Buffer.byteLength(keep)) + keep;
}

/** The longest start of `text` that fits in `bytes` of UTF-8, never splitting a character. */
function truncate(text: string, bytes: number): string {
  let out = "";
  for (const character of text) {
    if (Buffer.byteLength(out + character) > bytes) break;
    out += character;
  }
  return out || FALLBACK;
}
