// Kept dictation recordings in the history (real SQLite file, real ffmpeg): compressed to FLAC in the background
// without loss, one left as WAV when the daemon stopped is compressed at the next start, and without an encoder the
// WAV stays, with a warning.
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadAudio } from "../src/audio";
import { TranscriptHistory } from "../src/history/transcript-history";
import { RecordingCompressor } from "../src/history/recording-compressor";
import type { TranscriptData } from "../src/protocol";
import { repoRoot } from "../../test/support/fixtures";

const speech = path.join(repoRoot, "test", "fixtures", "heldout", "heldout-03.wav");
const work = mkdtempSync(path.join(os.tmpdir(), "verbatim-kept-"));
const silentLog = { warn: () => undefined };
const settings = { history: true, historyDays: 0, historyKeepsRecordings: "dictations" as const };
const transcript: TranscriptData = {
  text: "words",
  language: "en",
  durationSeconds: 3,
  segments: [],
  model: "m",
  backend: "cpu",
};

afterAll(() => rmSync(work, { recursive: true, force: true }));

function dictationFinished(folder: string, name: string) {
  const wav = path.join(folder, `${name}.wav`);
  copyFileSync(speech, wav);
  return { kind: "dictation" as const, job: name, transcript, sourceFile: null, app: null, audioFile: wav };
}

const recordingOf = (history: TranscriptHistory) => {
  const event = history.answer({ type: "history.list", id: "l" });
  return event.history!.entries[0]!.recording!;
};

async function until(check: () => boolean): Promise<void> {
  for (let tries = 0; tries < 200 && !check(); tries++) await new Promise((resolve) => setTimeout(resolve, 25));
}

test("a kept dictation recording becomes FLAC with the same samples; a WAV left at stop is compressed at start", async () => {
  const state = path.join(work, "state");
  let history = new TranscriptHistory(state, settings, silentLog);
  history.record(dictationFinished(work, "first"));
  history.close(); // before its compression ran
  const wav = path.join(state, "history", "recordings", "1.wav");
  expect(existsSync(wav)).toBe(true);

  history = new TranscriptHistory(state, settings, silentLog);
  await until(() => recordingOf(history).endsWith(".flac"));
  const flac = recordingOf(history);
  expect(flac).toBe(path.join(state, "history", "recordings", "1.flac"));
  expect(existsSync(wav)).toBe(false);
  expect((await loadAudio(flac)).samples).toEqual((await loadAudio(speech)).samples);
  expect(history.status().recordings!.count).toBe(1);
  history.close();
});

test("without ffmpeg or afconvert the recording stays WAV, and the log says why", async () => {
  const warnings: string[] = [];
  const compressor = new RecordingCompressor({ warn: (message) => warnings.push(message) }, async () => undefined);
  const wav = path.join(work, "plain.wav");
  copyFileSync(speech, wav);
  expect(await compressor.compress(wav)).toBeNull();
  expect(existsSync(wav)).toBe(true);
  expect(warnings).toEqual([expect.stringMatching(/stay uncompressed WAV: neither ffmpeg nor afconvert/)]);
});
