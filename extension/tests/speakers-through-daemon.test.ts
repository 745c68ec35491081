// Transcribe File with its "Speakers" choice against the real daemon (the trained fixture speech model and the
// engine's tiny speaker model): the job asks for speakers, the progress names the speaker stage, and the finished
// Detail shows one paragraph per turn, named as `verbatim transcribe --speakers` names them; Copy takes those lines.
// @raycast/api is not involved: these modules never import it.
import path from "node:path";
import { DaemonProcess } from "../../test/support/daemon-process";
import { fixtureModel, repoRoot } from "../../test/support/fixtures";
import { connect } from "../src/lib/daemon-connection";
import { JobStore } from "../src/lib/job-store";
import { fileTranscriptionOptions } from "../src/lib/preferences";
import { SPEAKER_CHOICES, speakersOption } from "../src/lib/speaker-choices";
import { finishedText, overallProgress, transcriptMarkdown } from "../src/lib/transcript-view";
import { transcribeFiles, type FileTranscription } from "../src/lib/transcription";
import { MemoryStorage } from "./memory-storage";

jest.setTimeout(180_000);

const conversation = path.join(repoRoot, "test", "fixtures", "conversations", "test-2spk-000.wav");
let daemon: DaemonProcess;

beforeAll(async () => {
  daemon = await DaemonProcess.ready({
    model: fixtureModel(),
    threads: 2,
    speakerModel: path.join(repoRoot, "test", "fixtures", "models", "diarization-tiny"),
  });
});

afterAll(async () => {
  await daemon?.dispose();
});

test("the Speakers choices are the daemon's speakers option", () => {
  expect(SPEAKER_CHOICES.map((choice) => speakersOption(choice.value))).toEqual([
    undefined,
    "auto",
    2,
    3,
    4,
    5,
    6,
    7,
    8,
  ]);
  expect(fileTranscriptionOptions({ finishedText: "copy" }, { speakers: "off" })).not.toHaveProperty("speakers");
  expect(fileTranscriptionOptions({ finishedText: "copy" }, { speakers: "3" })).toMatchObject({ speakers: 3 });
});

test("a file with speakers: the turns in the Detail, as verbatim transcribe --speakers prints them", async () => {
  const printed = await daemon.cli("transcribe", "--speakers", "auto", conversation);
  expect(printed.code).toBe(0);
  const lines = printed.stdout.trimEnd().split("\n");
  expect(lines.length).toBeGreaterThan(1);

  const client = await connect(daemon.socket);
  const snapshots: FileTranscription[][] = [];
  try {
    const [state] = await transcribeFiles(client, [conversation], {
      options: fileTranscriptionOptions({ finishedText: "copy" }, { speakers: "auto" }),
      jobs: new JobStore(new MemoryStorage()),
      onChange: (next) => snapshots.push(next),
    });
    expect(state.status).toBe("done");
    expect(snapshots.some((states) => overallProgress(states).startsWith("Telling speakers apart"))).toBe(true);
    // "Speaker 1: text" lines become "**Speaker 1:** text" paragraphs (the fixture's words need no escaping).
    const paragraphs = lines.map((line) => line.replace(/^(Speaker \d+):/, "**$1:**"));
    expect(transcriptMarkdown([state])).toBe(paragraphs.join("\n\n") + "\n");
    expect(finishedText([state])).toBe(printed.stdout.trimEnd());
  } finally {
    client.close();
  }
});
