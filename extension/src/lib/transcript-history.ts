// Search Transcripts' logic: the daemon's history as the list shows it (newest first; the search box's text searched
// as it is typed), one transcript with its timings for the detail view, deleting, and which audio file an entry can
// open or transcribe again.
import { existsSync } from "node:fs";
import path from "node:path";
import { formatTranscript } from "../verbatimd/formats";
import type { HistoryEntry, HistoryEntryDetail, HistoryExportFormat, HistoryPage } from "../verbatimd/protocol";
import { DaemonError, type DaemonClient } from "./daemon-connection";
import { escapeMarkdown } from "./transcript-view";

export type { HistoryEntry, HistoryEntryDetail, HistoryPage } from "../verbatimd/protocol";

type HistoryRequest = Extract<Parameters<DaemonClient["request"]>[0], { type: `history.${string}` }>;
type Done = Extract<Awaited<ReturnType<DaemonClient["request"]>>, { type: "done" }>;

async function historyRequest(client: DaemonClient, request: HistoryRequest): Promise<Done> {
  const event = await client.request(request);
  if (event.type !== "done") throw new Error(`the daemon answered ${request.type} with ${event.type}`);
  return event;
}

/**
 * The newest transcripts, or those with every word of `text` (the last word as a prefix) when there is any; a page
 * at a time, `beforeId` being the previous page's `nextBeforeId`.
 */
export async function findTranscripts(
  client: DaemonClient,
  text: string,
  limit = 50,
  beforeId?: number,
): Promise<HistoryPage> {
  const query = text.trim();
  const page = { limit, ...(beforeId !== undefined && { beforeId }) };
  const event = await historyRequest(
    client,
    query ? { type: "history.search", query, ...page } : { type: "history.list", ...page },
  );
  if (!event.history) throw new Error("this daemon keeps no history: update Verbatim and restart the daemon");
  return event.history;
}

export async function loadTranscript(client: DaemonClient, id: number): Promise<HistoryEntryDetail> {
  const event = await historyRequest(client, { type: "history.get", entry: id });
  if (!event.historyEntry) throw new Error("this daemon keeps no history: update Verbatim and restart the daemon");
  return event.historyEntry;
}

export async function deleteTranscript(client: DaemonClient, id: number): Promise<void> {
  await historyRequest(client, { type: "history.delete", entry: id });
}

/**
 * Deletes each of `ids` in turn on one connection ("Delete All Shown…"); one deleted meanwhile elsewhere is skipped.
 * Resolves with the ids deleted; another failure stops there and rejects (those before it stay deleted).
 */
export async function deleteTranscripts(client: DaemonClient, ids: readonly number[]): Promise<number[]> {
  const deleted: number[] = [];
  for (const id of ids) {
    try {
      await deleteTranscript(client, id);
      deleted.push(id);
    } catch (error) {
      if (!(error instanceof DaemonError && error.code === "not_found")) throw error;
    }
  }
  return deleted;
}

/** A transcript in a subtitle format (Copy As…), from its timed segments (their speakers by the names given). */
export function transcriptAs(format: "srt" | "vtt", entry: HistoryEntryDetail): string {
  const { text, language, durationSeconds, segments, model, backend } = entry;
  return formatTranscript(
    format,
    entry.sourceFile ?? "",
    { text, language, durationSeconds, segments, model, backend },
    entry.speakerNames,
  );
}

export type ExportFormat = HistoryExportFormat;

/** The whole history as the daemon exports it (`verbatim history export`), in Markdown or JSON. */
export async function exportHistory(client: DaemonClient, format: ExportFormat): Promise<string> {
  const event = await historyRequest(client, { type: "history.export", format });
  if (event.exported === undefined)
    throw new Error("this daemon cannot export its history: update Verbatim and restart the daemon");
  return event.exported;
}

/** Where an export goes: "Verbatim Transcripts 2026-11-25.md" in `folder` (writeNewFile numbers it if taken). */
export function exportFile(folder: string, format: ExportFormat, now: Date = new Date()): string {
  const day = [now.getFullYear(), now.getMonth() + 1, now.getDate()].map((n) => String(n).padStart(2, "0")).join("-");
  return path.join(folder, `Verbatim Transcripts ${day}.${format === "markdown" ? "md" : "json"}`);
}

/** The list without an entry (the optimistic update of a delete). */
export const withoutEntry = (entries: HistoryEntry[], id: number) => entries.filter((entry) => entry.id !== id);

/** What the empty list says: nothing while the first page loads (it is not known to be empty yet). */
export function emptyListView(query: string, isLoading: boolean): { title: string; description: string } | null {
  if (isLoading) return null;
  return query.trim()
    ? { title: "No Transcripts Match", description: "Every word must occur; the last one may be the start of a word." }
    : {
        title: "No Transcripts Yet",
        description: "Dictations, meetings and transcribed files appear here once they finish.",
      };
}

export interface TranscriptRow {
  id: number;
  /** The search's snippet, or the start of the text. */
  title: string;
  /** Where it came from: "Dictation in Notes", "Meeting", "interview.m4a". */
  subtitle: string;
  /** "12 s", "3 min 4 s". */
  duration: string;
  /** For the accessory's date. */
  createdAt: Date;
}

export function transcriptRow(entry: HistoryEntry): TranscriptRow {
  const text = entry.snippet ? entry.snippet.text : entry.text;
  return {
    id: entry.id,
    title: oneLine(text) || "(no speech)",
    subtitle: sourceTitle(entry),
    duration: formatDuration(entry.durationSeconds),
    createdAt: new Date(entry.createdAt),
  };
}

export function sourceTitle(entry: HistoryEntry): string {
  const source =
    entry.kind === "file" ? (entry.sourceFile ? path.basename(entry.sourceFile) : "File") : KIND_TITLES[entry.kind];
  return entry.app ? `${source} in ${entry.app}` : source;
}

/** The text a dictation delivered: its finished text when its mode finished it, else what was said. */
export function deliveredText(entry: HistoryEntry): string {
  return entry.finishedText ?? entry.text;
}

/** What was said, when it is not the delivered text (a finished dictation), for Paste and Copy Spoken Text. */
export function spokenTextOf(entry: HistoryEntry): string | null {
  return entry.finishedText !== null && entry.finishedText !== undefined && entry.finishedText !== entry.text
    ? entry.text
    : null;
}

/** Both texts of a finished dictation (the finished one first, then what was said); else the text. */
function bothTexts(entry: HistoryEntry): string | null {
  const spoken = spokenTextOf(entry);
  if (spoken === null) return null;
  const finished = escapeMarkdown(deliveredText(entry).trim());
  return `**Finished**\n\n${finished}\n\n**Spoken**\n\n${escapeMarkdown(spoken.trim()) || "*No speech found.*"}`;
}

/** The text (both texts of a finished dictation), then each segment with its start and end. */
export function transcriptMarkdown(entry: HistoryEntryDetail): string {
  const text = bothTexts(entry) ?? (entry.text ? escapeMarkdown(entry.text) : "*No speech found.*");
  if (entry.segments.length === 0) return text;
  const timings = entry.segments.map(
    (segment) => `\`${clock(segment.start)} → ${clock(segment.end)}\` ${escapeMarkdown(segment.text.trim())}`,
  );
  return `${text}\n\n---\n\n${timings.join("\n\n")}`;
}

/** The list's detail pane: the whole text (the search's snippet is only its title). */
export function previewMarkdown(entry: HistoryEntry): string {
  const both = bothTexts(entry);
  if (both !== null) return both;
  return entry.text.trim() ? escapeMarkdown(entry.text.trim()) : "*No speech found.*";
}

/** The facts the detail view's metadata lists, as label and text. */
export function transcriptFacts(entry: HistoryEntry): { label: string; text: string }[] {
  const facts = [
    { label: "When", text: new Date(entry.createdAt).toLocaleString() },
    { label: "Source", text: entry.kind === "file" ? (entry.sourceFile ?? "File") : KIND_TITLES[entry.kind] },
    { label: "Duration", text: formatDuration(entry.durationSeconds) },
    { label: "Language", text: entry.language ?? "unknown" },
    { label: "Model", text: entry.model },
  ];
  if (entry.app) facts.splice(2, 0, { label: "App", text: entry.app });
  if (entry.kind === "meeting" && entry.sourceFile) facts.splice(2, 0, { label: "Folder", text: entry.sourceFile });
  if (entry.mode) facts.push({ label: "Mode", text: entry.mode });
  if (entry.finishing) facts.push({ label: "Finished By", text: FINISHED_BY[entry.finishing] });
  if (entry.recording) facts.push({ label: "Recording", text: entry.recording });
  return facts;
}

/**
 * The audio an entry can be opened or transcribed again from: its kept recording, else the file it was transcribed
 * from (an upload's name is not a path; a meeting's is its folder). Null when there is none. A dictation's recording is kept as WAV and then
 * compressed to FLAC beside it, so a list fetched meanwhile may name the WAV that the FLAC replaces. The FLAC is taken
 * as soon as it exists, even while the WAV is still there: the daemon writes it under another name and renames it
 * whole, then removes the WAV, which an action holding its name would find gone.
 */
export function audioFileOf(entry: HistoryEntry): string | null {
  if (entry.recording) {
    const flac = entry.recording.replace(/\.wav$/, ".flac");
    return flac !== entry.recording && existsSync(flac) ? flac : entry.recording;
  }
  return entry.kind === "file" && entry.sourceFile && path.isAbsolute(entry.sourceFile) ? entry.sourceFile : null;
}

export function formatDuration(seconds: number): string {
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  return minutes > 0 ? `${minutes} min ${whole % 60} s` : `${whole} s`;
}

const KIND_TITLES: Record<HistoryEntry["kind"], string> = { file: "File", dictation: "Dictation", meeting: "Meeting" };

const FINISHED_BY: Record<NonNullable<HistoryEntry["finishing"]>, string> = {
  none: "Nothing",
  raycast: "Raycast AI",
  local: "Local model",
};

function clock(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${(seconds - minutes * 60).toFixed(1).padStart(4, "0")}`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
