// Search Transcripts' filter (the dropdown: all, dictations, meetings, files, one app), what "Delete All Shown…" asks, the
// detail pane, Copy As… subtitles and where an export goes. @raycast/api is not involved.
import path from "node:path";
import {
  ALL_TRANSCRIPTS,
  appFilter,
  appFilters,
  deletedTitle,
  deleteShownPrompt,
  filtered,
  KIND_FILTERS,
} from "../src/lib/transcript-filter";
import {
  audioFileOf,
  deliveredText,
  exportFile,
  previewMarkdown,
  spokenTextOf,
  transcriptAs,
  transcriptFacts,
  transcriptMarkdown,
  transcriptRow,
  type HistoryEntry,
} from "../src/lib/transcript-history";

function entry(id: number, kind: HistoryEntry["kind"], app: string | null, text = `transcript ${id}`): HistoryEntry {
  return {
    id,
    kind,
    createdAt: new Date(Date.UTC(2026, 10, 25, 9, id)).toISOString(),
    job: `job-${id}`,
    text,
    language: "en",
    model: "large-v3-turbo-4bit",
    backend: "mlx",
    durationSeconds: 3,
    sourceFile:
      kind === "file" ? `/Users/ana/memo-${id}.m4a` : kind === "meeting" ? `/Users/ana/Meetings/m${id}` : null,
    app,
    recording: null,
    finishedText: null,
    mode: null,
    finishing: null,
  };
}

const entries = [
  entry(6, "dictation", "Slack"),
  entry(5, "file", null),
  entry(4, "dictation", "Notes"),
  entry(3, "dictation", null),
  entry(2, "file", "Notes"),
  entry(1, "dictation", "Slack"),
];
const ids = (list: HistoryEntry[]) => list.map((e) => e.id);

test("the dropdown filters by kind or by app, newest first as listed", () => {
  expect(KIND_FILTERS.map((option) => option.title)).toEqual(["All Transcripts", "Dictations", "Meetings", "Files"]);
  expect(ids(filtered(entries, ALL_TRANSCRIPTS))).toEqual([6, 5, 4, 3, 2, 1]);
  expect(ids(filtered(entries, "dictation"))).toEqual([6, 4, 3, 1]);
  expect(ids(filtered(entries, "file"))).toEqual([5, 2]);
  expect(ids(filtered(entries, appFilter("Notes")))).toEqual([4, 2]);
  expect(ids(filtered(entries, appFilter("Mail")))).toEqual([]);
});

test("the apps offered are those of the transcripts loaded, by name, and the one chosen stays offered", () => {
  expect(appFilters(entries, ALL_TRANSCRIPTS)).toEqual([
    { value: "app:Notes", title: "In Notes" },
    { value: "app:Slack", title: "In Slack" },
  ]);
  // A search that finds nothing in Mail keeps "In Mail" chosen in the dropdown.
  expect(appFilters([], appFilter("Mail"))).toEqual([{ value: "app:Mail", title: "In Mail" }]);
});

test("Delete All Shown asks with the count and says which", () => {
  expect(deleteShownPrompt(6, ALL_TRANSCRIPTS, "")).toEqual({
    title: "Delete 6 Transcripts?",
    message: "All 6 shown, with their kept recordings. This cannot be undone.",
  });
  expect(deleteShownPrompt(2, appFilter("Notes"), " budget ")).toEqual({
    title: "Delete 2 Transcripts?",
    message: "The 2 shown (made in Notes, matching “budget”), with their kept recordings. This cannot be undone.",
  });
  expect(deleteShownPrompt(1, "dictation", "").title).toBe("Delete 1 Transcript?");
  expect(deleteShownPrompt(1, "dictation", "").message).toMatch(/^The 1 shown \(Dictations\)/);
  expect(deletedTitle(1)).toBe("Deleted 1 Transcript");
  expect(deletedTitle(3)).toBe("Deleted 3 Transcripts");
});

test("the detail pane shows the whole text and the transcript's facts", () => {
  const spoken = entry(7, "dictation", "Notes", "# Call *Maria* about the budget");
  expect(previewMarkdown(spoken)).toBe("\\# Call \\*Maria\\* about the budget");
  expect(previewMarkdown(entry(8, "dictation", null, "  "))).toBe("*No speech found.*");
  expect(transcriptFacts(spoken).map((fact) => fact.label)).toEqual([
    "When",
    "Source",
    "App",
    "Duration",
    "Language",
    "Model",
  ]);
});

test("a meeting is shown as one, with its folder, and is no audio file to open", () => {
  const meeting = entry(12, "meeting", null);
  expect(ids(filtered([meeting, ...entries], "meeting"))).toEqual([12]);
  expect(ids(filtered([meeting, ...entries], "file"))).toEqual([5, 2]);
  expect(deleteShownPrompt(1, "meeting", "").message).toMatch(/^The 1 shown \(Meetings\)/);
  expect(transcriptRow(meeting).subtitle).toBe("Meeting");
  expect(transcriptFacts(meeting).slice(1, 3)).toEqual([
    { label: "Source", text: "Meeting" },
    { label: "Folder", text: "/Users/ana/Meetings/m12" },
  ]);
  expect(audioFileOf(meeting)).toBeNull();
  expect(audioFileOf(entry(13, "file", null))).toBe("/Users/ana/memo-13.m4a");
});

test("a finished dictation shows both texts, pastes the finished one, and offers the spoken one", () => {
  const finished: HistoryEntry = {
    ...entry(10, "dictation", "Mail", "hi ana the report is done"),
    finishedText: "Hi Ana,\n\nThe report is done.",
    mode: "Email",
    finishing: "raycast",
  };
  expect(previewMarkdown(finished)).toBe(
    "**Finished**\n\nHi Ana,\n\nThe report is done.\n\n**Spoken**\n\nhi ana the report is done",
  );
  expect(transcriptMarkdown({ ...finished, segments: [] })).toBe(previewMarkdown(finished));
  expect(deliveredText(finished)).toBe("Hi Ana,\n\nThe report is done.");
  expect(spokenTextOf(finished)).toBe("hi ana the report is done");
  expect(transcriptFacts(finished).slice(-2)).toEqual([
    { label: "Mode", text: "Email" },
    { label: "Finished By", text: "Raycast AI" },
  ]);
  // Not finished (Plain, a file, an entry from before modes): one text, no spoken text to offer.
  const plain = entry(11, "dictation", null, "as said");
  expect(spokenTextOf(plain)).toBeNull();
  expect(deliveredText(plain)).toBe("as said");
  expect(previewMarkdown(plain)).toBe("as said");
});

test("Copy As gives SRT and WebVTT cues from the timed segments", () => {
  const detail = {
    ...entry(9, "file", null, "Hello there. General Kenobi."),
    segments: [
      { start: 0, end: 1.5, text: " Hello there." },
      { start: 1.5, end: 3.25, text: " General Kenobi." },
    ],
  };
  expect(transcriptAs("srt", detail)).toBe(
    "1\n00:00:00,000 --> 00:00:01,500\nHello there.\n\n2\n00:00:01,500 --> 00:00:03,250\nGeneral Kenobi.\n\n",
  );
  expect(transcriptAs("vtt", detail)).toBe(
    "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nHello there.\n\n00:00:01.500 --> 00:00:03.250\nGeneral Kenobi.\n\n",
  );
});

test("an export is named by the day, as Markdown or JSON, in the folder given", () => {
  const day = new Date(2026, 10, 5, 23, 30);
  expect(exportFile("/Users/ana/Downloads", "markdown", day)).toBe(
    path.join("/Users/ana/Downloads", "Verbatim Transcripts 2026-11-05.md"),
  );
  expect(exportFile("/tmp", "json", day)).toBe("/tmp/Verbatim Transcripts 2026-11-05.json");
});
