// Search Transcripts' logic against the real daemon, the real engine on the trained fixture model and held-out
// speech: the list newest first a page at a time, search as you type, one transcript with its timings, the audio an
// entry can open or transcribe again (a dictation's recording, kept by default), deleting, the empty list, and the
// daemon's errors passed on. @raycast/api is not involved.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { DaemonProcess } from "../../test/support/daemon-process";
import { heldoutWav, pcmOf, sendPcm, startDictation, stopDictation, waitFor } from "../../test/support/dictation";
import { fixtureModel, repoRoot } from "../../test/support/fixtures";
import { connect, DaemonError, type DaemonClient } from "../src/lib/daemon-connection";
import { JobStore } from "../src/lib/job-store";
import { transcriptionOptions } from "../src/lib/preferences";
import {
  audioFileOf,
  deleteTranscripts,
  emptyListView,
  exportHistory,
  findTranscripts,
  loadTranscript,
  transcriptFacts,
  transcriptMarkdown,
  transcriptRow,
  withoutEntry,
} from "../src/lib/transcript-history";
import { ALL_TRANSCRIPTS, appFilter, appFilters, filtered } from "../src/lib/transcript-filter";
import { escapeMarkdown } from "../src/lib/transcript-view";
import { transcribeFiles } from "../src/lib/transcription";

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

test("an empty history lists nothing, and says so only once the search has answered", async () => {
  expect(await findTranscripts(client, "")).toEqual({ entries: [], nextBeforeId: null });
  expect((await findTranscripts(client, "anything")).entries).toEqual([]);
  expect(emptyListView("", true)).toBeNull(); // the first search is loading: it is not known to be empty
  expect(emptyListView("budget", true)).toBeNull();
  expect(emptyListView("", false)?.title).toBe("No Transcripts Yet");
  expect(emptyListView("budget", false)?.title).toBe("No Transcripts Match");
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

  // Pages follow newest first; a delete shows at once as the list without the entry.
  const first = await findTranscripts(client, "", 1);
  expect(first.entries.map((entry) => entry.id)).toEqual([all.entries[0]!.id]);
  const second = await findTranscripts(client, "", 1, first.nextBeforeId!);
  expect(second).toEqual({ entries: [all.entries[1]], nextBeforeId: null });
  expect(withoutEntry(all.entries, all.entries[0]!.id)).toEqual([all.entries[1]]);

  // The dropdown's filters on the daemon's entries: the upload is a file with no app, the other was made in TextEdit.
  expect(appFilters(all.entries, ALL_TRANSCRIPTS)).toEqual([{ value: "app:TextEdit", title: "In TextEdit" }]);
  expect(filtered(all.entries, appFilter("TextEdit"))).toEqual([all.entries[1]]);
  expect(filtered(all.entries, "file")).toEqual(all.entries);
  expect(filtered(all.entries, "dictation")).toEqual([]);

  // Export: the whole history, as the daemon writes it.
  expect(await exportHistory(client, "markdown")).toContain(escapeMarkdown(spoken.text.trim()).slice(0, 20));
  expect(JSON.stringify(JSON.parse(await exportHistory(client, "json")))).toContain(JSON.stringify(uploaded.text));

  // Delete All Shown: each in turn; one already gone is skipped, not an error.
  expect(await deleteTranscripts(client, [all.entries[0]!.id, all.entries[0]!.id])).toEqual([all.entries[0]!.id]);
  expect((await findTranscripts(client, "")).entries.map((entry) => entry.text)).toEqual([spoken.text]);
  const missing = await loadTranscript(client, all.entries[0]!.id).catch((error: unknown) => error);
  expect(missing).toBeInstanceOf(DaemonError);
  expect(missing).toMatchObject({ code: "not_found" });
});

/** Transcribes files as Transcribe File (and Transcribe Again) does, with the preferences' options. */
async function transcribeAsTheExtension(files: string[], translate = false, accuracy?: string) {
  const storage = new Map<string, string>();
  const jobs = new JobStore({
    getItem: async (key) => storage.get(key),
    setItem: async (key, value) => void storage.set(key, value),
  });
  const options = transcriptionOptions({ finishedText: "copy", translate, accuracy });
  return transcribeFiles(client, files, { options, jobs, onChange: () => undefined });
}

test("a dictation's recording is kept by default, and Transcribe Again from it gives its text", async () => {
  const speech = heldoutWav("heldout-05.wav");
  const following = await startDictation(client, "stream");
  sendPcm(client, following.session, await pcmOf(speech));
  const dictated = await stopDictation(client, following.session);

  const [entry] = (await findTranscripts(client, "")).entries;
  expect(entry).toMatchObject({ kind: "dictation", job: following.session, text: dictated.text });
  expect(entry!.recording).toMatch(/\/history\/recordings\/\d+\.(wav|flac)$/);
  // Compressed in the background: the entry fetched before it names the WAV, which the FLAC then replaces. The FLAC
  // is whole once it exists, and the WAV is removed after it: from then on the FLAC is the recording.
  const flac = entry!.recording!.replace(/\.wav$/, ".flac");
  await waitFor(() => existsSync(flac), "the recording compressed to FLAC");
  const audio = audioFileOf(entry!);
  expect(audio).toBe(flac);
  const [again] = await transcribeAsTheExtension([audio!]);
  expect(again!.status).toBe("done");
  expect(again!.transcript!.text).toBe(dictated.text);
  expect(transcriptFacts(await loadTranscript(client, entry!.id))).toContainEqual({ label: "Recording", text: flac });
});

test("Translate to English asks the daemon to translate, which an English-only model refuses saying what to use", async () => {
  expect(transcriptionOptions({ finishedText: "copy", translate: true, language: "de" })).toEqual({
    language: "de",
    task: "translate",
    beamSize: 1,
    bestOf: 1,
  });
  const speech = heldoutWav("heldout-06.wav");
  const [translated] = await transcribeAsTheExtension([speech], true);
  expect(translated!.status).toBe("failed");
  expect(translated!.error).toMatch(/English-only model and cannot translate; use a multilingual model/);
});

test("Accuracy Best has the daemon search beams: other words than Fast on a held-out recording", async () => {
  const speech = heldoutWav("heldout-11.wav");
  const [fast] = await transcribeAsTheExtension([speech], false, "fast");
  const [best] = await transcribeAsTheExtension([speech], false, "best");
  expect(best!.transcript!.text).not.toBe(fast!.transcript!.text);
  // As the daemon transcribes with those options asked for by name (files skip silence by default).
  const asked = (beams: number) =>
    client.transcribeFile(speech, { options: { vad: true, beamSize: beams, bestOf: beams } }).promise;
  expect(fast!.transcript!.text).toBe((await asked(1)).text);
  expect(best!.transcript!.text).toBe((await asked(5)).text);
});
