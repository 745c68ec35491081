// What the commands make of Raycast's inputs: the clipboard's file URL, the preferences, the socket override,
// and the job list's storage.
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { fileFromClipboard } from "../src/lib/clipboard-file";
import { socketPath } from "../src/lib/daemon-connection";
import { JobStore, REMEMBERED_JOBS } from "../src/lib/job-store";
import { finishedTextSteps } from "../src/lib/outputs";
import { autoStopSeconds, fileTranscriptionOptions, transcriptionOptions } from "../src/lib/preferences";
import { transcriptMarkdown } from "../src/lib/transcript-view";
import { chooseStart } from "../src/lib/start-choice";
import { newTranscription } from "../src/lib/transcription";

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

test("per-run overrides win over preferences; empty and auto mean the daemon's defaults", () => {
  const preferences = { model: "base.en", language: "de", finishedText: "copy" as const };
  expect(transcriptionOptions(preferences)).toEqual({ model: "base.en", language: "de" });
  expect(transcriptionOptions(preferences, { model: "small-8bit", language: "auto" })).toEqual({ model: "small-8bit" });
  expect(transcriptionOptions({ finishedText: "copy", model: " ", language: "auto" })).toEqual({});
});

test("files skip silence unless Skip Silence is off; Toggle Dictation's Auto-Stop becomes seconds", () => {
  expect(fileTranscriptionOptions({ finishedText: "copy", language: "de" })).toEqual({ language: "de", vad: true });
  expect(fileTranscriptionOptions({ finishedText: "copy", skipSilence: false })).toEqual({ vad: false });
  expect(autoStopSeconds({ finishedText: "copy" })).toBe(0);
  expect(autoStopSeconds({ finishedText: "copy", autoStop: "0" })).toBe(0);
  expect(autoStopSeconds({ finishedText: "copy", autoStop: "1.5" })).toBe(1.5);
});

test("finished text is copied, pasted, both or left alone", () => {
  expect(finishedTextSteps("copy")).toEqual({ copy: true, paste: false });
  expect(finishedTextSteps("paste")).toEqual({ copy: false, paste: true });
  expect(finishedTextSteps("both")).toEqual({ copy: true, paste: true });
  expect(finishedTextSteps("nothing")).toEqual({ copy: false, paste: false });
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
