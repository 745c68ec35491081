// Silence, noise and pauses give no words (issue 27), as a user meets them, on the real daemon with the fixture model:
// audio with no speech in it (test/support/no-speech.cjs) through `verbatim dictate --input` and `transcribe --vad`;
// held-out sentences with pauses around them; times that stay inside the audio; a dictation that stops itself after
// silence; and translation refused for an English-only model.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadAudio } from "../../daemon/src/audio";
import type { SegmentData, TranscriptData } from "../../daemon/src/protocol";
import { DaemonProcess } from "../support/daemon-process";
import { heldoutWav, pcmOf, sendPcm, startDictation, stopDictation } from "../support/dictation";
import { fixtureModel } from "../support/fixtures";
import { makeNoSpeechSet, surround, type NoSpeechFile } from "../support/no-speech";
import { normalizeWords } from "../support/wer";

jest.setTimeout(300_000);

const model = fixtureModel();
let daemon: DaemonProcess;
let work: string;
let noSpeech: NoSpeechFile[];

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), "no-invented-text-"));
  mkdirSync(path.join(work, "no-speech"));
  noSpeech = makeNoSpeechSet(path.join(work, "no-speech"));
  daemon = await DaemonProcess.ready({ model, threads: 2 });
});

afterAll(async () => {
  await daemon?.dispose();
  rmSync(work, { recursive: true, force: true });
});

interface JsonTranscript {
  file: string;
  text: string;
  duration: number;
  segments: SegmentData[];
}

const jsonLines = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line));

/** Every segment and word lies inside the audio: from 0 to its duration. */
function expectInsideAudio(segments: SegmentData[], duration: number): void {
  for (const segment of segments) {
    for (const timed of [segment, ...(segment.words ?? [])]) {
      expect(timed.start).toBeGreaterThanOrEqual(0);
      expect(timed.end).toBeGreaterThanOrEqual(timed.start);
      expect(timed.end).toBeLessThanOrEqual(duration + 0.0005); // the CLI's JSON rounds to the millisecond
    }
  }
}

test("audio without speech gives no words through dictate --input, nor through transcribe --vad", async () => {
  expect(noSpeech.length).toBeGreaterThanOrEqual(20);
  for (const { name, file } of noSpeech) {
    const dictated = await daemon.cli("dictate", "--input", file, "--fast");
    expect({ name, ...dictated }).toEqual({ name, code: 6, stdout: "", stderr: "verbatim: No speech detected\n" });
  }
  const transcribed = await daemon.cli("transcribe", "--vad", "--format", "json", ...noSpeech.map((f) => f.file));
  expect(transcribed.code).toBe(6); // as dictate: no speech heard
  const outputs: JsonTranscript[] = jsonLines(transcribed.stdout);
  expect(outputs.map((o) => [path.basename(o.file), o.text, o.segments])).toEqual(
    noSpeech.map((f) => [path.basename(f.file), "", []]),
  );
  expect(transcribed.stderr.match(/no speech detected/g)).toHaveLength(noSpeech.length);
});

test("a dictation that hears no speech: no live text, no utterance, done with noSpeech, no history entry", async () => {
  const client = await daemon.connect();
  const following = await startDictation(client);
  for (const name of ["room-tone", "bumps", "silence-2s"]) {
    sendPcm(client, following.session, await pcmOf(noSpeech.find((f) => f.name === name)!.file));
  }
  const transcript = await stopDictation(client, following.session);
  expect(await following.outcome).toEqual(transcript);
  expect(transcript).toMatchObject({ text: "", segments: [], noSpeech: true });
  expect(transcript.durationSeconds).toBeCloseTo(18, 3);
  const types = new Set(following.events.map((event) => event.type));
  expect(types.has("dictation.committed")).toBe(false);
  expect(types.has("dictation.utterance")).toBe(false);
  const history = await client.request({ type: "history.list" });
  expect(history.type === "done" && history.history!.entries.map((entry) => entry.job)).not.toContain(
    following.session,
  );
  client.close();
});

test("sentences with 0-3 s of silence or low noise around them: no word added by the pauses, all inside the audio", async () => {
  const spoken = new Map<string, string>(
    JSON.parse(readFileSync(path.join(path.dirname(heldoutWav("x")), "heldout.json"), "utf8")).map(
      (item: { file: string; text: string }) => [heldoutWav(item.file), item.text],
    ),
  );
  const sentences = ["heldout-01.wav", "heldout-04.wav", "heldout-09.wav", "heldout-12.wav", "heldout-15.wav"];
  const cases = sentences.map((name, i) => {
    const file = path.join(work, `padded-${i}.wav`);
    const before = [0, 1, 2, 3, 2][i];
    surround(heldoutWav(name), file, { before, after: [3, 2, 1, 0.5, 3][i], noiseDb: i % 2 ? -50 : null });
    return { clean: heldoutWav(name), file, before };
  });
  const words = (text: string) => normalizeWords(text).length;
  // The small model may hear a word as two (or two as one) differently with and without the pauses: a word is added
  // when the text has more words than the sentence spoken and than the same sentence without pauses gives.
  const most = (clean: string, alone: string) => Math.max(words(spoken.get(clean)!), words(alone));
  for (const { clean, file, before } of cases) {
    // A dictation of the sentence alone, and of the sentence with its pauses.
    // (one dictation runs at a time)
    const alone = await daemon.cli("dictate", "--input", clean, "--fast", "--json");
    const paused = await daemon.cli("dictate", "--input", file, "--fast", "--json");
    const aloneTranscript: JsonTranscript = jsonLines(alone.stdout).at(-1);
    const pausedTranscript: JsonTranscript = jsonLines(paused.stdout).at(-1);
    expect(words(pausedTranscript.text)).toBeGreaterThan(0);
    expect(words(pausedTranscript.text)).toBeLessThanOrEqual(most(clean, aloneTranscript.text));
    expectInsideAudio(pausedTranscript.segments, pausedTranscript.duration);

    // The same as files, with word timings.
    const files = await daemon.cli("transcribe", "--vad", "--word-timestamps", "--format", "json", clean, file);
    const [cleanFile, pausedFile]: JsonTranscript[] = jsonLines(files.stdout);
    expect(words(pausedFile.text)).toBeGreaterThan(0);
    expect(words(pausedFile.text)).toBeLessThanOrEqual(most(clean, cleanFile.text));
    expectInsideAudio(pausedFile.segments, pausedFile.duration);
    // Its words on the file's own timeline: where they are in the clean recording, moved by the pause before it.
    const firstWord = (t: JsonTranscript) => t.segments[0].words![0];
    expect(firstWord(pausedFile).start).toBeCloseTo(firstWord(cleanFile).start + before, 0);
    // The sentence's speech begins 0.3 s into its recording, the margin the dictation keeps before speech.
    expect(pausedTranscript.segments[0].start).toBeGreaterThanOrEqual(before - 0.05);
    expect(pausedTranscript.segments[0].start).toBeLessThan(before + 0.5);
  }
});

test("no segment or word ends after its audio, however short the audio", async () => {
  // The first 0.25 s of a sentence's speech: the model's window is 30 s, and it may time text past the end.
  const short = path.join(work, "short.wav");
  execFileSync("sox", [heldoutWav("heldout-07.wav"), short, "trim", "0.3", "0.25"]);
  const file = await daemon.cli("transcribe", "--no-vad", "--word-timestamps", "--format", "json", short);
  const [transcript]: JsonTranscript[] = jsonLines(file.stdout);
  expect(transcript.duration).toBeCloseTo(0.25, 3);
  expectInsideAudio(transcript.segments, transcript.duration);

  const client = await daemon.connect();
  const following = await startDictation(client, "stream", { wordTimestamps: true });
  sendPcm(client, following.session, await pcmOf(heldoutWav("heldout-07.wav")));
  const dictated: TranscriptData = await stopDictation(client, following.session);
  for (const event of following.events) {
    if (event.type === "dictation.utterance") expectInsideAudio(event.segments, event.end);
  }
  expectInsideAudio(dictated.segments, dictated.durationSeconds);
  client.close();
});

test("dictate --auto-stop 1.5 ends by itself 1.5 s after the speech, with the sentence's text", async () => {
  const sentence = heldoutWav("heldout-07.wav");
  const file = path.join(work, "then-silence.wav");
  surround(sentence, file, { before: 0, after: 5 });
  const samples = (await loadAudio(sentence)).samples;
  let last = samples.length - 1;
  while (last > 0 && Math.abs(samples[last]) <= 1e-3) last--;
  const speechEnd = (last + 1) / 16000;
  const result = await daemon.cli("dictate", "--input", file, "--auto-stop", "1.5", "--json"); // at real-time pace
  expect(result.code).toBe(0);
  const lines = jsonLines(result.stdout);
  const stopping = lines.find((line) => line.type === "stopping");
  expect(stopping).toMatchObject({ reason: "auto_stop" });
  // Within 1.5 s and one live update (0.2 s) of the speech's end, give or take a 32 ms detector frame.
  expect(stopping.at).toBeGreaterThanOrEqual(speechEnd + 1.5 - 0.1);
  expect(stopping.at).toBeLessThanOrEqual(speechEnd + 1.5 + 0.2 + 0.1);
  const transcript: JsonTranscript = lines.at(-1);
  const utterance = lines.find((line) => line.type === "utterance");
  expect(transcript.text).toBe(utterance.text);
  expect(normalizeWords(transcript.text).length).toBeGreaterThan(3);
  expect(transcript.duration).toBeLessThan(5); // the rest of the file was never sent
});

test("translate with an English-only model is refused: a clear CLI message and a typed protocol error", async () => {
  const sentence = heldoutWav("heldout-07.wav");
  const cli = await daemon.cli("transcribe", "--task", "translate", sentence);
  expect(cli.code).toBe(2);
  expect(cli.stdout).toBe("");
  expect(cli.stderr).toMatch(/English-only model and cannot translate; use a multilingual model/);

  const client = await daemon.connect();
  await expect(client.transcribeFile(sentence, { options: { task: "translate" } }).promise).rejects.toMatchObject({
    code: "unsupported",
  });
  await expect(startDictation(client, "stream", { task: "translate" }).then((f) => f.outcome)).rejects.toMatchObject({
    code: "unsupported",
  });
  client.close();
});
