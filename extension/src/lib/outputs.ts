// Where finished text goes: files beside the source (never over an existing file), and what to do with the text
// (copy, paste, both).
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { formatTranscript } from "../verbatimd/formats";
import type { TranscriptData } from "./daemon-connection";

export type SavedFormat = "text" | "srt" | "vtt";

const EXTENSIONS: Record<SavedFormat, string> = { text: ".txt", srt: ".srt", vtt: ".vtt" };

/** How many names (`memo.txt`, then `memo (2).txt` …) are tried before saving gives up. */
const MAX_COPIES = 999;

/** memo.m4a → memo.txt (or .srt, .vtt) in the same folder. */
export function fileBeside(source: string, format: SavedFormat): string {
  const parsed = path.parse(source);
  return path.join(parsed.dir, parsed.name + EXTENSIONS[format]);
}

/** The `copy`th name for a file: 1 is the file itself, 2 and up `memo (2).txt`, as Finder names copies. */
export function numberedName(file: string, copy: number): string {
  if (copy <= 1) return file;
  const parsed = path.parse(file);
  return path.join(parsed.dir, `${parsed.name} (${copy})${parsed.ext}`);
}

const alreadyThere = (error: unknown) => (error as NodeJS.ErrnoException).code === "EEXIST";

/**
 * Writes `content` to `file`, or, when something is there already, to the first free numbered name (`memo (2).txt`,
 * `memo (3).txt` …): an existing file is never overwritten. Each name is claimed atomically (`wx`), so two saves at
 * once get two names. Returns the path written.
 */
export async function writeNewFile(file: string, content: string): Promise<string> {
  for (let copy = 1; copy <= MAX_COPIES; copy++) {
    const target = numberedName(file, copy);
    try {
      await writeFile(target, content, { flag: "wx" });
      return target;
    } catch (error) {
      if (!alreadyThere(error)) throw error;
    }
  }
  throw new Error(
    `${path.basename(file)} and ${MAX_COPIES - 1} numbered copies of it already exist in ${path.dirname(file)}: move some away and save again.`,
  );
}

/** Writes the transcript beside its source file, never over an existing file (writeNewFile); returns its path. */
export function saveBeside(source: string, format: SavedFormat, transcript: TranscriptData): Promise<string> {
  return writeNewFile(fileBeside(source, format), formatTranscript(format, source, transcript));
}

export type FinishedTextAction = "copy" | "paste" | "both" | "nothing";
