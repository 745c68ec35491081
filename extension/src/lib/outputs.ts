// Where finished text goes: files beside the source, and what to do with the text (copy, paste, both).
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { formatTranscript } from "../verbatimd/formats";
import type { TranscriptData } from "./daemon-connection";

export type SavedFormat = "text" | "srt" | "vtt";

const EXTENSIONS: Record<SavedFormat, string> = { text: ".txt", srt: ".srt", vtt: ".vtt" };

/** memo.m4a → memo.txt (or .srt, .vtt) in the same folder. */
export function fileBeside(source: string, format: SavedFormat): string {
  const parsed = path.parse(source);
  return path.join(parsed.dir, parsed.name + EXTENSIONS[format]);
}

/** Writes the transcript beside its source file and returns the new file's path. */
export async function saveBeside(source: string, format: SavedFormat, transcript: TranscriptData): Promise<string> {
  const target = fileBeside(source, format);
  await writeFile(target, formatTranscript(format, source, transcript));
  return target;
}

export type FinishedTextAction = "copy" | "paste" | "both" | "nothing";
