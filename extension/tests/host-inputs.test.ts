// What the commands make of Raycast's inputs: the clipboard's file URL, the preferences, the socket override, the
// files picked in the form, and the job list's storage; and user-facing text in US English.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { fileFromClipboard } from "../src/lib/clipboard-file";
import { socketPath } from "../src/lib/daemon-connection";
import { JobStore, REMEMBERED_JOBS } from "../src/lib/job-store";
import {
  autoStopSeconds,
  DEFAULT_RESTORE_DELAY_MS,
  fileTranscriptionOptions,
  restoreDelayMs,
  transcriptionOptions,
} from "../src/lib/preferences";
import { overallProgress, transcriptMarkdown } from "../src/lib/transcript-view";
import { chooseStart } from "../src/lib/start-choice";
import { newTranscription, pickedFilesProblem } from "../src/lib/transcription";

const root = path.join(__dirname, "..");

test("a file copied in Finder arrives as a file URL and becomes its path, spaces and all", () => {
  const file = "/Users/ana/Voice Memos/Interview #2.m4a";
  expect(fileFromClipboard({ file: pathToFileURL(file).href, text: "Interview #2.m4a" })).toEqual({ file });
});

test("a clipboard without a file says so plainly", () => {
  expect(fileFromClipboard({ text: "just some words" })).toEqual({
    problem: "The clipboard holds no file. Copy an audio or video file in Finder (⌘C), then try again.",
  });
  expect(fileFromClipboard({ file: "https://example.com/a.mp3" })).toEqual({
    problem: "The clipboard holds https://example.com/a.mp3, which is not a file on this Mac.",
  });
});

const fast = { beamSize: 1, bestOf: 1 };

test("per-run overrides win over preferences; empty and auto mean the daemon's defaults", () => {
  const preferences = { model: "base.en", language: "de", finishedText: "copy" as const };
  expect(transcriptionOptions(preferences)).toEqual({ model: "base.en", language: "de", ...fast });
  expect(transcriptionOptions(preferences, { model: "small-8bit", language: "auto" })).toEqual({
    model: "small-8bit",
    ...fast,
  });
  expect(transcriptionOptions({ finishedText: "copy", model: " ", language: "auto" })).toEqual(fast);
  expect(transcriptionOptions({ finishedText: "copy", translate: true })).toEqual({ task: "translate", ...fast });
  expect(transcriptionOptions({ finishedText: "copy", translate: false })).toEqual(fast);
});

test("Accuracy: Fast (the default) asks for greedy decoding, Best for 5 beams and the best of 5 samples", () => {
  const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
  const preference = manifest.preferences.find((p: { name: string }) => p.name === "accuracy");
  expect(preference).toMatchObject({ title: "Accuracy", type: "dropdown", default: "fast" });
  expect(preference.data).toEqual([
    { title: "Fast", value: "fast" },
    { title: "Best", value: "best" },
  ]);
  expect(transcriptionOptions({ finishedText: "copy", accuracy: "fast" })).toEqual(fast);
  expect(transcriptionOptions({ finishedText: "copy", accuracy: "best" })).toEqual({ beamSize: 5, bestOf: 5 });
  // Every command's options carry it: files (Transcribe File, Transcribe Clipboard, Transcribe Again) and dictations.
  expect(fileTranscriptionOptions({ finishedText: "copy", accuracy: "best" })).toEqual({
    beamSize: 5,
    bestOf: 5,
    vad: true,
  });
});

test("files skip silence unless Skip Silence is off; Toggle Dictation's Auto-Stop becomes seconds", () => {
  expect(fileTranscriptionOptions({ finishedText: "copy", language: "de" })).toEqual({
    language: "de",
    vad: true,
    ...fast,
  });
  expect(fileTranscriptionOptions({ finishedText: "copy", skipSilence: false })).toEqual({ vad: false, ...fast });
  expect(autoStopSeconds({ finishedText: "copy" })).toBe(0);
  expect(autoStopSeconds({ finishedText: "copy", autoStop: "0" })).toBe(0);
  expect(autoStopSeconds({ finishedText: "copy", autoStop: "1.5" })).toBe(1.5);
});

test("Clipboard After Paste: each choice is a wait in milliseconds, or never", () => {
  const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
  const preference = manifest.preferences.find((p: { name: string }) => p.name === "restoreClipboard");
  for (const { value } of preference.data as { value: string }[]) {
    const delay = restoreDelayMs({ finishedText: "paste", restoreClipboard: value });
    if (value === "never") expect(delay).toBeNull();
    else expect(delay).toBe(Number(value));
  }
  expect(Number(preference.default)).toBe(DEFAULT_RESTORE_DELAY_MS);
  expect(restoreDelayMs({ finishedText: "paste" })).toBe(DEFAULT_RESTORE_DELAY_MS);
});

test("the Transcribe form takes only existing files, at least one", () => {
  const folder = mkdtempSync(path.join(os.tmpdir(), "verbatim-picked-"));
  try {
    const file = path.join(folder, "memo.m4a");
    writeFileSync(file, "");
    expect(pickedFilesProblem([])).toBe("Choose one or more audio or video files");
    expect(pickedFilesProblem(undefined)).toBe("Choose one or more audio or video files");
    expect(pickedFilesProblem([file, folder])).toMatch(/is a folder: choose the files in it$/);
    expect(pickedFilesProblem([path.join(folder, "gone.m4a")])).toBe("gone.m4a is not there anymore");
    expect(pickedFilesProblem([file])).toBeUndefined();
    // Nothing to transcribe is never reported as "Transcribed 0 files".
    expect(overallProgress([])).toBe("Nothing to transcribe");
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

// British spellings Raycast's store review asks to write the US way. The daemon's error code "cancelled" is a
// protocol identifier (compared, never shown).
const BRITISH =
  /\b(recognis\w*|capitalis\w*|organis\w*|realis\w*|initialis\w*|customis\w*|behaviour|colour|favourite|centre|licence|spelt|analys(e|ed|ing)|cancell(ed|ing)|travell\w+|dialogue)\b/gi;

test("text is in US English: the manifest, the README, the changelog, the developer documents and the source", () => {
  const sources = readdirSync(path.join(root, "src"), { recursive: true, encoding: "utf8" })
    .filter((file) => /\.tsx?$/.test(file) && !file.startsWith("verbatimd"))
    .map((file) => path.join("src", file));
  const found: string[] = [];
  for (const file of ["package.json", "README.md", "CHANGELOG.md", "DEVELOPMENT.md", "STORE.md", ...sources]) {
    const text = readFileSync(path.join(root, file), "utf8").replace(/(code === |case )"cancelled"/g, "");
    for (const match of text.matchAll(BRITISH)) found.push(`${file}: ${match[0]}`);
  }
  expect(found).toEqual([]);
});

test("the socket preference overrides the default, with ~ for the home folder", () => {
  const env = { VERBATIM_HOME: "/tmp/vh" };
  expect(socketPath(undefined, env)).toBe("/tmp/vh/verbatimd.sock");
  expect(socketPath("  ", env)).toBe("/tmp/vh/verbatimd.sock");
  expect(socketPath("~/v.sock", env)).toBe(path.join(os.homedir(), "v.sock"));
  expect(socketPath("/run/v.sock", env)).toBe("/run/v.sock");
});

test("concurrent changes to the job list are all kept, newest first, up to the limit", async () => {
  const items = new Map<string, string>();
  const jobs = new JobStore({
    getItem: async (key) => items.get(key),
    setItem: async (key, value) => void items.set(key, value),
  });
  await Promise.all(
    Array.from({ length: REMEMBERED_JOBS + 2 }, (_, i) => jobs.add({ id: `j${i}`, file: `/f${i}.wav`, startedAt: i })),
  );
  await Promise.all([jobs.update("j21", { text: "done" }), jobs.update("j20", { error: "failed" })]);
  const list = await jobs.list();
  expect(list).toHaveLength(REMEMBERED_JOBS);
  expect(list[0]).toEqual({ id: "j21", file: "/f21.wav", startedAt: 21, text: "done" });
  expect((await jobs.unfinished()).map((job) => job.id)).not.toContain("j20");
});

test("spoken text that looks like markdown is shown as text", () => {
  const state = {
    ...newTranscription("/a.wav", "j"),
    status: "running" as const,
    segments: [{ start: 0, end: 1, text: "# one *two* <b>" }],
    provisional: "- three",
  };
  expect(transcriptMarkdown([state])).toBe("_Transcribing_\n\n\\# one \\*two\\* \\<b\\> *\\- three*\n");
});

test("Transcribe File starts on the new Finder selection and offers earlier unfinished jobs beside it", () => {
  const selection = ["/Users/ana/new.m4a"];
  expect(chooseStart(selection, ["job-1", "job-2"])).toEqual({
    kind: "transcribe",
    files: selection,
    earlierJobs: ["job-1", "job-2"],
  });
  expect(chooseStart(selection, [])).toEqual({ kind: "transcribe", files: selection, earlierJobs: [] });
  expect(chooseStart([], ["job-1"])).toEqual({ kind: "resume" });
  expect(chooseStart([], [])).toEqual({ kind: "pick" });
});
