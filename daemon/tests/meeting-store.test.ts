// Meetings on disk (meetings/meeting-store.ts): what a killed daemon left recording is marked interrupted with its
// tracks' headers made to match their audio, and a damaged meeting.json neither stops the daemon's start nor hides the
// meeting's tracks.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadAudio } from "../src/audio";
import { MeetingStore } from "../src/meetings/meeting-store";

const folder = mkdtempSync(path.join(os.tmpdir(), "verbatim-meetings-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

test("a meeting left recording is interrupted, its tracks readable whole", async () => {
  const store = new MeetingStore(path.join(folder, "a"));
  const { meta, writers } = store.create();
  writers.microphone.append(new Uint8Array(3200).fill(1));
  writers.system.append(new Uint8Array(6400).fill(2));
  // The daemon dies before a last header update: the file holds more audio than its header says.
  writeFileSync(writers.system.file, new Uint8Array(3200).fill(3), { flag: "a" });
  expect(store.recover()).toEqual([meta.meeting]);
  const [listed] = store.list();
  expect(listed).toMatchObject({ meeting: meta.meeting, state: "interrupted" });
  expect(listed.error).toBe("the daemon stopped during the meeting");
  expect(listed.tracks.microphone.seconds).toBe(0.1);
  expect(listed.tracks.system.seconds).toBe(0.3);
  expect((await loadAudio(writers.system.file)).samples.length).toBe(4800);
  expect(store.recover()).toEqual([]); // once
});

test("a damaged meeting.json leaves the meeting listed, interrupted, saying why", () => {
  const store = new MeetingStore(path.join(folder, "b"));
  const { meta } = store.create();
  const metaFile = path.join(store.meetingFolder(meta.meeting), "meeting.json");
  for (const damage of ['{"meeting": "other", "state": "recording"', '{"meeting": 1}', "[]"]) {
    writeFileSync(metaFile, damage);
    expect(() => store.recover()).not.toThrow();
    const [listed] = store.list();
    expect(listed).toMatchObject({ meeting: meta.meeting, state: "interrupted" });
    expect(listed.error).toMatch(/^its meeting.json could not be read \(/);
    expect(readFileSync(metaFile, "utf8")).toBe(damage); // left as it was
  }
});
