// The history's SQLite file: opened in WAL mode with a busy timeout, checked, and migrated to the current schema.
// Only a damaged file (it fails SQLite's integrity check, or SQLite says it is corrupt or not a database) is renamed
// aside (with its -wal and -shm) and a fresh one created, so a damaged database never stops the daemon. A healthy
// file that cannot be used now (another process holds a lock on it, its schema is newer, it cannot be read) is left
// as it is: opening throws, and the caller tries again later. SQLite is Node's own (node:sqlite, with FTS5): nothing
// to compile, and nothing to rebuild when Node is upgraded.
import { existsSync, mkdirSync, renameSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { createPrivate, makePrivate } from "./private-files";

export type SqliteDatabase = DatabaseSync;

/** How long a statement waits for a lock another process holds before it fails: writes block the event loop. */
const BUSY_TIMEOUT_MS = 250;

/** Each step brings the schema from version index to index + 1 (PRAGMA user_version). */
const MIGRATIONS: string[] = [
  `CREATE TABLE transcripts (
     id INTEGER PRIMARY KEY,
     kind TEXT NOT NULL CHECK (kind IN ('file', 'dictation')),
     created_ms INTEGER NOT NULL,
     job TEXT NOT NULL,
     text TEXT NOT NULL,
     segments TEXT NOT NULL,
     language TEXT,
     model TEXT NOT NULL,
     backend TEXT NOT NULL,
     duration_seconds REAL NOT NULL,
     source_file TEXT,
     app TEXT,
     recording TEXT
   );
   CREATE INDEX transcripts_created ON transcripts (created_ms);
   CREATE VIRTUAL TABLE transcripts_text USING fts5 (
     text, content = 'transcripts', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
   );
   CREATE TRIGGER transcripts_text_insert AFTER INSERT ON transcripts BEGIN
     INSERT INTO transcripts_text (rowid, text) VALUES (new.id, new.text);
   END;
   CREATE TRIGGER transcripts_text_delete AFTER DELETE ON transcripts BEGIN
     INSERT INTO transcripts_text (transcripts_text, rowid, text) VALUES ('delete', old.id, old.text);
   END;`,
  // Modes: a dictation's finished text beside what was said (text), its mode and the engine that finished it.
  `ALTER TABLE transcripts ADD COLUMN finished_text TEXT;
   ALTER TABLE transcripts ADD COLUMN mode TEXT;
   ALTER TABLE transcripts ADD COLUMN finishing TEXT;`,
  // Search finds a dictation by its finished text too: the index takes both texts, and follows a finished text kept
  // after the entry was written (an update).
  `DROP TRIGGER transcripts_text_insert;
   DROP TRIGGER transcripts_text_delete;
   DROP TABLE transcripts_text;
   CREATE VIRTUAL TABLE transcripts_text USING fts5 (
     text, finished_text, content = 'transcripts', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
   );
   CREATE TRIGGER transcripts_text_insert AFTER INSERT ON transcripts BEGIN
     INSERT INTO transcripts_text (rowid, text, finished_text) VALUES (new.id, new.text, new.finished_text);
   END;
   CREATE TRIGGER transcripts_text_delete AFTER DELETE ON transcripts BEGIN
     INSERT INTO transcripts_text (transcripts_text, rowid, text, finished_text)
       VALUES ('delete', old.id, old.text, old.finished_text);
   END;
   CREATE TRIGGER transcripts_text_update AFTER UPDATE OF text, finished_text ON transcripts BEGIN
     INSERT INTO transcripts_text (transcripts_text, rowid, text, finished_text)
       VALUES ('delete', old.id, old.text, old.finished_text);
     INSERT INTO transcripts_text (rowid, text, finished_text) VALUES (new.id, new.text, new.finished_text);
   END;
   INSERT INTO transcripts_text (transcripts_text) VALUES ('rebuild');`,
  // Speakers: how many a transcript with speakers has (its segments and words carry theirs) and the names a user gave
  // them (JSON: index = speaker, null = unnamed); both null for a transcript without speakers.
  `ALTER TABLE transcripts ADD COLUMN speakers INTEGER;
   ALTER TABLE transcripts ADD COLUMN speaker_names TEXT;`,
  // Meetings: kind may be 'meeting'. SQLite cannot change a CHECK, so the table is made anew with every row (ids
  // kept); dropping the old one drops its index and triggers, made again as before, and the index is rebuilt.
  `CREATE TABLE transcripts_new (
     id INTEGER PRIMARY KEY,
     kind TEXT NOT NULL CHECK (kind IN ('file', 'dictation', 'meeting')),
     created_ms INTEGER NOT NULL,
     job TEXT NOT NULL,
     text TEXT NOT NULL,
     segments TEXT NOT NULL,
     language TEXT,
     model TEXT NOT NULL,
     backend TEXT NOT NULL,
     duration_seconds REAL NOT NULL,
     source_file TEXT,
     app TEXT,
     recording TEXT,
     finished_text TEXT,
     mode TEXT,
     finishing TEXT,
     speakers INTEGER,
     speaker_names TEXT
   );
   INSERT INTO transcripts_new (id, kind, created_ms, job, text, segments, language, model, backend, duration_seconds,
       source_file, app, recording, finished_text, mode, finishing, speakers, speaker_names)
     SELECT id, kind, created_ms, job, text, segments, language, model, backend, duration_seconds, source_file, app,
       recording, finished_text, mode, finishing, speakers, speaker_names
     FROM transcripts;
   DROP TABLE transcripts;
   ALTER TABLE transcripts_new RENAME TO transcripts;
   CREATE INDEX transcripts_created ON transcripts (created_ms);
   CREATE TRIGGER transcripts_text_insert AFTER INSERT ON transcripts BEGIN
     INSERT INTO transcripts_text (rowid, text, finished_text) VALUES (new.id, new.text, new.finished_text);
   END;
   CREATE TRIGGER transcripts_text_delete AFTER DELETE ON transcripts BEGIN
     INSERT INTO transcripts_text (transcripts_text, rowid, text, finished_text)
       VALUES ('delete', old.id, old.text, old.finished_text);
   END;
   CREATE TRIGGER transcripts_text_update AFTER UPDATE OF text, finished_text ON transcripts BEGIN
     INSERT INTO transcripts_text (transcripts_text, rowid, text, finished_text)
       VALUES ('delete', old.id, old.text, old.finished_text);
     INSERT INTO transcripts_text (rowid, text, finished_text) VALUES (new.id, new.text, new.finished_text);
   END;
   INSERT INTO transcripts_text (transcripts_text) VALUES ('rebuild');`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export interface OpenedDatabase {
  db: SqliteDatabase;
  /** Set when the file found was unusable and moved aside: what happened and where the old file is. */
  notice: string | null;
}

/** The file failed SQLite's integrity check. */
class FailedCheck extends Error {}

/**
 * Opens (creating if needed) the history database at `file`. A damaged file is moved to `<file>.corrupt-<time>` and
 * replaced by an empty database; the notice says so. Throws, leaving the file as it is, when it cannot be used for
 * another reason (locked by another process: see isLocked; a newer schema; the folder is not writable; the disk is
 * full).
 */
export function openHistoryDatabase(file: string, now: () => Date = () => new Date()): OpenedDatabase {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    return { db: openChecked(file), notice: null };
  } catch (error) {
    if (!(error instanceof FailedCheck) && !isDamage(error)) throw error;
    const aside = moveAside(file, now());
    const reason = error instanceof Error ? error.message : String(error);
    return {
      db: openChecked(file),
      notice:
        `The transcript history database could not be used (${reason}); it was moved to ${aside} and a new, empty ` +
        "history started. Older transcripts are in that file if you need them (any SQLite tool opens it).",
    };
  }
}

function openChecked(file: string): SqliteDatabase {
  // SQLite makes the -wal and -shm with the database's mode, and a new database with the umask's.
  createPrivate(file);
  for (const suffix of ["-wal", "-shm"]) makePrivate(file + suffix);
  const db = new DatabaseSync(file);
  try {
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = NORMAL");
    const check = db
      .prepare("PRAGMA quick_check")
      .all()
      .map((row) => String(row.quick_check));
    if (check.join() !== "ok") throw new FailedCheck(`the integrity check failed: ${check.join("; ")}`);
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Brings the schema to `upTo` (the current version; an earlier one only where a test needs a past schema). */
export function migrate(db: SqliteDatabase, upTo = SCHEMA_VERSION): void {
  const version = Number(db.prepare("PRAGMA user_version").get()?.user_version);
  if (version > SCHEMA_VERSION) {
    throw new Error(`its schema version ${version} is newer than this Verbatim's ${SCHEMA_VERSION}`);
  }
  for (let step = version; step < upTo; step++) {
    inTransaction(db, () => {
      db.exec(MIGRATIONS[step]!);
      db.exec(`PRAGMA user_version = ${step + 1}`);
    });
  }
}

/** Runs `work` in a transaction: committed when it returns, rolled back when it throws. */
export function inTransaction<T>(db: SqliteDatabase, work: () => T): T {
  db.exec("BEGIN");
  try {
    const result = work();
    db.exec("COMMIT");
    return result;
  } catch (error) {
    try {
      db.exec("ROLLBACK");
    } catch {
      // SQLite has already rolled back after some errors (a full disk, an I/O error): there is nothing to undo.
    }
    throw error;
  }
}

/** Whether an error from SQLite says the file is damaged or not a database (SQLITE_CORRUPT, SQLITE_NOTADB). */
export function isDamage(error: unknown): boolean {
  const errcode = (error as { errcode?: unknown } | null)?.errcode;
  return typeof errcode === "number" && [SQLITE_CORRUPT, SQLITE_NOTADB].includes(errcode & 0xff);
}

/** Whether an error from SQLite says another connection holds a lock it needs (SQLITE_BUSY, SQLITE_LOCKED). */
export function isLocked(error: unknown): boolean {
  const errcode = (error as { errcode?: unknown } | null)?.errcode;
  return typeof errcode === "number" && [SQLITE_BUSY, SQLITE_LOCKED].includes(errcode & 0xff);
}

const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_CORRUPT = 11;
const SQLITE_NOTADB = 26;

/** Renames the database and its WAL files to `<file>.corrupt-<time>…`; returns the new name of the database. */
export function moveAside(file: string, at: Date): string {
  const aside = `${file}.corrupt-${at
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z")}`;
  for (const suffix of ["", "-wal", "-shm"]) {
    if (existsSync(file + suffix)) renameSync(file + suffix, aside + suffix);
  }
  return aside;
}
