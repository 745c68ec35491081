// Speakers in the history, through the real CLI, the real daemon, its speaker model and its SQLite file: a held-out
// conversation transcribed by the daemon with speakers (the trained fixture speech model, word times, and the trained
// speaker model diarization-trained) is recorded by the daemon itself; a user names its speakers (`verbatim history
// speakers`), and show and both exports use the names. A database of the schema before speakers is migrated, keeping
// its entries.
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { SCHEMA_VERSION } from "../../daemon/src/history/history-database";
import { DaemonProcess } from "../support/daemon-process";
import { fixtureModel } from "../support/fixtures";
import { diarizationErrors } from "../support/der";
import { readRttm } from "../support/rttm";
import { fixtureSpeakerSegments, trainedSpeakerModelFolder } from "../support/speaker-fixture";
import { trainedSpeakerBounds } from "../support/trained-speaker-figures";
import { conversationWords, wordSpeakerAccuracy } from "../support/word-speakers";

jest.setTimeout(180_000);

const conversation = path.join(__dirname, "..", "fixtures", "conversations", "test-2spk-000.wav");
let daemon: DaemonProcess;
const verbatim = (...args: string[]) => daemon.cli(...args);
const databaseFile = () => path.join(daemon.home, "state", "history", "history.sqlite");

interface SpokenSegment {
  speaker: string;
  words: { word: string; start: number; end: number; speaker: string }[];
}
const speakerIndex = (label: string) => Number(label.replace("Speaker ", "")) - 1;

beforeAll(async () => {
  daemon = await DaemonProcess.ready({ model: fixtureModel(), threads: 2, speakerModel: trainedSpeakerModelFolder });
});

afterAll(async () => {
  await daemon?.dispose();
});

test("a transcript with speakers in the history: told apart by the daemon, named by the CLI, the names in show and both exports", async () => {
  const plain = await verbatim("transcribe", "--format", "json", conversation);
  expect(plain.code).toBe(0);

  // The daemon kept the plain transcript (#1). Stopped, its database goes back to the schema before speakers; the
  // restarted daemon migrates it and records the transcript with speakers it makes (#2).
  await daemon.stop();
  const old = new DatabaseSync(databaseFile());
  old.exec("ALTER TABLE transcripts DROP COLUMN speakers; ALTER TABLE transcripts DROP COLUMN speaker_names;");
  old.exec("PRAGMA user_version = 3");
  old.close();
  await daemon.start();
  const transcribed = await verbatim("transcribe", "--format", "json", "--speakers", "auto", conversation);
  expect(transcribed.code).toBe(0);
  const segments = JSON.parse(transcribed.stdout).segments as SpokenSegment[];
  const migrated = new DatabaseSync(databaseFile(), { readOnly: true });
  expect(migrated.prepare("PRAGMA user_version").get()).toEqual({ user_version: SCHEMA_VERSION });
  migrated.close();

  // Each word's speaker against the conversation's own, through the DER's mapping of the speaker model's speakers, held
  // to the bound transcribe-speakers.test.ts holds the same transcript to.
  const speech = await fixtureSpeakerSegments(conversation, trainedSpeakerModelFolder);
  const { mapping } = diarizationErrors(readRttm(conversation.replace(/\.wav$/, ".rttm")), speech);
  const words = segments.flatMap((segment) => segment.words.map((w) => ({ ...w, speaker: speakerIndex(w.speaker) })));
  expect(wordSpeakerAccuracy(words, conversationWords(conversation), mapping).accuracy).toBeGreaterThanOrEqual(
    trainedSpeakerBounds(path.basename(conversation, ".wav")).minWordAccuracy,
  );

  expect((await verbatim("history", "speakers", "2")).stdout).toBe(
    "Transcript #2: 2 speaker(s)\n  1  Speaker 1 (no name given)\n  2  Speaker 2 (no name given)\n",
  );
  const named = await verbatim("history", "speakers", "2", "1=Alice", "2=Bob Smith");
  expect(named).toMatchObject({ code: 0, stdout: "Transcript #2: 2 speaker(s)\n  1  Alice\n  2  Bob Smith\n" });

  const turns = (labels: string[]) => {
    const lines: string[] = [];
    for (const segment of segments) {
      const text = segment.words
        .map((w) => w.word)
        .join("")
        .trim();
      const label = labels[speakerIndex(segment.speaker)];
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
  expect(exported.entries[1].text).toBe(JSON.parse(plain.stdout).text); // the entry from before the migration is kept

  // 2= gives back "Speaker 2"; a speaker it does not have, an entry without speakers, and no such entry are refused.
  expect((await verbatim("history", "speakers", "2", "2=")).stdout).toContain("  2  Speaker 2 (no name given)\n");
  const missing = await verbatim("history", "speakers", "2", "3=Carol");
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain("transcript #2 has 2 speaker(s), numbered 1 to 2: there is no speaker 3");
  const withoutSpeakers = await verbatim("history", "speakers", "1", "1=Alice");
  expect(withoutSpeakers.code).toBe(2);
  expect(withoutSpeakers.stderr).toContain("transcript #1 has no speakers to name");
  expect((await verbatim("history", "speakers", "9", "1=Alice")).code).toBe(7);
  const usage = await verbatim("history", "speakers", "2", "Alice");
  expect(usage.code).toBe(2);
  expect(usage.stderr).toContain("history speakers takes N=NAME");
  expect((await verbatim("history", "speakers", "2")).stdout).toContain("  1  Alice\n");
});
