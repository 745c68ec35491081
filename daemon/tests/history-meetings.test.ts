// Meetings in the history (real SQLite file): a database of the schema before meetings (version 4) is migrated with
// every entry, its id and its search intact; a meeting's transcript is recorded with its speakers' names from the
// start, read back, searched, named further and exported as a meeting.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { migrate, SCHEMA_VERSION } from "../src/history/history-database";
import { TranscriptHistory } from "../src/history/transcript-history";
import type { TranscriptData } from "../src/protocol";

const work = mkdtempSync(path.join(os.tmpdir(), "verbatim-meetings-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const settings = { history: true, historyDays: 0, historyKeepsRecordings: "all" as const };
const silentLog = { warn: () => undefined };

/** The schema as Verbatim left it at version 4 (speakers), where kind could be only 'file' or 'dictation'. */
const VERSION_BEFORE_MEETINGS = 4;

const searchIds = (history: TranscriptHistory, query: string) =>
  history.answer({ type: "history.search", id: "s", query }).history!.entries.map((entry) => entry.id);

test("a version 4 database is migrated with every entry, its id and its search; meetings may then be kept", () => {
  const state = path.join(work, "migrated");
  mkdirSync(path.join(state, "history"), { recursive: true });
  const file = path.join(state, "history", "history.sqlite");
  const old = new DatabaseSync(file);
  migrate(old, VERSION_BEFORE_MEETINGS);
  const insert = old.prepare(
    `INSERT INTO transcripts (id, kind, created_ms, job, text, segments, language, model, backend, duration_seconds,
       source_file, app, finished_text, mode, finishing, speakers, speaker_names)
       VALUES (?, ?, ?, 'job', ?, ?, 'en', 'm', 'cpu', 2.5, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const conversation = [
    { start: 0, end: 1, text: "Hello Bob.", speaker: 0 },
    { start: 1, end: 2, text: "Hi Alice.", speaker: 1 },
  ];
  insert.run(
    4,
    "file",
    1000,
    "The budget review notes",
    "[]",
    "/Users/ana/budget.m4a",
    null,
    null,
    null,
    null,
    null,
    null,
  );
  insert.run(
    9,
    "dictation",
    2000,
    "call maria tomorrow",
    "[]",
    null,
    "Mail",
    "Call María tomorrow about the invoice.",
    "Email",
    "local",
    null,
    null,
  );
  insert.run(
    12,
    "file",
    3000,
    "Hello Bob. Hi Alice.",
    JSON.stringify(conversation),
    "/Users/ana/call.m4a",
    null,
    null,
    null,
    null,
    2,
    JSON.stringify(["Alice", null]),
  );
  const before = (query: string) =>
    old.prepare("SELECT rowid FROM transcripts_text WHERE transcripts_text MATCH ? ORDER BY rowid").all(query);
  expect(before("invoice")).toEqual([{ rowid: 9 }]);
  expect(() =>
    old.exec(`INSERT INTO transcripts (kind, created_ms, job, text, segments, model, backend, duration_seconds)
      VALUES ('meeting', 1, 'j', 't', '[]', 'm', 'cpu', 1)`),
  ).toThrow(/CHECK constraint failed/);
  const rowsBefore = old.prepare("SELECT * FROM transcripts ORDER BY id").all();
  old.close();

  const history = new TranscriptHistory(state, settings, silentLog);
  try {
    const migrated = new DatabaseSync(file, { readOnly: true });
    expect(migrated.prepare("PRAGMA user_version").get()).toEqual({ user_version: SCHEMA_VERSION });
    expect(migrated.prepare("SELECT * FROM transcripts ORDER BY id").all()).toEqual(rowsBefore);
    expect(
      migrated
        .prepare(
          "SELECT type, name FROM sqlite_master WHERE tbl_name = 'transcripts' AND type != 'table' ORDER BY name",
        )
        .all(),
    ).toEqual([
      { type: "index", name: "transcripts_created" },
      { type: "trigger", name: "transcripts_text_delete" },
      { type: "trigger", name: "transcripts_text_insert" },
      { type: "trigger", name: "transcripts_text_update" },
    ]);
    migrated.close();

    // Search finds the old entries by their text and finished text, by the same ids.
    expect(searchIds(history, "budget")).toEqual([4]);
    expect(searchIds(history, "maria invoice")).toEqual([9]);
    expect(searchIds(history, "alice")).toEqual([12]);
    expect(history.answer({ type: "history.get", id: "g", entry: 12 }).historyEntry).toMatchObject({
      speakers: 2,
      speakerNames: ["Alice", null],
      segments: conversation,
    });

    // The index follows inserts, updates and deletes made after the migration.
    expect(history.record(meetingFinished("/Users/ana/Meetings/budget", "meeting-1"))).toBeNull();
    expect(searchIds(history, "budget")).toEqual([13, 4]);
    history.answer({ type: "history.delete", id: "d", entry: 4 });
    expect(searchIds(history, "budget")).toEqual([13]);
    expect(searchIds(history, "bruno")).toEqual([]);
    const other = new DatabaseSync(file);
    other.prepare("UPDATE transcripts SET finished_text = 'Ask Bruno' WHERE id = 9").run();
    expect(() =>
      other.exec(`INSERT INTO transcripts (kind, created_ms, job, text, segments, model, backend, duration_seconds)
        VALUES ('other', 1, 'j', 't', '[]', 'm', 'cpu', 1)`),
    ).toThrow(/CHECK constraint failed/);
    other.close();
    expect(searchIds(history, "bruno")).toEqual([9]);
    expect(searchIds(history, "invoice")).toEqual([]);
  } finally {
    history.close();
  }
});

/** A meeting of two speakers: the microphone's ("You", speaker 0) and the system audio's (speaker 1). */
function meetingFinished(folder: string, job: string) {
  const transcript: TranscriptData = {
    text: "Shall we go through the budget? Yes, the travel line is over.",
    language: "en",
    durationSeconds: 95,
    segments: [
      { start: 0, end: 2, text: " Shall we go through the budget?", speaker: 0 },
      { start: 2.5, end: 5, text: " Yes, the travel line is over.", speaker: 1 },
    ],
    model: "m",
    backend: "cpu",
    speakers: 2,
  };
  return {
    kind: "meeting" as const,
    job,
    transcript,
    sourceFile: folder,
    app: null,
    audioFile: null,
    speakerNames: ["You", null],
  };
}

test("a meeting is kept as a meeting, its speakers named from the start, and found, named and exported as one", () => {
  const state = path.join(work, "meeting");
  const history = new TranscriptHistory(state, settings, silentLog);
  try {
    const folder = "/Users/ana/Meetings/2026-11-28 10.00";
    expect(history.record(meetingFinished(folder, "meeting-7"))).toBeNull();
    const entry = history.answer({ type: "history.get", id: "g", entry: 1 }).historyEntry!;
    expect(entry).toMatchObject({
      kind: "meeting",
      job: "meeting-7",
      sourceFile: folder,
      recording: null,
      speakers: 2,
      speakerNames: ["You", null],
    });
    expect(entry.segments.map((segment) => segment.speaker)).toEqual([0, 1]);
    expect(history.answer({ type: "history.list", id: "l" }).history!.entries[0]).toMatchObject({ kind: "meeting" });
    expect(searchIds(history, "travel line")).toEqual([1]);

    const markdown = history.answer({ type: "history.export", id: "e", format: "markdown" }).exported!;
    expect(markdown).toContain(`_Meeting ${folder} · 1 min 35 s · en · m_`);
    expect(markdown).toContain(
      "**You:** Shall we go through the budget?\n\n**Speaker 2:** Yes, the travel line is over.",
    );

    // Naming the other speaker keeps "You".
    history.answer({ type: "history.speakers", id: "n", entry: 1, names: [{ speaker: 1, name: "Ana" }] });
    const json = JSON.parse(history.answer({ type: "history.export", id: "j", format: "json" }).exported!);
    expect(json.entries[0]).toMatchObject({ kind: "meeting", speakerNames: ["You", "Ana"] });
  } finally {
    history.close();
  }
});

test("names given with a transcript are kept as plain lines, empty ones unnamed", () => {
  const history = new TranscriptHistory(path.join(work, "names"), settings, silentLog);
  try {
    history.record({
      ...meetingFinished("/Users/ana/Meetings/x", "meeting-8"),
      speakerNames: [" You (host)\u202e\n", "  "],
    });
    const entry = history.answer({ type: "history.get", id: "g", entry: 1 }).historyEntry!;
    expect(entry.speakerNames).toEqual(["You (host)", null]);
  } finally {
    history.close();
  }
});
