// Nothing said is lost: a daemon stopped (SIGTERM) or killed (SIGKILL) during a dictation leaves its audio on
// disk as a readable WAV, lists it at the next start, and transcribes it on retry. maxDictationSeconds ends a
// dictation by itself, and keepRecordings "always" keeps its recording.
import { readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { loadAudio } from "../../daemon/src/audio";
import type { RecordingInfo } from "../../daemon/src/protocol";
import { DaemonProcess } from "../support/daemon-process";
import { heldoutWav, pcmOf, sendPcm, startDictation, waitFor, type Following } from "../support/dictation";
import { fixtureModel } from "../support/fixtures";

jest.setTimeout(180_000);

const model = fixtureModel();
const wav = heldoutWav("heldout-03.wav");
let daemon: DaemonProcess;
let pcm: Uint8Array;
let batchText: string;

beforeAll(async () => {
  daemon = await DaemonProcess.ready({ model, threads: 2 });
  pcm = await pcmOf(wav);
  const client = await daemon.connect();
  batchText = (await client.transcribeFile(wav).promise).text;
  client.close();
  expect(batchText.length).toBeGreaterThan(10);
});

afterAll(async () => {
  await daemon?.dispose();
});

/** Starts a dictation and sends all of the speech; resolves once the daemon has received it (its level events). */
async function dictateWithoutStopping(): Promise<Following> {
  const client = await daemon.connect();
  const following = await startDictation(client);
  following.outcome.catch(() => undefined);
  sendPcm(client, following.session, pcm);
  const levels = Math.floor(pcm.length / 2 / 1600);
  await waitFor(
    () => following.events.filter((event) => event.type === "dictation.level").length === levels,
    "the audio to arrive",
  );
  return following;
}

async function recordings(): Promise<RecordingInfo[]> {
  const client = await daemon.connect();
  const event = await client.request({ type: "dictations.list" });
  client.close();
  return event.type === "done" ? (event.recordings ?? []) : [];
}

async function expectRecoveredAndRetried(session: string): Promise<void> {
  const file = path.join(daemon.home, "state", "recordings", `${session}.wav`);
  expect(statSync(file).mode & 0o777).toBe(0o600);
  expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
  // The WAV on disk is readable and holds every sample that was sent.
  const audio = await loadAudio(file);
  expect(audio.warnings).toEqual([]);
  expect(Buffer.from(audio.samples.buffer).equals(Buffer.from((await loadAudio(wav)).samples.buffer))).toBe(true);

  await daemon.start();
  await daemon.waitForModel();
  expect(await recordings()).toEqual([
    expect.objectContaining({ id: session, file, state: "interrupted", audioSeconds: pcm.length / 2 / 16000 }),
  ]);
  const client = await daemon.connect();
  const done = await client.request({ type: "dictations.retry", recording: session });
  client.close();
  expect(done.type === "done" && done.transcript?.text).toBe(batchText);
  expect(await recordings()).toEqual([]); // delivered, so deleted (keepRecordings "failed")
}

test("SIGTERM during a dictation tells its client, keeps the recording, and the next daemon retries it", async () => {
  const following = await dictateWithoutStopping();
  await daemon.stop();
  await expect(following.outcome).rejects.toMatchObject({ code: "shutting_down" });
  const meta = JSON.parse(
    readFileSync(path.join(daemon.home, "state", "recordings", `${following.session}.json`), "utf8"),
  ) as { state: string };
  expect(meta.state).toBe("interrupted");
  await expectRecoveredAndRetried(following.session);
});

test("SIGKILL during a dictation leaves a readable recording that the next daemon finds and retries", async () => {
  const following = await dictateWithoutStopping();
  daemon.child!.kill("SIGKILL");
  await daemon.exited();
  await expectRecoveredAndRetried(following.session);
});

test("maxDictationSeconds stops a dictation with its final text; keepRecordings always keeps the recording", async () => {
  await daemon.stop();
  writeFileSync(
    path.join(daemon.home, "config.json"),
    JSON.stringify({ model, threads: 2, maxDictationSeconds: 2, keepRecordings: "always" }),
  );
  await daemon.start();
  await daemon.waitForModel();
  const client = await daemon.connect();
  const following = await startDictation(client);
  sendPcm(client, following.session, pcm);
  const transcript = await following.outcome; // no dictation.stop
  client.close();
  expect(transcript.text).toBe(batchText);
  expect(await recordings()).toEqual([expect.objectContaining({ id: following.session, state: "delivered" })]);
});
