// Jobs with speakers through the real CLI and the real daemon: the trained fixture speech model and the engine's
// speaker fixtures. The tiny random-weight one (test/fixtures/models/diarization-tiny) tells no one apart, so the
// daemon's speakers are checked against what SpeakerModel.diarize gives in this process for the same samples,
// combined with the same transcript's words (not against the conversation's truth). The trained one
// (diarization-trained) is checked the same way and also against the truth of the six held-out conversations: the
// diarization error rate of its segments and the share of the daemon's words given the right speaker.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { SpeakerSegment } from "@verbatim/native";
import { DaemonClient } from "../../daemon/src/client";
import { formatTranscript, transcriptJson } from "../../daemon/src/formats";
import type { DaemonStatus, Event, TranscriptData } from "../../daemon/src/protocol";
import { keepSpeakers } from "../../daemon/src/speakers/speaker-limit";
import { wordsToSpeakers } from "../../daemon/src/speakers/words-to-speakers";
import { TestHub } from "../../daemon/tests/support/hub-server";
import { DaemonProcess } from "../support/daemon-process";
import { diarizationErrors } from "../support/der";
import { fixtureModel } from "../support/fixtures";
import { readRttm } from "../support/rttm";
import { fixtureSpeakerSegments, speakerModelFolder, trainedSpeakerModelFolder } from "../support/speaker-fixture";
import { MEASURED_ON, measuredConversations, trainedSpeakerBounds } from "../support/trained-speaker-figures";
import { conversationWords, wordSpeakerAccuracy } from "../support/word-speakers";

jest.setTimeout(180_000);

const repo = path.join(__dirname, "..", "..");
const conversation = path.join(repo, "test", "fixtures", "conversations", "test-3spk-000.wav");
let daemon: DaemonProcess;
let plain: TranscriptData;
let speech: SpeakerSegment[];

/** A transcript as `verbatim transcribe --format json` prints it. */
function transcriptOf(stdout: string): TranscriptData {
  const json = JSON.parse(stdout);
  return { ...json, durationSeconds: json.duration };
}

/** The segments as the JSON output writes them (speakers named "Speaker N"). */
function jsonSegments(transcript: TranscriptData): unknown {
  return JSON.parse(transcriptJson(conversation, transcript)).segments;
}

beforeAll(async () => {
  daemon = await DaemonProcess.ready({ model: fixtureModel(), threads: 2, speakerModel: speakerModelFolder });
  const transcribed = await daemon.cli("transcribe", "--format", "json", "--word-timestamps", conversation);
  expect(transcribed.code).toBe(0);
  plain = transcriptOf(transcribed.stdout);
  speech = await fixtureSpeakerSegments(conversation);
  // The random model finds several speakers here, so that --speakers 2 has some to drop.
  expect(new Set(speech.map((segment) => segment.speaker)).size).toBeGreaterThan(2);
  expect(keepSpeakers(speech, 2)).not.toEqual(speech);
});

afterAll(async () => {
  await daemon?.dispose();
});

test("--speakers auto: every word has the speaker SpeakerModel.diarize gives it, in JSON, text, SRT and VTT", async () => {
  const expected = wordsToSpeakers(plain, speech);
  const json = await daemon.cli("transcribe", "--format", "json", "--speakers", "auto", conversation);
  expect(json.code).toBe(0);
  expect(JSON.parse(json.stdout).segments).toEqual(jsonSegments(expected));
  expect(json.stdout).toContain('"speaker":"Speaker 1"');
  for (const format of ["text", "srt", "vtt"] as const) {
    const output = await daemon.cli("transcribe", "--format", format, "--speakers", "auto", conversation);
    expect(output.code).toBe(0);
    expect(output.stdout).toBe(formatTranscript(format, conversation, expected));
  }
  expect(formatTranscript("text", conversation, expected)).toMatch(/^Speaker 1: /);
});

test("--speakers 2 keeps the two who speak longest; the others' words go to them", async () => {
  const kept = keepSpeakers(speech, 2);
  const output = await daemon.cli("transcribe", "--format", "json", "--speakers", "2", conversation);
  expect(output.code).toBe(0);
  const segments = JSON.parse(output.stdout).segments as { speaker: string }[];
  expect(segments).toEqual(jsonSegments(wordsToSpeakers(plain, kept)));
  expect(segments.every((segment) => ["Speaker 1", "Speaker 2"].includes(segment.speaker))).toBe(true);
});

test("the speaker model shows in the status once loaded; a bad count is refused by the CLI and the socket", async () => {
  const status = JSON.parse((await daemon.cli("status", "--json")).stdout) as DaemonStatus;
  expect(status.speakerModel).toMatchObject({ id: speakerModelFolder, state: "ready", folder: speakerModelFolder });
  expect((await daemon.cli("status")).stdout).toContain(`speakers: ${speakerModelFolder} ready`);

  const refused = await daemon.cli("transcribe", "--speakers", "9", conversation);
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toContain('--speakers must be "auto" or a whole number from 1 to 8');

  const client = await DaemonClient.connect(daemon.socket);
  try {
    const job = client.transcribeFile(conversation, { options: { speakers: 0 } });
    await expect(job.promise).rejects.toThrow(/"speakers".*"auto" or a whole number from 1 to 8/);
  } finally {
    client.close();
  }
});

test("--no-daemon: the same speakers from the engine in the CLI's own process", async () => {
  const output = await daemon.cli("transcribe", "--no-daemon", "--format", "json", "--speakers", "auto", conversation);
  expect(output.code).toBe(0);
  expect(JSON.parse(output.stdout).segments).toEqual(jsonSegments(wordsToSpeakers(plain, speech)));
});

test("the idle unload frees the speaker model as it frees the speech model", async () => {
  expect((await daemon.cli("transcribe", "--speakers", "auto", conversation)).code).toBe(0);
  expect((await daemon.status()).speakerModel?.state).toBe("ready");
  const client = await daemon.connect();
  try {
    await client.request({ type: "idleUnload.set", minutes: 0.01 }); // 0.6 s
    const deadline = Date.now() + 30_000;
    while ((await daemon.status()).speakerModel?.state !== "unloaded" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect((await daemon.status()).speakerModel).toMatchObject({ state: "unloaded", folder: null });
    await client.request({ type: "idleUnload.set", minutes: 0 });
  } finally {
    client.close();
  }
  // The next job with speakers loads it again.
  const again = await daemon.cli("transcribe", "--format", "json", "--speakers", "auto", conversation);
  expect(JSON.parse(again.stdout).segments).toEqual(jsonSegments(wordsToSpeakers(plain, speech)));
});

test("the catalog's nemotron-diarization (the default) downloads on the first job with speakers, with progress", async () => {
  const hub = await TestHub.start();
  const cache = mkdtempSync(path.join(os.tmpdir(), "verbatim-speaker-hub-"));
  await hub.addRepoFromFolder("nvidia/Nemotron-3-Diarization", speakerModelFolder);
  const fresh = await DaemonProcess.ready(
    { model: fixtureModel(), threads: 2 },
    { env: { HF_ENDPOINT: hub.url, HF_HUB_CACHE: cache, HF_HUB_OFFLINE: "" } },
  );
  try {
    const client = await fresh.connect();
    const events: Event[] = [];
    try {
      const job = client.transcribeFile(conversation, {
        options: { speakers: "auto" },
        onEvent: (event) => events.push(event),
      });
      const transcript = await job.promise;
      expect(jsonSegments(transcript)).toEqual(jsonSegments(wordsToSpeakers(plain, speech)));
    } finally {
      client.close();
    }
    const stages = events.flatMap((event) => (event.type === "progress" ? [event.stage] : []));
    expect(stages).toContain("download");
    // The speech model transcribes, then the speaker model downloads, loads and runs.
    expect(stages.indexOf("download")).toBeGreaterThan(stages.lastIndexOf("transcribing"));
    expect(stages.lastIndexOf("loading")).toBeGreaterThan(stages.lastIndexOf("download"));
    expect(stages.lastIndexOf("speakers")).toBeGreaterThan(stages.lastIndexOf("loading"));
    expect((await fresh.status()).speakerModel).toMatchObject({ id: "nemotron-diarization", state: "ready" });
    expect((await fresh.status()).speakerModel?.folder).toContain(
      path.join(cache, "models--nvidia--Nemotron-3-Diarization"),
    );
    // `verbatim models list` shows it downloaded, as the speaker model --speakers uses, not among the speech models.
    const listed = await fresh.cli("models", "list");
    expect(listed.code).toBe(0);
    const [speechModels, speakerModels] = listed.stdout.split("Speaker models");
    expect(speakerModels).toMatch(/^\* {2}nemotron-diarization {2}up to 8 speakers {2}400 MB {2}downloaded, 0 MB$/m);
    expect(speakerModels).toContain(`* jobs with --speakers use it (config.json's "speakerModel")`);
    expect(speechModels).not.toContain("Nemotron-3-Diarization");
    expect(speechModels).not.toContain("nemotron-diarization");
    // Nor do clients (Raycast's model picker, the API's /v1/models) get it as a speech model to choose.
    const lister = await fresh.connect();
    try {
      expect((await lister.listModels()).map((model) => model.repoId)).not.toContain("nvidia/Nemotron-3-Diarization");
    } finally {
      lister.close();
    }
    expect((await fresh.cli("doctor")).stdout).toMatch(
      /^ok +speakers +nemotron-diarization loaded \(.*\): --speakers is ready$/m,
    );
  } finally {
    await fresh.dispose();
    await hub.close();
    rmSync(cache, { recursive: true, force: true });
  }
});

test("nemotron-diarization-8bit: the same download packed to 8 bits at load, the job's speakers the packed model's", async () => {
  const hub = await TestHub.start();
  const cache = mkdtempSync(path.join(os.tmpdir(), "verbatim-speaker-hub-"));
  await hub.addRepoFromFolder("nvidia/Nemotron-3-Diarization", speakerModelFolder);
  const packed = await DaemonProcess.ready(
    { model: fixtureModel(), threads: 2, speakerModel: "nemotron-diarization-8bit" },
    { env: { HF_ENDPOINT: hub.url, HF_HUB_CACHE: cache, HF_HUB_OFFLINE: "" } },
  );
  try {
    const eightBit = wordsToSpeakers(
      plain,
      await fixtureSpeakerSegments(conversation, speakerModelFolder, { quantize: "8bit" }),
    );
    // (the random-weight fixture's words move between speakers with 8 bits, so the answer tells the two apart)
    expect(jsonSegments(eightBit)).not.toEqual(jsonSegments(wordsToSpeakers(plain, speech)));
    const output = await packed.cli("transcribe", "--format", "json", "--speakers", "auto", conversation);
    expect(output.code).toBe(0);
    expect(JSON.parse(output.stdout).segments).toEqual(jsonSegments(eightBit));
    expect((await packed.status()).speakerModel).toMatchObject({ id: "nemotron-diarization-8bit", state: "ready" });
  } finally {
    await packed.dispose();
    await hub.close();
    rmSync(cache, { recursive: true, force: true });
  }
});

test("a speaker model folder that is not one fails the job, saying what to set; the daemon runs on", async () => {
  const empty = mkdtempSync(path.join(os.tmpdir(), "no-speaker-model-"));
  mkdirSync(path.join(empty, "inside"));
  const other = await DaemonProcess.ready({ model: fixtureModel(), threads: 2, speakerModel: empty });
  try {
    const failed = await other.cli("transcribe", "--speakers", "auto", conversation);
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toContain(`The speaker model ${empty} (config speakerModel) could not be loaded`);
    expect(failed.stderr).toContain("config.json");
    const status = JSON.parse((await other.cli("status", "--json")).stdout) as DaemonStatus;
    expect(status.speakerModel?.error).toContain("could not be loaded");
    expect((await other.cli("doctor")).stdout).toMatch(
      /^warning +speakers +The speaker model .* could not be loaded: .*\n +→ set "speakerModel" in config\.json/m,
    );
    const after = await other.cli("transcribe", conversation);
    expect(after.code).toBe(0);
    expect(after.stdout.trim()).toBe(plain.text);
  } finally {
    await other.dispose();
    rmSync(empty, { recursive: true, force: true });
  }
});

describe("the trained speaker model (diarization-trained) on the held-out conversations", () => {
  let trained: DaemonProcess;
  const measured: string[] = [];

  beforeAll(async () => {
    trained = await DaemonProcess.ready({ model: fixtureModel(), threads: 2, speakerModel: trainedSpeakerModelFolder });
  });

  afterAll(async () => {
    await trained?.dispose();
    console.log(
      `diarization-trained, DER (no collar, overlap scored) and word speaker accuracy, for ` +
        `test/support/trained-speaker-figures.ts (its figures of ${MEASURED_ON}):\n${measured.join("\n")}`,
    );
  });

  test.each(measuredConversations)(
    "%s: DER and word speaker accuracy within the measured figures' margins",
    async (name) => {
      const { maxDer, minWordAccuracy } = trainedSpeakerBounds(name);
      const recording = path.join(repo, "test", "fixtures", "conversations", `${name}.wav`);
      const speech = await fixtureSpeakerSegments(recording, trainedSpeakerModelFolder);
      const reference = readRttm(recording.replace(/\.wav$/, ".rttm"));
      const der = diarizationErrors(reference, speech);

      const words = await trained.cli("transcribe", "--format", "json", "--word-timestamps", recording);
      expect(words.code).toBe(0);
      const output = await trained.cli("transcribe", "--format", "json", "--speakers", "auto", recording);
      expect(output.code).toBe(0);
      const transcript = JSON.parse(output.stdout);
      // The daemon's speakers are the engine's, placed on the transcript's words.
      expect(transcript.segments).toEqual(
        JSON.parse(transcriptJson(recording, wordsToSpeakers(transcriptOf(words.stdout), speech))).segments,
      );
      const spoken = (transcript.segments as { words: { start: number; end: number; speaker: string }[] }[]).flatMap(
        (segment) =>
          segment.words.map((w) => ({
            start: w.start,
            end: w.end,
            speaker: Number(w.speaker.replace("Speaker ", "")) - 1,
          })),
      );
      const accuracy = wordSpeakerAccuracy(spoken, conversationWords(recording), der.mapping);
      measured.push(
        `${name}: DER ${der.rate.toFixed(3)} (${(100 * der.rate).toFixed(1)}%; missed ${der.missed.toFixed(2)} s, false alarm ` +
          `${der.falseAlarm.toFixed(2)} s, confusion ${der.confusion.toFixed(2)} s of ${der.total.toFixed(2)} s), ` +
          `speakers ${der.mapping.size} of ${new Set(reference.map((turn) => turn.speaker)).size}, words ` +
          `${accuracy.right}/${accuracy.words}`,
      );
      expect(der.rate).toBeLessThanOrEqual(maxDer);
      expect(accuracy.accuracy).toBeGreaterThanOrEqual(minWordAccuracy);
    },
  );
});
