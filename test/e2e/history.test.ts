// The transcript history through the real daemon on a real socket, the real engine on the trained fixture model,
// held-out speech and a real SQLite file: file jobs, uploads and dictations are recorded and found by full-text
// search; paging, export, the CLI, deleting (a date that does not exist deletes nothing; the CLI says how many and
// asks) and retention; kept recordings; and a damaged or locked database never costs a transcription or a transcript
// (a locked one, held by another process, is left as it is, and its notices clear once what they speak of is done).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { DaemonError, type DaemonClient } from "../../daemon/src/client";
import type { DaemonStatus, Event, HistoryEntryDetail, HistoryPage } from "../../daemon/src/protocol";
import { heldoutWav, pcmOf, sendPcm, startDictation, stopDictation, waitFor } from "../support/dictation";
import { cliEntry, DaemonProcess } from "../support/daemon-process";
import { fixtureModel } from "../support/fixtures";
import { onTerminal } from "../support/terminal";

jest.setTimeout(180_000);

const DAY_MS = 24 * 60 * 60 * 1000;
let daemon: DaemonProcess;
let client: DaemonClient;
const historyFolder = () => path.join(daemon.home, "state", "history");
const databaseFile = () => path.join(historyFolder(), "history.sqlite");

type HistoryRequest = Extract<Parameters<DaemonClient["request"]>[0], { type: `history.${string}` }>;

async function history(request: HistoryRequest): Promise<Extract<Event, { type: "done" }>> {
  const event = await client.request(request);
  if (event.type !== "done") throw new Error(`${request.type} answered ${event.type}`);
  return event;
}
const list = async (limit?: number, beforeId?: number): Promise<HistoryPage> =>
  (await history({ type: "history.list", ...(limit && { limit }), ...(beforeId && { beforeId }) })).history!;
const search = async (query: string): Promise<HistoryPage> =>
  (await history({ type: "history.search", query })).history!;
const entry = async (id: number): Promise<HistoryEntryDetail> =>
  (await history({ type: "history.get", entry: id })).historyEntry!;

async function refusal(request: HistoryRequest): Promise<DaemonError> {
  const error: unknown = await history(request).then(
    () => null,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(DaemonError);
  return error as DaemonError;
}

async function dictate(wav: string, app?: string) {
  const following = await startDictation(client, "stream", app ? { app } : undefined);
  sendPcm(client, following.session, await pcmOf(heldoutWav(wav)));
  const transcript = await stopDictation(client, following.session);
  return { session: following.session, transcript };
}

/** The dictation's kept recording once its compression has run (in the background): the entry then names the FLAC. */
async function compressedRecording(session: string): Promise<string> {
  for (let tries = 0; tries < 100; tries++) {
    const recording = (await list()).entries.find((e) => e.job === session)?.recording;
    if (recording?.endsWith(".flac")) return recording;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the recording of dictation ${session} was not compressed`);
}

/** Restarts the daemon with these config keys changed. */
async function restart(changes: Record<string, unknown>): Promise<void> {
  const file = path.join(daemon.home, "config.json");
  client.close();
  await daemon.stop();
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, "utf8")), ...changes }));
  await daemon.start();
  await daemon.waitForModel();
  client = await daemon.connect();
}

/** A word of `text` (lower case) that appears in none of `others`. */
function distinctiveWord(text: string, others: string[]): string {
  const words = (t: string) => t.toLowerCase().match(/[a-z]{4,}/g) ?? [];
  const taken = new Set(others.flatMap(words));
  const word = words(text).find((w) => !taken.has(w));
  if (!word) throw new Error(`no word of "${text}" is missing from the others`);
  return word;
}

const verbatim = (...args: string[]) => daemon.cli(...args);

/** Today plus `days`, as YYYY-MM-DD in local time. */
function localDay(days: number): string {
  const date = new Date(Date.now() + days * DAY_MS);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}`;
}

/** Files the history moved aside as damaged. */
const movedAside = () => readdirSync(historyFolder()).filter((name) => name.includes(".corrupt-"));

/** Killed after each test, so that a failed test leaves no lock behind (nor keeps Jest waiting). */
const lockHolders: ChildProcess[] = [];

/**
 * Another process (node:sqlite, SQLite's own locking) that holds an exclusive lock on the database until released:
 * `BEGIN EXCLUSIVE`, in SQLite's exclusive locking mode when `lockingMode` (then nobody else can even read it).
 */
async function holdExclusiveLock(file: string, lockingMode: boolean): Promise<{ release(): Promise<void> }> {
  const script = `
    const { DatabaseSync } = require("node:sqlite");
    const db = new DatabaseSync(process.argv[1]);
    if (process.argv[2] === "exclusive") db.exec("PRAGMA locking_mode = EXCLUSIVE");
    db.exec("BEGIN EXCLUSIVE");
    process.stdout.write("locked\\n");
    process.stdin.on("end", () => { db.exec("COMMIT"); db.close(); });
    process.stdin.resume();`;
  const holder = spawn(process.execPath, ["-e", script, file, lockingMode ? "exclusive" : "normal"], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  lockHolders.push(holder);
  let errors = "";
  holder.stderr.on("data", (chunk) => (errors += chunk));
  const exited = new Promise<number | null>((resolve) => holder.once("exit", resolve));
  await new Promise<void>((resolve, reject) => {
    holder.stdout.once("data", () => resolve());
    void exited.then((code) => reject(new Error(`the lock holder exited with ${code}: ${errors}`)));
  });
  return {
    release: async () => {
      holder.stdin.end();
      expect(await exited).toBe(0);
    },
  };
}

/** Polls the status until `check` holds (the history retries every 10 s). */
async function statusWhen(check: (status: DaemonStatus) => boolean, what: string): Promise<DaemonStatus> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = await client.status();
    if (check(status)) return status;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(status.history)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  daemon = await DaemonProcess.ready({ model: fixtureModel(), threads: 2 });
  client = await daemon.connect();
});

afterEach(() => {
  for (const holder of lockHolders.splice(0)) if (holder.exitCode === null) holder.kill();
});

afterAll(async () => {
  client?.close();
  await daemon?.dispose();
});

test("file jobs, uploads and dictations are recorded; search finds words from each, newest first, with highlights", async () => {
  const file = heldoutWav("heldout-07.wav");
  const fromFile = await client.transcribeFile(file, { options: { app: "TextEdit" } }).promise;
  const fromUpload = await client.transcribeBytes(readFileSync(heldoutWav("heldout-03.wav")), "memo.wav").promise;
  const dictated = await dictate("heldout-05.wav", "Notes");

  const { entries, nextBeforeId } = await list();
  expect(nextBeforeId).toBeNull();
  expect(entries.map((e) => [e.kind, e.text, e.sourceFile, e.app])).toEqual([
    ["dictation", dictated.transcript.text, null, "Notes"],
    ["file", fromUpload.text, "memo.wav", null],
    ["file", fromFile.text, file, "TextEdit"],
  ]);
  expect(entries[0]!.job).toBe(dictated.session);
  // By default only a dictation's recording is kept (historyKeepsRecordings "dictations").
  expect(entries.map((e) => e.recording === null)).toEqual([false, true, true]);
  expect(entries[2]!.model).toBe(fromFile.model);
  expect(entries[2]!.durationSeconds).toBeCloseTo(fromFile.durationSeconds, 5);
  expect(Date.parse(entries[0]!.createdAt)).toBeGreaterThanOrEqual(Date.parse(entries[2]!.createdAt));

  const detail = await entry(entries[2]!.id);
  expect(detail.segments).toEqual(fromFile.segments);
  expect(detail.language).toBe(fromFile.language);

  const texts = [fromFile.text, fromUpload.text, dictated.transcript.text];
  for (const [index, text] of texts.entries()) {
    const word = distinctiveWord(
      text,
      texts.filter((_, other) => other !== index),
    );
    const found = await search(word.toUpperCase());
    expect(found.entries.map((e) => e.text)).toEqual([text]);
    const snippet = found.entries[0]!.snippet!;
    expect(snippet.highlights.length).toBeGreaterThan(0);
    for (const { start, end } of snippet.highlights) expect(snippet.text.slice(start, end).toLowerCase()).toBe(word);
    // Search as you type: the last word matches as a prefix.
    const prefix = await search(word.slice(0, 3));
    expect(prefix.entries.map((e) => e.text)).toContain(text);
  }
  // Words must all occur: one from the file and one from the dictation match nothing together.
  const both = `${distinctiveWord(fromFile.text, texts.slice(1))} ${distinctiveWord(dictated.transcript.text, texts.slice(0, 2))}`;
  expect((await search(both)).entries).toEqual([]);
  // FTS5's syntax in the query is taken literally, never an error.
  expect((await search('" NEAR( * OR')).entries).toEqual([]);
  expect((await search("…")).entries).toEqual([]);

  // Pages follow newest first.
  const first = await list(2);
  expect(first.entries.map((e) => e.id)).toEqual(entries.slice(0, 2).map((e) => e.id));
  expect(first.nextBeforeId).toBe(entries[1]!.id);
  const second = await list(2, first.nextBeforeId!);
  expect(second).toEqual({ entries: [entries[2]], nextBeforeId: null });

  const markdown = (await history({ type: "history.export", format: "markdown" })).exported!;
  for (const text of texts) expect(markdown).toContain(text);
  const json = JSON.parse((await history({ type: "history.export", format: "json" })).exported!) as {
    entries: HistoryEntryDetail[];
  };
  expect(json.entries.map((e) => e.text)).toEqual(entries.map((e) => e.text));
  expect(json.entries[2]!.segments).toEqual(fromFile.segments);
});

test("the CLI lists, searches, shows and deletes; bad requests get typed errors", async () => {
  const { entries } = await list();
  const newest = entries[0]!;
  const listed = await verbatim("history");
  expect(listed.code).toBe(0);
  for (const e of entries) expect(listed.stdout).toContain(`#${e.id}  `);

  const word = distinctiveWord(
    newest.text,
    entries.slice(1).map((e) => e.text),
  );
  const searched = await verbatim("history", "--search", word, "--json");
  expect(searched.code).toBe(0);
  expect((JSON.parse(searched.stdout) as HistoryPage).entries.map((e) => e.id)).toEqual([newest.id]);
  const plain = await verbatim("history", "--search", word);
  expect(plain.stdout).toMatch(new RegExp(`\\[${word}\\]`, "i"));

  const shown = await verbatim("history", "show", String(newest.id));
  expect(shown.stdout).toContain(newest.text);
  expect(shown.stdout).toMatch(/\[\d+\.\d\d → \d+\.\d\d\]/);

  // One transcript: named and asked about as --before's are; without a terminal, deleted only with --yes.
  const piped = await verbatim("history", "rm", String(newest.id));
  expect(piped.code).toBe(2);
  expect(piped.stderr).toMatch(
    new RegExp(new RegExp(`would delete transcript #${newest.id} \\(.+\\); nothing was deleted.*add --yes`)),
  );
  const command = [process.execPath, cliEntry, "history", "rm", String(newest.id)];
  const declined = await onTerminal(command, daemon.env, "[y/N]", "n");
  expect(declined).toEqual({
    code: 0,
    output: expect.stringMatching(/^Delete transcript #\d+ .*\[y\/N\] n\nNothing was deleted\.\n$/),
  });
  expect((await list()).entries.map((e) => e.id)).toEqual(entries.map((e) => e.id));
  const accepted = await onTerminal(command, daemon.env, "[y/N]", "y");
  expect(accepted).toEqual({ code: 0, output: expect.stringMatching(/\[y\/N\] y\nDeleted 1 transcript\.\n$/) });
  expect((await list()).entries.map((e) => e.id)).toEqual(entries.slice(1).map((e) => e.id));
  const gone = await verbatim("history", "rm", String(newest.id), "--yes");
  expect(gone.code).toBe(7);
  expect(gone.stderr).toMatch(/no history entry/);
  expect((await verbatim("history", "rm", "--before", "tomorrow")).code).toBe(2);

  expect((await refusal({ type: "history.get", entry: 999_999 })).code).toBe("not_found");
  const bad = await client.request({ type: "history.delete", before: "31/01/2026" } as never).catch((e: unknown) => e);
  expect(bad).toMatchObject({ code: "bad_message", message: expect.stringMatching(/ISO 8601 date/) });
  const both = await client
    .request({ type: "history.delete", entry: 1, before: "2026-01-31" } as never)
    .catch((e: unknown) => e);
  expect(both).toMatchObject({ code: "bad_message", message: expect.stringMatching(/either "entry" or "before"/) });

  expect((await verbatim("history", "rm", "--before", localDay(1), "--yes")).stdout).toBe("Deleted 2 transcripts.\n");
  expect((await list()).entries).toEqual([]);
});

test("history rm --before: a date that does not exist deletes nothing; it says how many it deletes and asks first", async () => {
  for (const wav of ["heldout-01.wav", "heldout-02.wav"]) await client.transcribeFile(heldoutWav(wav)).promise;
  const kept = (await list()).entries;
  expect(kept).toHaveLength(2);

  // Each of these once rolled over into a later day (2026-13-45 was 2027-02-14) and deleted everything before it.
  for (const date of [
    "2026-13-45",
    "2026-11-31",
    "2026-02-30",
    "2025-02-29",
    "9999-13-45",
    "9999-02-30",
    "9999-12-31T24:00",
  ]) {
    const cli = await verbatim("history", "rm", "--before", date, "--yes");
    expect(cli).toMatchObject({ code: 2, stderr: expect.stringMatching(/a date that exists.*nothing was deleted/) });
    const requests: HistoryRequest[] = [
      { type: "history.delete", before: date },
      { type: "history.count", before: date },
    ];
    for (const request of requests) {
      const refused = await client.request(request).catch((e: unknown) => e);
      expect(refused).toMatchObject({
        code: "bad_message",
        message: expect.stringMatching(/ISO 8601 date that exists/),
      });
    }
  }
  expect((await list()).entries).toEqual(kept);
  expect(await history({ type: "history.count", before: new Date(Date.now() + DAY_MS).toISOString() })).toMatchObject({
    count: 2,
  });

  // No terminal to ask on and no --yes: it says how many it would delete, and deletes none.
  const tomorrow = localDay(1);
  const piped = await verbatim("history", "rm", "--before", tomorrow);
  expect(piped.code).toBe(2);
  expect(piped.stderr).toMatch(
    new RegExp(`would delete 2 transcripts finished before ${tomorrow} 00:00; nothing was deleted.*add --yes`),
  );
  expect((await list()).entries).toEqual(kept);

  // On a terminal it asks; anything but yes deletes nothing.
  const command = [process.execPath, cliEntry, "history", "rm", "--before", tomorrow];
  const declined = await onTerminal(command, daemon.env, "[y/N]", "n");
  expect(declined.output).toBe(
    `Delete 2 transcripts finished before ${tomorrow} 00:00? [y/N] n\nNothing was deleted.\n`,
  );
  expect(declined.code).toBe(0);
  expect((await list()).entries).toEqual(kept);
  const accepted = await onTerminal(command, daemon.env, "[y/N]", "y");
  expect(accepted).toEqual({ code: 0, output: expect.stringMatching(/\[y\/N\] y\nDeleted 2 transcripts\.\n$/) });
  expect((await list()).entries).toEqual([]);
  expect(await verbatim("history", "rm", "--before", tomorrow)).toMatchObject({
    code: 0,
    stdout: `No transcripts finished before ${tomorrow} 00:00; nothing was deleted.\n`,
  });
});

test("a dictation's kept recording is compressed to FLAC without loss; status shows the disk they take", async () => {
  const dictated = await dictate("heldout-04.wav");
  const entryOf = async () => (await list()).entries.find((e) => e.job === dictated.session)!;
  expect((await entryOf()).recording).toMatch(new RegExp(`^${historyFolder()}/recordings/\\d+\\.(wav|flac)$`));
  const flac = await compressedRecording(dictated.session);
  // Lossless: the same samples the dictation sent, and the WAV it replaced is gone.
  expect(Buffer.from(await pcmOf(flac))).toEqual(Buffer.from(await pcmOf(heldoutWav("heldout-04.wav"))));
  expect(existsSync(flac.replace(/\.flac$/, ".wav"))).toBe(false);
  const kept = readdirSync(path.join(historyFolder(), "recordings"));
  const bytes = kept.reduce((sum, name) => sum + statSync(path.join(historyFolder(), "recordings", name)).size, 0);
  expect((await client.status()).history.recordings).toEqual({ count: kept.length, bytes });
  expect((await verbatim("status")).stdout).toMatch(
    new RegExp(`^history: on, ${kept.length} recordings? kept \\(${(bytes / 1e6).toFixed(1)} MB\\)$`, "m"),
  );
  // Deleted with its entry.
  await history({ type: "history.delete", entry: (await entryOf()).id });
  expect(existsSync(flac)).toBe(false);
});

test('with "all", uploads are kept too; retention deletes entries with their recordings', async () => {
  await restart({ historyKeepsRecordings: "all", historyDays: 2 });
  const dictated = await dictate("heldout-01.wav");
  await client.transcribeBytes(readFileSync(heldoutWav("heldout-02.wav")), "call.wav").promise;
  await compressedRecording(dictated.session);
  const [upload, dictation] = (await list()).entries;
  expect(dictation!.job).toBe(dictated.session);
  // The daemon's own copies are gone (the dictation was delivered, the upload's job ended); the kept ones stay.
  expect(readdirSync(path.join(daemon.home, "state", "recordings")).filter((f) => f.endsWith(".wav"))).toEqual([]);
  const uploads = path.join(daemon.home, "state", "uploads");
  await waitFor(() => readdirSync(uploads).length === 0, "the upload's own file to be removed after its job");
  for (const kept of [dictation!.recording, upload!.recording]) {
    expect(kept).toMatch(new RegExp(`^${historyFolder()}/recordings/`));
    expect(existsSync(kept!)).toBe(true);
  }
  expect(readFileSync(upload!.recording!)).toEqual(readFileSync(heldoutWav("heldout-02.wav")));

  // Three days pass for the dictation's entry: the next start deletes it and its recording.
  await daemon.stop();
  const db = new DatabaseSync(databaseFile());
  db.prepare("UPDATE transcripts SET created_ms = created_ms - ? WHERE id = ?").run(3 * DAY_MS, dictation!.id);
  db.close();
  await daemon.start();
  await daemon.waitForModel();
  client.close();
  client = await daemon.connect();
  expect((await list()).entries.map((e) => e.id)).toEqual([upload!.id]);
  expect(existsSync(dictation!.recording!)).toBe(false);

  expect(await history({ type: "history.delete", entry: upload!.id })).toMatchObject({ deleted: 1 });
  expect(existsSync(upload!.recording!)).toBe(false);
});

test("a corrupted database is moved aside with a notice; transcription goes on into a new one", async () => {
  await daemon.stop();
  const garbage = Buffer.from("this is not an SQLite database ".repeat(200));
  writeFileSync(databaseFile(), garbage);
  await daemon.start();
  await daemon.waitForModel();
  client.close();
  client = await daemon.connect();

  const status = await client.status();
  expect(status.history.enabled).toBe(true);
  expect(status.history.notice).toMatch(/could not be used .*moved to .*history\.sqlite\.corrupt-.*new, empty history/);
  const aside = readdirSync(historyFolder()).filter((name) => /^history\.sqlite\.corrupt-\d{8}T\d{6}Z$/.test(name));
  expect(aside).toHaveLength(1);
  expect(readFileSync(path.join(historyFolder(), aside[0]!))).toEqual(garbage);

  const transcript = await client.transcribeFile(heldoutWav("heldout-04.wav")).promise;
  expect((await list()).entries.map((e) => e.text)).toEqual([transcript.text]);
});

test("a locked database delays the entry but not the transcript, and loses nothing", async () => {
  const before = (await list()).entries.length;
  const locker = new DatabaseSync(databaseFile());
  locker.exec("BEGIN EXCLUSIVE");
  const events: Event[] = [];
  const blocked = await client.transcribeFile(heldoutWav("heldout-06.wav"), { onEvent: (e) => events.push(e) }).promise;
  expect(blocked.text.length).toBeGreaterThan(0);
  const notice = events.find((e) => e.type === "notice");
  expect(notice).toMatchObject({ message: expect.stringMatching(/not added to the history.*kept in memory/) });
  locker.exec("COMMIT");
  locker.close();

  const next = await client.transcribeFile(heldoutWav("heldout-08.wav")).promise;
  const texts = (await list()).entries.map((e) => e.text);
  expect(texts).toHaveLength(before + 2);
  expect(texts.slice(0, 2)).toEqual([next.text, blocked.text]);
});

test.each([
  ["in SQLite's exclusive locking mode (nobody else can read it)", true],
  ["in a write transaction (others read, nobody writes)", false],
])(
  "starting while another process holds an exclusive lock %s: the database is left as it is, retried and reported; nothing is lost",
  async (_, lockingMode) => {
    await client.transcribeFile(heldoutWav("heldout-03.wav")).promise;
    const kept = (await list()).entries;
    const aside = movedAside();
    client.close();
    await daemon.stop();
    const lock = await holdExclusiveLock(databaseFile(), lockingMode);
    await daemon.start();
    await daemon.waitForModel();
    client = await daemon.connect();

    const status = await client.status();
    const locked = lockingMode
      ? /history database .*history\.sqlite is locked by another process \(database is locked\): it was left as it is/
      : /history entries older than \d+ days could not be deleted yet \(database is locked\)/;
    expect(status.history.notices).toEqual([expect.stringMatching(locked)]);
    expect(status.history.notice).toBe(status.history.notices![0]);
    const text = (await verbatim("status")).stdout;
    expect(text).toContain(`\nnotice:  ${status.history.notices![0]}\n`);
    if (lockingMode) {
      const refused = await refusal({ type: "history.list" });
      expect(refused).toMatchObject({ code: "history", message: expect.stringMatching(locked) });
    } else {
      expect((await list()).entries).toEqual(kept);
    }

    // A transcript finished meanwhile is delivered, and waits in memory with a notice of its own.
    const events: Event[] = [];
    const waiting = await client.transcribeFile(heldoutWav("heldout-06.wav"), { onEvent: (e) => events.push(e) })
      .promise;
    expect(events.find((e) => e.type === "notice")).toMatchObject({
      message: expect.stringMatching(/not added to the history: 1 transcript\(s\) could not be added .*kept in memory/),
    });
    const both = (await client.status()).history.notices!;
    expect(both).toHaveLength(2);
    expect(both[1]).toMatch(/^1 transcript\(s\) could not be added to the history yet \(.*locked.*\); they are kept/);
    expect((await verbatim("status")).stdout).toContain(`notice:  ${both[0]}\nnotice:  ${both[1]}\n`);

    // Released, the database is opened again without any request, the transcript written, and the notices clear.
    await lock.release();
    await statusWhen((s) => s.history.notices!.length === 0, "the notices to clear");
    expect((await client.status()).history.notice).toBeNull();
    expect((await verbatim("status")).stdout).not.toMatch(/^notice: /m);
    const entries = (await list()).entries;
    expect(entries.map((e) => e.text)).toEqual([waiting.text, ...kept.map((e) => e.text)]);
    expect(entries.slice(1)).toEqual(kept);
    expect(movedAside()).toEqual(aside);
  },
);

test("with the history off, requests say how to turn it on and nothing is written", async () => {
  await restart({ history: false });
  const refused = await refusal({ type: "history.list" });
  expect(refused.code).toBe("history");
  expect(refused.message).toMatch(/"history": true/);
  expect((await client.status()).history).toEqual({ enabled: false, notice: null });
  const modified = readFileSync(databaseFile());
  await client.transcribeFile(heldoutWav("heldout-09.wav")).promise;
  expect(readFileSync(databaseFile())).toEqual(modified);
});
