// Search Transcripts' logic against the real daemon, the real engine on the trained fixture model and held-out
// speech: the list newest first, search as you type, one transcript with its timings, the audio an entry can open or
// transcribe again, deleting, and the daemon's errors passed on. @raycast/api is not involved.
import { readFileSync } from "node:fs";
import path from "node:path";
import { DaemonProcess } from "../../test/support/daemon-process";
import { fixtureModel, repoRoot } from "../../test/support/fixtures";
import { connect, DaemonError, type DaemonClient } from "../src/lib/daemon-connection";
import {
  audioFileOf,
  deleteTranscript,
  findTranscripts,
  loadTranscript,
  transcriptFacts,
  transcriptMarkdown,
  transcriptRow,
} from "../src/lib/transcript-history";

jest.setTimeout(120_000);

const heldout = (name: string) => path.join(repoRoot, "test", "fixtures", "heldout", name);
let daemon: DaemonProcess;
let client: DaemonClient;

beforeAll(async () => {
  daemon = await DaemonProcess.ready({ model: fixtureModel(), threads: 2 });
  client = await connect(daemon.socket);
});

afterAll(async () => {
  client?.close();
  await daemon?.dispose();
});

test("an empty history lists nothing", async () => {
  expect(await findTranscripts(client, "")).toEqual({ entries: [], nextBeforeId: null });
  expect((await findTranscripts(client, "anything")).entries).toEqual([]);
});

test("transcripts are listed newest first, found as they are typed, shown with timings and deleted", async () => {
  const file = heldout("heldout-07.wav");
  const spoken = await client.transcribeFile(file, { options: { app: "TextEdit" } }).promise;
  const uploaded = await client.transcribeBytes(readFileSync(heldout("heldout-03.wav")), "memo.wav").promise;

  const all = await findTranscripts(client, "  ");
  expect(all.entries.map((entry) => entry.text)).toEqual([uploaded.text, spoken.text]);
  const [upload, fromFile] = all.entries.map(transcriptRow);
  expect(upload).toMatchObject({ subtitle: "memo.wav", title: uploaded.text.replace(/\s+/g, " ").trim() });
  expect(fromFile!.subtitle).toBe("heldout-07.wav in TextEdit");
  expect(fromFile!.duration).toBe(`${Math.round(spoken.durationSeconds)} s`);

  // Search as you type: a word's first letters already find it; the row's title is then the search's snippet.
  const word = spoken.text
    .toLowerCase()
    .match(/[a-z]{5,}/g)!
    .find((w) => !uploaded.text.toLowerCase().includes(w))!;
  for (const typed of [word.slice(0, 3), word]) {
    const found = await findTranscripts(client, typed);
    expect(found.entries.map((entry) => entry.id)).toContain(all.entries[1]!.id);
  }
  const exact = await findTranscripts(client, word);
  expect(exact.entries).toHaveLength(1);
  expect(transcriptRow(exact.entries[0]!).title.toLowerCase()).toContain(word);

  const detail = await loadTranscript(client, all.entries[1]!.id);
  expect(detail.segments).toEqual(spoken.segments);
  const markdown = transcriptMarkdown(detail);
  expect(markdown).toMatch(/`0:00\.\d → /); // the first segment, timed from the start of the file
  expect(markdown.split("\n\n").length).toBeGreaterThan(spoken.segments.length);
  expect(transcriptFacts(detail)).toContainEqual({ label: "App", text: "TextEdit" });
  expect(transcriptFacts(detail)).toContainEqual({ label: "Source", text: file });

  // A file job can be opened or transcribed again from its file; an upload kept no file (recordings are off).
  expect(audioFileOf(all.entries[1]!)).toBe(file);
  expect(audioFileOf(all.entries[0]!)).toBeNull();

  await deleteTranscript(client, all.entries[0]!.id);
  expect((await findTranscripts(client, "")).entries.map((entry) => entry.text)).toEqual([spoken.text]);
  const missing = await loadTranscript(client, all.entries[0]!.id).catch((error: unknown) => error);
  expect(missing).toBeInstanceOf(DaemonError);
  expect(missing).toMatchObject({ code: "not_found" });
});
