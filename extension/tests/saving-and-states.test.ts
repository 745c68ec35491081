// Saving never overwrites (Transcribe File's .txt/.srt/.vtt beside the source), and every empty or error screen
// offers an action that moves the user on. Real files in a temporary folder; @raycast/api is not involved.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { numberedName, saveBeside, writeNewFile } from "../src/lib/outputs";
import { loadFailure, STATE_ACTIONS, STATE_ACTION_TITLES, type StateAction } from "../src/lib/state-actions";
import type { TranscriptData } from "../src/lib/daemon-connection";

const transcript: TranscriptData = {
  text: "Please send the report.",
  language: "en",
  durationSeconds: 2,
  segments: [{ start: 0, end: 2, text: " Please send the report." }],
  model: "tiny",
  backend: "cpu",
};

let folder: string;
beforeEach(() => {
  folder = mkdtempSync(path.join(os.tmpdir(), "verbatim-saving-"));
});
afterEach(() => rmSync(folder, { recursive: true, force: true }));

test("saving beside a file never overwrites: an existing .txt, .srt or .vtt gets a numbered sibling", async () => {
  const source = path.join(folder, "voice memo.m4a");
  writeFileSync(path.join(folder, "voice memo.txt"), "my notes");
  writeFileSync(path.join(folder, "voice memo.srt"), "my subtitles");

  expect(await saveBeside(source, "text", transcript)).toBe(path.join(folder, "voice memo (2).txt"));
  expect(await saveBeside(source, "text", transcript)).toBe(path.join(folder, "voice memo (3).txt"));
  expect(await saveBeside(source, "srt", transcript)).toBe(path.join(folder, "voice memo (2).srt"));
  expect(await saveBeside(source, "vtt", transcript)).toBe(path.join(folder, "voice memo.vtt"));
  // What was there is untouched.
  expect(readFileSync(path.join(folder, "voice memo.txt"), "utf8")).toBe("my notes");
  expect(readFileSync(path.join(folder, "voice memo.srt"), "utf8")).toBe("my subtitles");
  expect(readFileSync(path.join(folder, "voice memo (2).txt"), "utf8")).toBe("Please send the report.\n");
});

test("saves at the same moment each get their own name", async () => {
  const file = path.join(folder, "export.md");
  const written = await Promise.all(["a", "b", "c", "d"].map((content) => writeNewFile(file, content)));
  expect([...written].sort()).toEqual(
    [file, numberedName(file, 2), numberedName(file, 3), numberedName(file, 4)].sort(),
  );
  expect(written.map((name) => readFileSync(name, "utf8")).sort()).toEqual(["a", "b", "c", "d"]);
  expect(numberedName("/a/b.c/memo.tar.gz", 2)).toBe("/a/b.c/memo.tar (2).gz");
  expect(numberedName("/a/README", 2)).toBe("/a/README (2)");
});

test("a folder that cannot be written says so rather than saving elsewhere", async () => {
  const missing = path.join(folder, "gone", "memo.m4a");
  await expect(saveBeside(missing, "text", transcript)).rejects.toMatchObject({ code: "ENOENT" });
});

const MOVES_ON: StateAction[] = [
  "try-again",
  "pick-files",
  "open-microphone-settings",
  "add-term",
  "clear-search",
  "dictate",
];

test("every empty and error screen has actions, the first of which moves the user on", () => {
  for (const [state, actions] of Object.entries(STATE_ACTIONS)) {
    expect([state, actions.length > 0]).toEqual([state, true]);
    expect([state, MOVES_ON.includes(actions[0]!)]).toEqual([state, true]);
    expect([state, new Set(actions).size]).toEqual([state, actions.length]);
    for (const action of actions) expect(STATE_ACTION_TITLES[action]).toMatch(/^[A-Z]/);
  }
  // Failures can be tried again and explained by the log.
  for (const state of [
    "dictation-failed",
    "transcription-failed",
    "vocabulary-failed",
    "transcripts-failed",
  ] as const) {
    expect(STATE_ACTIONS[state]).toEqual(expect.arrayContaining(["try-again", "open-logs"]));
  }
  expect(STATE_ACTIONS["microphone-silent"]).toEqual([
    "open-microphone-settings",
    "stop-dictation",
    "cancel-dictation",
  ]);
  expect(STATE_ACTIONS["no-clipboard-file"]).toEqual(["pick-files", "try-again"]);
  expect(STATE_ACTIONS["transcription-failed"]).toContain("pick-files");
  expect(STATE_ACTIONS["dictation-failed"]).toContain("open-preferences");
});

test("a list that could not load says what failed, why and what to do", () => {
  expect(loadFailure("the Vocabulary", new Error("the daemon answered history.list with error"))).toEqual({
    title: "Could Not Load the Vocabulary",
    description: "the daemon answered history.list with error. Try Again asks the daemon again; its log says more.",
  });
});
