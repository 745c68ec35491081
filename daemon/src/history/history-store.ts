// The transcript history: every finished transcript (file job, dictation, meeting) in SQLite with full-text search,
// kept for historyDays, with the audio kept beside it as historyKeepsRecordings says. A history that fails never fails
// a transcription: errors are logged and reported in the status's notices (each cleared once what it speaks of is
// resolved), a database found damaged is replaced (the write that found it is made again into the new one), and one
// that cannot be opened now (locked by another process) is left as it is and opened again later.
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import type {
  FinishingData,
  FinishingEngine,
  HistoryEntry,
  HistoryEntryDetail,
  HistoryExportFormat,
  HistoryPage,
  HistorySnippet,
  SegmentData,
  SpeakerNaming,
  TranscriptData,
} from "../protocol";
import { plainLine } from "../plain-text";
import { exportHistory } from "./history-export";
import {
  inTransaction,
  isDamage,
  isLocked,
  moveAside,
  openHistoryDatabase,
  type SqliteDatabase,
} from "./history-database";
import { makeFolderFilesPrivate, makePrivate } from "./private-files";
import { searchQuery, snippetOf, TooManyWordsError, type SearchQuery } from "./search-query";

export const DEFAULT_PAGE_SIZE = 50;
const DAY_MS = 24 * 60 * 60 * 1000;
/** How soon transcripts that could not be written, or a database that could not be opened, are tried again. */
const RETRY_MS = 10_000;
/** Transcripts kept in memory while the database refuses writes; past this the oldest is given up (and logged). */
const MAX_PENDING = 1000;

/** Whose audio is kept with their entries: dictations' recordings, those and uploaded files, or none. */
export type KeptRecordings = "dictations" | "all" | "none";

export interface HistorySettings {
  /** Entries older than this many days are deleted (0: kept until deleted by hand). */
  historyDays: number;
  historyKeepsRecordings: KeptRecordings;
}

/** A finished transcript to record. */
export interface FinishedTranscript {
  kind: HistoryEntry["kind"];
  job: string;
  transcript: TranscriptData;
  /** A dictation's mode, when its transcript carries no finishing yet (it is recorded before it is finished). */
  mode?: string;
  /** The file transcribed, or a meeting's folder. */
  sourceFile: string | null;
  app: string | null;
  /** The audio it was made from, kept (hard-linked or copied) when the settings say so. */
  audioFile: string | null;
  /** A transcript with speakers: their names from the start (a meeting's "You"); index = speaker, null = unnamed. */
  speakerNames?: (string | null)[];
}

export interface HistoryProblemReporter {
  warn(message: string, fields?: Record<string, unknown>): void;
}

/** Refused because of something the client can fix or look up (the message says what). */
export class HistoryError extends Error {
  constructor(
    readonly code: "not_found" | "history" | "bad_message",
    message: string,
  ) {
    super(message);
    this.name = "HistoryError";
  }
}

/**
 * What a notice speaks of. Each kind holds its latest notice until it is resolved: `unavailable` once the database
 * opens, `pending` once the transcripts waiting in memory are written, `retention` and `recording` once the next of
 * their kind succeeds; `replaced` (a damaged file moved aside, and where it is) stays while the daemon runs.
 */
type NoticeKind = "unavailable" | "pending" | "replaced" | "retention" | "recording";

interface Row {
  id: number;
  kind: HistoryEntry["kind"];
  created_ms: number;
  job: string;
  text: string;
  language: string | null;
  model: string;
  backend: string;
  duration_seconds: number;
  source_file: string | null;
  app: string | null;
  recording: string | null;
  finished_text: string | null;
  mode: string | null;
  finishing: FinishingEngine | null;
  speakers: number | null;
  speaker_names: string | null;
}

const ENTRY_COLUMNS =
  "t.id, t.kind, t.created_ms, t.job, t.text, t.language, t.model, t.backend, t.duration_seconds, t.source_file, " +
  "t.app, t.recording, t.finished_text, t.mode, t.finishing, t.speakers, t.speaker_names";

export class HistoryStore {
  private db: SqliteDatabase | null = null;
  /** The current notices, oldest first. */
  private readonly problems = new Map<NoticeKind, string>();
  /** Why the database could not be opened, in a few words (null while it is open). */
  private openFailure: string | null = null;
  private readonly pending: FinishedTranscript[] = [];
  private lastRecordedId: number | null = null;
  private retry: NodeJS.Timeout | null = null;
  /** Retention could not run (the database was locked or not open): it runs at the next retry. */
  private retentionDue = false;
  /** The database opened after it could not be: onLateOpen is told at the next retry. */
  private lateOpenDue = false;
  /** Told of each dictation recording kept (a WAV beside the database), to compress it. */
  onDictationRecordingKept: ((id: number, file: string) => void) | null = null;
  /** Told when a database that could not be opened opens. */
  onLateOpen: (() => void) | null = null;

  private constructor(
    readonly file: string,
    private readonly settings: HistorySettings,
    private readonly log: HistoryProblemReporter,
    private readonly now: () => Date,
  ) {}

  /**
   * Opens the database in `folder` (history.sqlite, kept recordings in recordings/) and deletes what retention
   * says is too old. Never throws: a database that cannot be opened leaves the history unavailable, with the reason
   * in `notices`, and is tried again every RETRY_MS (and at each request and transcript) until it opens.
   */
  static open(
    folder: string,
    settings: HistorySettings,
    log: HistoryProblemReporter,
    now: () => Date = () => new Date(),
  ): HistoryStore {
    const store = new HistoryStore(path.join(folder, "history.sqlite"), settings, log, now);
    store.makeRecordingsPrivate();
    if (store.open()) store.applyRetention();
    else store.retryIn(RETRY_MS);
    return store;
  }

  /** What is wrong with the history now, or was and should be known (a damaged file moved aside), oldest first. */
  get notices(): string[] {
    return [...this.problems.values()];
  }

  /** The latest of the notices (null: none). */
  get notice(): string | null {
    return this.notices.at(-1) ?? null;
  }

  /** Why transcripts are waiting in memory instead of being in the database (null: none are). */
  get pendingNotice(): string | null {
    return this.problems.get("pending") ?? null;
  }

  get recordingsFolder(): string {
    return path.join(path.dirname(this.file), "recordings");
  }

  /** Recordings kept by versions that left them readable by others become private. */
  private makeRecordingsPrivate(): void {
    try {
      makeFolderFilesPrivate(this.recordingsFolder);
    } catch (error) {
      this.log.warn("the kept recordings could not all be made private", { error: describe(error) });
    }
  }

  /**
   * Records a finished transcript; returns its entry id, or null when it could not be written yet (the database is
   * locked by another process, the disk is full): it is then kept in memory and written, in order, with the next
   * transcript or at the next retry, so it appears in the history once the database takes writes again.
   */
  record(finished: FinishedTranscript): number | null {
    this.pending.push(finished);
    if (this.pending.length > MAX_PENDING) {
      const dropped = this.pending.shift()!;
      this.log.warn("a transcript waiting for the history database was dropped to bound memory", { job: dropped.job });
    }
    return this.flush() ? this.lastRecordedId : null;
  }

  /** Writes the transcripts waiting in memory, oldest first; false when one could not be written (it stays). */
  private flush(): boolean {
    while (this.pending.length > 0) {
      const next = this.pending[0]!;
      try {
        this.lastRecordedId = this.writing(() => this.insert(next));
        this.pending.shift();
      } catch (error) {
        const reason = this.db ? describe(error) : (this.openFailure ?? describe(error));
        this.report(
          "pending",
          `${this.pending.length} transcript(s) could not be added to the history yet (${reason}); ` +
            `they are kept in memory and written once the database takes writes again`,
        );
        this.retryIn(RETRY_MS);
        return false;
      }
    }
    this.resolve("pending");
    return true;
  }

  /**
   * Tries again after `ms`: to open the database if it is not open, then to write what waits in memory and to apply
   * retention if it could not run. What fails again schedules the next try.
   */
  private retryIn(ms: number): void {
    if (this.retry) clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      this.retry = null;
      if (!this.db && !this.open()) return this.retryIn(RETRY_MS);
      this.flush();
      if (this.retentionDue) this.applyRetention();
      if (this.lateOpenDue) {
        this.lateOpenDue = false;
        this.onLateOpen?.();
      }
    }, ms);
    this.retry.unref();
  }

  list(limit = DEFAULT_PAGE_SIZE, beforeId?: number): HistoryPage {
    const rows = this.database()
      .prepare(`SELECT ${ENTRY_COLUMNS} FROM transcripts t WHERE t.id < ? ORDER BY t.id DESC LIMIT ?`)
      .all(beforeId ?? Number.MAX_SAFE_INTEGER, limit + 1) as unknown as Row[];
    return page(rows.map(entryOf), limit);
  }

  /**
   * Entries whose text or finished text has every word of `text` (the last as a prefix), newest first, with marked
   * snippets of the text that matches best.
   */
  search(text: string, limit = DEFAULT_PAGE_SIZE, beforeId?: number): HistoryPage {
    let query: SearchQuery | null;
    try {
      query = searchQuery(text);
    } catch (error) {
      if (error instanceof TooManyWordsError) throw new HistoryError("bad_message", error.message);
      throw error;
    }
    if (!query) return { entries: [], nextBeforeId: null };
    const rows = this.database()
      .prepare(
        `SELECT ${ENTRY_COLUMNS}
         FROM transcripts_text JOIN transcripts t ON t.id = transcripts_text.rowid
         WHERE transcripts_text MATCH ? AND transcripts_text.rowid < ?
         ORDER BY transcripts_text.rowid DESC LIMIT ?`,
      )
      .all(query.match, beforeId ?? Number.MAX_SAFE_INTEGER, limit + 1) as unknown as Row[];
    return page(
      rows.map((row) => ({ ...entryOf(row), snippet: bestSnippet(row, query) })),
      limit,
    );
  }

  get(id: number): HistoryEntryDetail {
    const row = this.database()
      .prepare(`SELECT ${ENTRY_COLUMNS}, t.segments FROM transcripts t WHERE t.id = ?`)
      .get(id) as unknown as (Row & { segments: string }) | undefined;
    if (!row) throw noEntry(id);
    return { ...entryOf(row), segments: JSON.parse(row.segments) as SegmentData[] };
  }

  /**
   * Gives speakers of an entry with speakers their names (a name is kept as one plain line; empty or null gives back
   * "Speaker N"); returns the entry. Refused, changing nothing, when the entry has no speakers or no such speaker.
   */
  nameSpeakers(id: number, names: readonly SpeakerNaming[]): HistoryEntryDetail {
    const row = this.database()
      .prepare(`SELECT ${ENTRY_COLUMNS} FROM transcripts t WHERE t.id = ?`)
      .get(id) as unknown as Row | undefined;
    if (!row) throw noEntry(id);
    if (row.speakers === null) {
      throw new HistoryError(
        "bad_message",
        `transcript #${id} has no speakers to name: only a transcript made with speakers told apart has them`,
      );
    }
    const kept = speakerNamesOf(row);
    for (const { speaker, name } of names) {
      if (speaker >= row.speakers) {
        throw new HistoryError(
          "bad_message",
          `transcript #${id} has ${row.speakers} speaker(s), numbered 1 to ${row.speakers}: there is no speaker ${speaker + 1}`,
        );
      }
      kept[speaker] = keptName(name);
    }
    this.writing(() =>
      this.database().prepare("UPDATE transcripts SET speaker_names = ? WHERE id = ?").run(JSON.stringify(kept), id),
    );
    return this.get(id);
  }

  /** Deletes one entry and its kept recording. */
  delete(id: number): number {
    const deleted = this.deleteWhere("id = ?", id);
    if (deleted === 0) throw noEntry(id);
    return deleted;
  }

  /** Deletes every entry finished before `date`, with their kept recordings; returns how many. */
  deleteBefore(date: Date): number {
    return this.deleteWhere("created_ms < ?", date.getTime());
  }

  /** How many entries finished before `date` (what deleteBefore would delete). */
  countBefore(date: Date): number {
    const row = this.database()
      .prepare("SELECT count(*) AS count FROM transcripts WHERE created_ms < ?")
      .get(date.getTime());
    return Number(row?.count);
  }

  /** Deletes entries older than historyDays; returns how many. */
  applyRetention(): number {
    if (this.settings.historyDays <= 0 || !this.db) return 0;
    try {
      const deleted = this.deleteBefore(new Date(this.now().getTime() - this.settings.historyDays * DAY_MS));
      this.retentionDue = false;
      this.resolve("retention");
      return deleted;
    } catch (error) {
      this.retentionDue = true;
      this.report(
        "retention",
        `history entries older than ${this.settings.historyDays} days could not be deleted yet (${describe(error)}); ` +
          `tried again every ${RETRY_MS / 1000} s`,
      );
      this.retryIn(RETRY_MS);
      return 0;
    }
  }

  export(format: HistoryExportFormat): string {
    const rows = this.database()
      .prepare(`SELECT ${ENTRY_COLUMNS}, t.segments FROM transcripts t ORDER BY t.id DESC`)
      .all() as unknown as (Row & { segments: string })[];
    return exportHistory(
      rows.map((row) => ({ ...entryOf(row), segments: JSON.parse(row.segments) as SegmentData[] })),
      format,
    );
  }

  /** Writes what waits in memory if it can (saying what it could not), and closes the database. */
  close(): void {
    if (this.pending.length > 0 && !this.flush()) {
      this.log.warn(`${this.pending.length} transcript(s) were not added to the history before the daemon stopped`, {
        jobs: this.pending.map((finished) => finished.job),
      });
    }
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    this.closeDatabase();
  }

  private closeDatabase(): void {
    this.db?.close();
    this.db = null;
  }

  private insert(finished: FinishedTranscript): number {
    const db = this.database();
    const { transcript } = finished;
    const finishing = transcript.finishing;
    const id = inTransaction(db, () => {
      const result = db
        .prepare(
          `INSERT INTO transcripts (kind, created_ms, job, text, segments, language, model, backend, duration_seconds,
             source_file, app, finished_text, mode, finishing, speakers, speaker_names)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          finished.kind,
          this.now().getTime(),
          finished.job,
          finishing?.spokenText ?? transcript.text,
          JSON.stringify(transcript.segments),
          transcript.language,
          transcript.model,
          transcript.backend,
          transcript.durationSeconds,
          // Names a client gave (a file's, an app's) are kept as plain lines (plain-text.ts).
          finished.sourceFile === null ? null : plainLine(finished.sourceFile),
          finished.app === null ? null : plainLine(finished.app),
          finishing?.finishedText ?? null,
          finishing?.mode ?? finished.mode ?? null,
          finishing?.finishedText ? finishing.engine : null,
          transcript.speakers ?? null,
          finished.speakerNames === undefined ? null : JSON.stringify(finished.speakerNames.map(keptName)),
        );
      return Number(result.lastInsertRowid);
    });
    const keeps = this.settings.historyKeepsRecordings;
    if (finished.audioFile && (keeps === "all" || (keeps === "dictations" && finished.kind === "dictation"))) {
      const kept = this.keepRecording(id, finished.audioFile);
      if (kept && finished.kind === "dictation") this.onDictationRecordingKept?.(id, kept);
    }
    return id;
  }

  /** The audio is linked (or copied) beside the database, so removing the original (an upload, a dictation's) keeps it. */
  private keepRecording(id: number, audioFile: string): string | null {
    try {
      mkdirSync(this.recordingsFolder, { recursive: true, mode: 0o700 });
      const kept = path.join(this.recordingsFolder, `${id}${path.extname(audioFile) || ".audio"}`);
      try {
        linkSync(audioFile, kept);
      } catch {
        copyFileSync(audioFile, kept);
      }
      makePrivate(kept);
      this.database().prepare("UPDATE transcripts SET recording = ? WHERE id = ?").run(kept, id);
      this.resolve("recording");
      return kept;
    } catch (error) {
      this.report("recording", `the recording of history entry ${id} could not be kept: ${describe(error)}`);
      return null;
    }
  }

  /**
   * Keeps a dictation's finished text and mode, made after it was recorded (by a client: Raycast AI; by a mode
   * switched to). One still waiting in memory gets it there. False when the history has no such dictation.
   */
  setFinished(job: string, finishing: FinishingData): boolean {
    const waiting = this.pending.find((finished) => finished.kind === "dictation" && finished.job === job);
    if (waiting) {
      waiting.transcript = { ...waiting.transcript, finishing };
      return true;
    }
    return this.writing(
      () =>
        this.database()
          .prepare(
            "UPDATE transcripts SET finished_text = ?, finishing = ?, mode = ? WHERE kind = 'dictation' AND job = ?",
          )
          .run(finishing.finishedText, finishing.finishedText ? finishing.engine : null, finishing.mode, job).changes >
        0,
    );
  }

  /** Deletes a dictation's entry and its kept recording (one still waiting in memory is given up). */
  forget(job: string): void {
    const waiting = this.pending.findIndex((finished) => finished.kind === "dictation" && finished.job === job);
    if (waiting >= 0) this.pending.splice(waiting, 1);
    else this.deleteWhere("kind = 'dictation' AND job = ?", job);
  }

  /** Points an entry at another file for its recording, if it still has `from`; false when it does not. */
  replaceRecording(id: number, from: string, to: string): boolean {
    return this.writing(
      () =>
        this.database().prepare("UPDATE transcripts SET recording = ? WHERE id = ? AND recording = ?").run(to, id, from)
          .changes === 1,
    );
  }

  /** Dictations whose kept recording is still the WAV (its compression had not run when the daemon stopped). */
  uncompressedDictationRecordings(): { id: number; recording: string }[] {
    if (!this.db) return [];
    return this.db
      .prepare("SELECT id, recording FROM transcripts WHERE kind = 'dictation' AND recording LIKE '%.wav'")
      .all() as { id: number; recording: string }[];
  }

  /** How many kept recordings there are and the disk space they take. */
  recordingsUsage(): { count: number; bytes: number } {
    const folder = this.recordingsFolder;
    if (!existsSync(folder)) return { count: 0, bytes: 0 };
    let count = 0;
    let bytes = 0;
    for (const name of readdirSync(folder)) {
      try {
        bytes += statSync(path.join(folder, name)).size;
        if (!name.endsWith(".partial")) count++;
      } catch {
        // Deleted meanwhile.
      }
    }
    return { count, bytes };
  }

  private deleteWhere(condition: string, value: number | string): number {
    return this.writing(() => {
      const db = this.database();
      const recordings = db
        .prepare(`SELECT recording FROM transcripts WHERE ${condition} AND recording IS NOT NULL`)
        .all(value)
        .map((row) => String(row.recording));
      const deleted = Number(db.prepare(`DELETE FROM transcripts WHERE ${condition}`).run(value).changes);
      for (const recording of recordings) rmSync(recording, { force: true });
      return deleted;
    });
  }

  /**
   * Runs a write; when it finds the database damaged (SQLITE_CORRUPT, SQLITE_NOTADB), the file is moved aside, a
   * new one opened and the write made again, so a transcript is not lost to a damaged file.
   */
  private writing<T>(write: () => T): T {
    try {
      return write();
    } catch (error) {
      if (!isDamage(error)) throw error;
      this.closeDatabase();
      const aside = moveAside(this.file, this.now());
      this.report(
        "replaced",
        `the history database was damaged (${describe(error)}); it was moved to ${aside} and a new, empty history ` +
          "started. Older transcripts are in that file if you need them (any SQLite tool opens it).",
      );
      this.open();
      return write();
    }
  }

  /**
   * Opens the database (a damaged one is replaced); false, with a notice saying why, when it cannot be used now. Once
   * it opens after it could not, the next retry (at once) writes what waits, applies retention and tells onLateOpen.
   */
  private open(): boolean {
    try {
      const opened = openHistoryDatabase(this.file, this.now);
      this.db = opened.db;
      if (this.openFailure !== null) {
        this.openFailure = null;
        this.retentionDue = true;
        this.lateOpenDue = true;
        this.retryIn(0);
      }
      this.resolve("unavailable");
      if (opened.notice) this.report("replaced", opened.notice);
      return true;
    } catch (error) {
      this.db = null;
      this.openFailure = describe(error);
      this.report("unavailable", unavailable(this.file, error));
      return false;
    }
  }

  /** The open database; a closed one is opened first. Throws HistoryError (saying why) when it cannot be. */
  private database(): SqliteDatabase {
    if (!this.db && !this.open()) {
      throw new HistoryError("history", this.problems.get("unavailable") ?? `the history database is not open`);
    }
    return this.db!;
  }

  /** Sets the notice of this kind (the latest notice comes last); logs it unless it is already the one set. */
  private report(kind: NoticeKind, message: string): void {
    const known = this.problems.get(kind) === message;
    this.problems.delete(kind);
    this.problems.set(kind, message);
    if (!known) this.log.warn(message);
  }

  private resolve(kind: NoticeKind): void {
    this.problems.delete(kind);
  }
}

/** The notice for a database that cannot be opened now: it is left as it is, and what to do. */
function unavailable(file: string, error: unknown): string {
  const retrying =
    `it was left as it is and is opened again every ${RETRY_MS / 1000} s; until then history requests fail and ` +
    "transcripts wait in memory, to be added once it opens";
  if (isLocked(error)) {
    return (
      `the history database ${file} is locked by another process (${describe(error)}): ${retrying}. ` +
      "Close the program holding it (an sqlite3 shell, a backup or sync tool)."
    );
  }
  return (
    `the history database ${file} could not be opened (${describe(error)}): ${retrying}. Check that its folder is ` +
    "writable and the disk has room (a database from a newer Verbatim needs that version)."
  );
}

function entryOf(row: Row): HistoryEntry {
  return {
    id: row.id,
    kind: row.kind,
    createdAt: new Date(row.created_ms).toISOString(),
    job: row.job,
    text: row.text,
    language: row.language,
    model: row.model,
    backend: row.backend,
    durationSeconds: row.duration_seconds,
    sourceFile: row.source_file,
    app: row.app,
    recording: row.recording,
    finishedText: row.finished_text,
    mode: row.mode,
    finishing: row.finishing,
    ...(row.speakers !== null && { speakers: row.speakers, speakerNames: speakerNamesOf(row) }),
  };
}

/** A speaker's name as kept: one plain line; empty or null is unnamed ("Speaker N"). */
function keptName(name: string | null): string | null {
  return plainLine(name ?? "").trim() || null;
}

/** The names kept for the entry's speakers, one for each (null: unnamed). */
function speakerNamesOf(row: Row): (string | null)[] {
  const kept = row.speaker_names === null ? [] : (JSON.parse(row.speaker_names) as (string | null)[]);
  return Array.from({ length: row.speakers ?? 0 }, (_, speaker) => kept[speaker] ?? null);
}

/** The snippet of the entry's text, or of its finished text where that holds more of the words. */
function bestSnippet(row: Row, query: SearchQuery): HistorySnippet {
  const spoken = snippetOf(row.text, query);
  const finished = row.finished_text === null ? null : snippetOf(row.finished_text, query);
  return finished && finished.found > spoken.found ? finished.snippet : spoken.snippet;
}

/** `rows` holds up to limit + 1 entries: the extra one says whether another page follows. */
function page(entries: HistoryEntry[], limit: number): HistoryPage {
  const more = entries.length > limit;
  const shown = more ? entries.slice(0, limit) : entries;
  return { entries: shown, nextBeforeId: more ? shown[shown.length - 1]!.id : null };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** No entry has this id: said the same to every client (the socket, the CLI, MCP). */
function noEntry(id: number): HistoryError {
  return new HistoryError(
    "not_found",
    `no history entry ${id} (it may have been deleted); list or search the history for the ids it has`,
  );
}
