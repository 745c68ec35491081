// `verbatim history`: the transcripts the daemon kept (newest first), full-text search, one entry in full,
// deleting, and exporting; all through the running daemon (a stopped one stays stopped: the command says so).
import type { DaemonClient } from "../client";
import type { VerbatimPaths } from "../paths";
import {
  parseIsoDate,
  type Event,
  type FinishingEngine,
  type HistoryEntry,
  type HistoryEntryDetail,
  type HistorySnippet,
  MAX_SPEAKER_NAME,
  type SegmentData,
  type SpeakerNaming,
} from "../protocol";
import { speakerLabel, speakerTurns } from "../speakers/speaker-turns";
import { connectRunning } from "../daemon-control";
import { EXIT, UsageError } from "./exit-codes";
import { parseCommandLine } from "./command-line";
import { didYouMean } from "./did-you-mean";
import { deleteTranscripts, localTime, type DeleteTranscripts } from "./history-delete";

type RequestBody = Extract<Parameters<DaemonClient["request"]>[0], { type: `history.${string}` }>;

/** `speakers`: print the entry's speakers (history speakers) rather than the entry. */
export type HistoryCommand =
  { request: RequestBody; json: boolean; speakers?: boolean } | { delete: DeleteTranscripts };

export function parseHistory(args: string[]): HistoryCommand {
  const parsed = parseCommandLine({
    args,
    allowPositionals: true,
    options: {
      search: { type: "string" },
      limit: { type: "string" },
      json: { type: "boolean" },
      before: { type: "string" },
      yes: { type: "boolean" },
      format: { type: "string" },
    },
  });
  const { values, positionals } = parsed;
  const [action, target, ...extra] = positionals;
  const json = Boolean(values.json);
  if (action === "speakers") {
    const given = Object.keys(values).find((key) => key !== "json");
    if (given !== undefined) throw new UsageError(`history speakers takes no --${given}`);
    const entry = wholeNumber(target, "history speakers ID");
    if (extra.length === 0) return { request: { type: "history.get", entry }, json, speakers: true };
    return { request: { type: "history.speakers", entry, names: extra.map(speakerNaming) }, json, speakers: true };
  }
  const only = (allowed: string[], what: string) => {
    const given = Object.keys(values).filter((key) => !allowed.includes(key));
    if (given.length > 0 || extra.length > 0) throw new UsageError(`${what} takes no --${given[0] ?? extra[0]}`);
  };
  switch (action) {
    case undefined: {
      only(["search", "limit", "json"], "history");
      const limit = values.limit === undefined ? undefined : wholeNumber(values.limit, "--limit");
      const page = limit === undefined ? {} : { limit };
      if (values.search !== undefined)
        return { request: { type: "history.search", query: values.search, ...page }, json };
      return { request: { type: "history.list", ...page }, json };
    }
    case "show":
      only(["json"], "history show");
      return { request: { type: "history.get", entry: wholeNumber(target, "history show ID") }, json };
    case "rm":
      only(["before", "yes"], "history rm");
      if (values.before !== undefined) {
        if (target !== undefined) throw new UsageError("give either an ID or --before DATE, not both");
        const date = dateOf(values.before);
        return { delete: { before: date, label: localTime(date.toISOString()), yes: Boolean(values.yes) } };
      }
      return { delete: { entry: wholeNumber(target, "history rm ID"), yes: Boolean(values.yes) } };
    case "export": {
      only(["format"], "history export");
      const format = values.format ?? "markdown";
      if (format !== "markdown" && format !== "json") throw new UsageError("--format must be markdown or json");
      if (target !== undefined) throw new UsageError("history export takes no arguments");
      return { request: { type: "history.export", format }, json: false };
    }
    default:
      throw new UsageError(
        `unknown history action "${action}"${didYouMean(action, ["show", "rm", "export", "speakers"])}; use show, ` +
          "rm, export or speakers " +
          "(or none to list)",
      );
  }
}

export async function runHistory(command: HistoryCommand, paths: VerbatimPaths): Promise<number> {
  if ("delete" in command) return deleteTranscripts(command.delete, paths);
  const client = await connectRunning(paths);
  try {
    const event: Event = await client.request(command.request);
    if (event.type !== "done") throw new Error(`the daemon answered ${event.type}`);
    const write = (text: string) => process.stdout.write(text);
    if (event.history) {
      if (command.json) write(JSON.stringify(event.history, null, 2) + "\n");
      else if (event.history.entries.length === 0) write("No transcripts found.\n");
      else for (const entry of event.history.entries) write(summaryLine(entry, process.stdout.isTTY === true));
    } else if (event.historyEntry) {
      const entry = event.historyEntry;
      if (command.json) write(JSON.stringify(entry, null, 2) + "\n");
      else write(command.speakers ? speakerList(entry) : details(entry));
    } else if (event.exported !== undefined) {
      write(event.exported);
    }
    return EXIT.ok;
  } finally {
    client.close();
  }
}

/** `N=NAME`: speaker N (counting from 1) is to be called NAME; `N=` gives back "Speaker N". */
function speakerNaming(assignment: string): SpeakerNaming {
  const match = /^(\d+)=(.*)$/s.exec(assignment);
  if (!match || Number(match[1]) < 1) {
    throw new UsageError(
      `history speakers takes N=NAME (speaker N, counting from 1, is called NAME; N= gives back "Speaker N"), ` +
        `not "${assignment}"`,
    );
  }
  if (match[2].length > MAX_SPEAKER_NAME) {
    throw new UsageError(`a speaker's name has at most ${MAX_SPEAKER_NAME} characters; ${match[1]}= has more`);
  }
  return { speaker: Number(match[1]) - 1, name: match[2].trim() || null };
}

/** `#ID: N speakers` then each speaker's number and name. */
function speakerList(entry: HistoryEntryDetail): string {
  if (entry.speakers === undefined) {
    return `Transcript #${entry.id} has no speakers: only a transcript made with speakers told apart has them.\n`;
  }
  const lines = Array.from({ length: entry.speakers }, (_, speaker) => {
    const name = entry.speakerNames?.[speaker];
    return `  ${speaker + 1}  ${name ?? `${speakerLabel(speaker)} (no name given)`}\n`;
  });
  return `Transcript #${entry.id}: ${entry.speakers} speaker(s)\n${lines.join("")}`;
}

function wholeNumber(text: string | undefined, what: string): number {
  if (text === undefined || !/^\d+$/.test(text) || Number(text) < 1) {
    throw new UsageError(`${what} needs a whole number above 0${text === undefined ? "" : `, not "${text}"`}`);
  }
  return Number(text);
}

/**
 * YYYY-MM-DD is midnight local time; an ISO 8601 date and time is taken as given. A date that does not exist
 * (2026-02-30, 2026-13-45) is a usage error, never rolled over into another day.
 */
function dateOf(text: string): Date {
  const date = parseIsoDate(text);
  if (!date) {
    throw new UsageError(
      `--before needs a date that exists, such as 2026-01-31 (or 2026-01-31T18:30), not "${text}"; nothing was deleted`,
    );
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return date;
  const midnight = new Date(0);
  midnight.setFullYear(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  midnight.setHours(0, 0, 0, 0);
  return midnight;
}

function sourceOf(entry: HistoryEntry): string {
  const where =
    entry.kind === "dictation"
      ? "dictation"
      : entry.kind === "meeting"
        ? `meeting ${entry.sourceFile ?? ""}`.trim()
        : (entry.sourceFile ?? "upload");
  return entry.app ? `${where} in ${entry.app}` : where;
}

/** `#ID  date  source  duration` then the text (or the search's snippet, matches in bold on a terminal). */
function summaryLine(entry: HistoryEntry, terminal: boolean): string {
  const text = entry.snippet ? marked(entry.snippet, terminal) : oneLine(entry.text, 100);
  const seconds = `${entry.durationSeconds.toFixed(1)} s`;
  const finished = entry.finishedText === null ? "" : `  (${entry.mode}: finished; history show ${entry.id})`;
  return `#${entry.id}  ${localTime(entry.createdAt)}  ${sourceOf(entry)}  ${seconds}${finished}\n    ${text || "(no speech)"}\n`;
}

function marked(snippet: HistorySnippet, terminal: boolean): string {
  const [open, close] = terminal ? ["\u001b[1m", "\u001b[22m"] : ["[", "]"];
  let text = "";
  let from = 0;
  for (const { start, end } of snippet.highlights) {
    text += snippet.text.slice(from, start) + open + snippet.text.slice(start, end) + close;
    from = end;
  }
  return oneLine(text + snippet.text.slice(from), Number.POSITIVE_INFINITY);
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

const ENGINES: Record<FinishingEngine, string> = { none: "nothing", raycast: "Raycast AI", local: "a local model" };

function details(entry: HistoryEntryDetail): string {
  const facts = [
    `#${entry.id}  ${localTime(entry.createdAt)}  ${sourceOf(entry)}`,
    `${entry.durationSeconds.toFixed(1)} s, ${entry.language ?? "language unknown"}, ${entry.model} (${entry.backend})`,
  ];
  if (entry.recording) facts.push(`recording: ${entry.recording}`);
  if (entry.mode)
    facts.push(`mode: ${entry.mode}${entry.finishing ? `, finished by ${ENGINES[entry.finishing]}` : ""}`);
  const said = (s: SegmentData) =>
    s.speaker === undefined ? s.text : `${speakerLabel(s.speaker, entry.speakerNames)}: ${s.text.trim()}`;
  const timed = entry.segments.map((s) => `[${s.start.toFixed(2)} → ${s.end.toFixed(2)}] ${said(s)}`);
  const spoken =
    entry.speakers === undefined
      ? entry.text
      : speakerTurns(entry.segments)
          .map((turn) => `${speakerLabel(turn.speaker, entry.speakerNames)}: ${turn.text}`)
          .join("\n");
  const text = entry.finishedText === null ? spoken : `Finished:\n${entry.finishedText}\n\nSpoken:\n${spoken}`;
  return `${facts.join("\n")}\n\n${text}\n\n${timed.join("\n")}\n`;
}
