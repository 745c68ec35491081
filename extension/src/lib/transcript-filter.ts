// Search Transcripts' filter (the search bar's dropdown): every transcript, one kind only (dictations, meetings,
// files), or those made in one app; and what "Delete All Shown…" asks before deleting what the filter and search show.
import type { HistoryEntry } from "../verbatimd/protocol";

/** "all", a kind ("dictation", "meeting", "file"), or "app:NAME". */
export type TranscriptFilter = string;

export const ALL_TRANSCRIPTS: TranscriptFilter = "all";

export interface FilterOption {
  value: TranscriptFilter;
  title: string;
}

export const KIND_FILTERS: readonly FilterOption[] = [
  { value: ALL_TRANSCRIPTS, title: "All Transcripts" },
  { value: "dictation", title: "Dictations" },
  { value: "meeting", title: "Meetings" },
  { value: "file", title: "Files" },
];

const APP_PREFIX = "app:";

export const appFilter = (app: string): TranscriptFilter => APP_PREFIX + app;

/**
 * The apps the dropdown offers: those of the transcripts loaded so far, by name, and the one chosen (kept when the
 * search no longer finds its transcripts, so the dropdown still shows the choice).
 */
export function appFilters(entries: readonly HistoryEntry[], chosen: TranscriptFilter): FilterOption[] {
  const apps = new Set(entries.map((entry) => entry.app).filter((app): app is string => Boolean(app)));
  if (chosen.startsWith(APP_PREFIX)) apps.add(chosen.slice(APP_PREFIX.length));
  return [...apps].sort((a, b) => a.localeCompare(b)).map((app) => ({ value: appFilter(app), title: `In ${app}` }));
}

export function matchesFilter(entry: HistoryEntry, filter: TranscriptFilter): boolean {
  if (filter === "dictation" || filter === "meeting" || filter === "file") return entry.kind === filter;
  if (filter.startsWith(APP_PREFIX)) return entry.app === filter.slice(APP_PREFIX.length);
  return true;
}

export const filtered = (entries: readonly HistoryEntry[], filter: TranscriptFilter) =>
  entries.filter((entry) => matchesFilter(entry, filter));

/** The confirmation before deleting every transcript shown: how many, and which (the filter and search). */
export function deleteShownPrompt(
  count: number,
  filter: TranscriptFilter,
  query: string,
): { title: string; message: string } {
  const noun = count === 1 ? "Transcript" : "Transcripts";
  const which = [
    filter === ALL_TRANSCRIPTS
      ? null
      : (KIND_FILTERS.find((option) => option.value === filter)?.title ?? `made in ${filter.slice(APP_PREFIX.length)}`),
    query.trim() ? `matching “${query.trim()}”` : null,
  ].filter(Boolean);
  return {
    title: `Delete ${count} ${noun}?`,
    message: `${which.length > 0 ? `The ${count} shown (${which.join(", ")}), ` : `All ${count} shown, `}with their kept recordings. This cannot be undone.`,
  };
}

/** The toast once they are deleted. */
export const deletedTitle = (count: number) => `Deleted ${count} Transcript${count === 1 ? "" : "s"}`;
