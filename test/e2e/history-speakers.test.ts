// Speakers in the history, through the real CLI, the real daemon and its SQLite file: a held-out conversation
// transcribed by the daemon (the trained fixture model, word times) and combined with who spoke when (its RTTM,
// standing in for the speaker model until the engine has one) is recorded as the daemon will record it; a user names
// its speakers (`verbatim history speakers`), and show and both exports use the names. A database of the schema
// before speakers is migrated, keeping its entries.
import path from "node:path";
import { readFileSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { TranscriptHistory } from "../../daemon/src/history/transcript-history";
import type { TranscriptData } from "../../daemon/src/protocol";
import type { SpeakerSegment } from "../../daemon/src/speakers/speech-segments";
import { wordsToSpeakers } from "../../daemon/src/speakers/words-to-speakers";
import { DaemonProcess } from "../support/daemon-process";
import { fixtureModel } from "../support/fixtures";
import { diarizationErrors } from "../support/der";
import { readRttm } from "../support/rttm";
import { wordSpeakerAccuracy } from "../support/word-speakers";

jest.setTimeout(180_000);

const conversations = path.join(__dirname, "..", "fixtures", "conversations");
const conversation = path.join(conversations, "test-2spk-000.wav");
let daemon: DaemonProcess;
const verbatim = (...args: string[]) => daemon.cli(...args);
const databaseFile = () => path.join(daemon.home, "state", "history", "history.sqlite");

/** The RTTM's speakers as the speaker model numbers them: 0-based, in the order they first speak. */
function speechOf(rttm: string): SpeakerSegment[] {
  const turns = readRttm(rttm).sort((a, b) => a.start - b.start);
  const order = [...new Set(turns.map((turn) => turn.speaker))];
  return turns.map((turn) => ({ speaker: order.indexOf(turn.speaker), start: turn.start, end: turn.end }));
}

beforeAll(async () => {
  daemon = await DaemonProcess.ready({ model: fixtureModel(), threads: 2 });
});

afterAll(async () => {
  await daemon?.dispose();
});

test("a transcript with speakers in the history: named by the CLI, the names in show and both exports", async () => {
  const transcribed = await verbatim("transcribe", "--format", "json", "--word-timestamps", conversation);
  expect(transcribed.code).toBe(0);
  const json = JSON.parse(transcribed.stdout);
  const transcript: TranscriptData = { ...json, durationSeconds: json.duration };
  const speech = speechOf(conversation.replace(/\.wav$/, ".rttm"));
  const diarized = wordsToSpeakers(transcript, speech);
  expect(diarized.speakers).toBe(2);

  // Each word's speaker against the conversation's own, through the DER's mapping of speakers (none is wrong here).
  const reference = readRttm(conversation.replace(/\.wav$/, ".rttm"));
  const truth = JSON.parse(readFileSync(conversation.replace(/\.wav$/, ".json"), "utf8")).words;
  const { mapping } = diarizationErrors(reference, speech);
  const words = diarized.segments.flatMap((segment) => segment.words!.map((w) => ({ ...w, speaker: w.speaker! })));
  const accuracy = wordSpeakerAccuracy(words, truth, mapping);
  // 30 of 30 where this was written: the bound leaves 3 words in 30 to a word time that moves with another build.
  expect(accuracy.accuracy).toBeGreaterThanOrEqual(0.9);

  // The daemon kept the plain transcript (#1). Stopped, its database goes back to the schema before speakers, and is
  // migrated when the history opens it to record the transcript with speakers (#2), as the daemon will.
  await daemon.stop();
  const old = new DatabaseSync(databaseFile());
  old.exec("ALTER TABLE transcripts DROP COLUMN speakers; ALTER TABLE transcripts DROP COLUMN speaker_names;");
  old.exec("PRAGMA user_version = 3");
  old.close();
  const history = new TranscriptHistory(
    path.join(daemon.home, "state"),
    { history: true, historyDays: 0, historyKeepsRecordings: "none" },
    { warn: (message) => console.warn(message) },
  );
  history.record({
    kind: "file",
    job: "conversation",
    transcript: diarized,
    sourceFile: conversation,
    app: null,
    audioFile: null,
  });
  history.close();
  const migrated = new DatabaseSync(databaseFile());
  expect(migrated.prepare("PRAGMA user_version").get()).toEqual({ user_version: 4 });
  migrated.close();
  await daemon.start();

  expect((await verbatim("history", "speakers", "2")).stdout).toBe(
    "Transcript #2: 2 speaker(s)\n  1  Speaker 1 (no name given)\n  2  Speaker 2 (no name given)\n",
  );
  const named = await verbatim("history", "speakers", "2", "1=Alice", "2=Bob Smith");
  expect(named).toMatchObject({ code: 0, stdout: "Transcript #2: 2 speaker(s)\n  1  Alice\n  2  Bob Smith\n" });

  const turns = (labels: string[]) => {
    const lines: string[] = [];
    for (const segment of diarized.segments) {
      const text = segment
        .words!.map((w) => w.word)
        .join("")
        .trim();
      const label = labels[segment.speaker!];
      if (lines.length > 0 && lines.at(-1)!.startsWith(`${label}: `)) lines[lines.length - 1] += ` ${text}`;
      else lines.push(`${label}: ${text}`);
    }
    return lines;
  };
  const expected = turns(["Alice", "Bob Smith"]);
  expect(expected.length).toBeGreaterThanOrEqual(2);
  const shown = await verbatim("history", "show", "2");
  expect(shown.code).toBe(0);
  expect(shown.stdout).toContain(`\n\n${expected.join("\n")}\n\n`);
  const markdown = (await verbatim("history", "export")).stdout;
  for (const line of expected) expect(markdown).toContain(line.replace(/^([^:]+): /, "**$1:** "));
  const exported = JSON.parse((await verbatim("history", "export", "--format", "json")).stdout);
  expect(exported.entries.map((e: { speakerNames?: string[] }) => e.speakerNames)).toEqual([
    ["Alice", "Bob Smith"],
    undefined,
  ]);
  expect(exported.entries[1].text).toBe(transcript.text); // the entry from before the migration is kept

  // 2= gives back "Speaker 2"; a speaker it does not have, an entry without speakers, and no such entry are refused.
  expect((await verbatim("history", "speakers", "2", "2=")).stdout).toContain("  2  Speaker 2 (no name given)\n");
  const missing = await verbatim("history", "speakers", "2", "3=Carol");
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain("transcript #2 has 2 speaker(s), numbered 1 to 2: there is no speaker 3");
  const plain = await verbatim("history", "speakers", "1", "1=Alice");
  expect(plain.code).toBe(2);
  expect(plain.stderr).toContain("transcript #1 has no speakers to name");
  expect((await verbatim("history", "speakers", "9", "1=Alice")).code).toBe(7);
  const usage = await verbatim("history", "speakers", "2", "Alice");
  expect(usage.code).toBe(2);
  expect(usage.stderr).toContain("history speakers takes N=NAME");
  expect((await verbatim("history", "speakers", "2")).stdout).toContain("  1  Alice\n");
});
