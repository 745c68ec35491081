/** Audio containers told apart by their first bytes, so a file is read by what it is, not what it is called. */
export type Container =
  "wav" | "aiff" | "caf" | "flac" | "ogg" | "mp3" | "aac" | "mp4" | "matroska" | "amr" | "unknown";

/** Bytes enough for every signature below. */
export const SNIFF_BYTES = 12;

export function sniffContainer(head: Buffer): Container {
  const ascii = (start: number, end: number) => head.toString("latin1", start, end);
  if ((ascii(0, 4) === "RIFF" || ascii(0, 4) === "RF64") && ascii(8, 12) === "WAVE") return "wav";
  if (ascii(0, 4) === "FORM" && (ascii(8, 12) === "AIFF" || ascii(8, 12) === "AIFC")) return "aiff";
  if (ascii(0, 4) === "caff") return "caf";
  if (ascii(0, 4) === "fLaC") return "flac";
  if (ascii(0, 4) === "OggS") return "ogg";
  if (ascii(4, 8) === "ftyp") return "mp4";
  if (head.length >= 4 && head.readUInt32BE(0) === 0x1a45dfa3) return "matroska";
  if (ascii(0, 5) === "#!AMR") return "amr";
  if (ascii(0, 3) === "ID3") return "mp3";
  if (head.length >= 2 && head[0] === 0xff) {
    // MPEG frame sync: 11 set bits; layer bits 00 mean ADTS (AAC), anything else an MPEG audio layer.
    if ((head[1] & 0xf6) === 0xf0) return "aac";
    if ((head[1] & 0xe0) === 0xe0) return "mp3";
  }
  return "unknown";
}
