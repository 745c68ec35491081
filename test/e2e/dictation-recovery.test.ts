// Nothing said is lost: a daemon stopped (SIGTERM) or killed (SIGKILL) during a dictation leaves its audio on
// disk as a readable WAV, lists it at the next start, and transcribes it on retry. maxDictationSeconds ends a
// dictation by itself, and keepRecordings "always" keeps its recording. A dictation whose client was killed (and
// whose every audio source is gone) ends within seconds, with its final text in the history and its audio kept.
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadAudio } from "../../daemon/src/audio";
import type { DaemonClient } from "../../daemon/src/client";
import { CAPTURE_START_MS } from "../../daemon/src/dictation/audio-sources";
import type { DictationInfo, Event, RecordingInfo } from "../../daemon/src/protocol";
import { DaemonProcess } from "../support/daemon-process";
import {
  attachDictation,
  heldoutWav,
  pcmOf,
  sendPcm,
  startDictation,
  waitFor,
  type Following,
} from "../support/dictation";
import { fixtureModel, repoRoot } from "../support/fixtures";

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

/**
 * Starts a dictation and sends all of the speech; resolves once the daemon has received every sample (the level
 * events cover whole tenths of a second only, so the last frame's tail may still be on its way when they are in).
 */
async function dictateWithoutStopping(): Promise<Following> {
  const client = await daemon.connect();
  const following = await startDictation(client);
  following.outcome.catch(() => undefined);
  sendPcm(client, following.session, pcm);
  await waitFor(async () => (await receivedSeconds(client)) >= pcm.length / 2 / 16000, "the audio to arrive");
  return following;
}

async function receivedSeconds(client: DaemonClient): Promise<number> {
  const event = await client.request({ type: "dictation.list" });
  return event.type === "done" ? (event.dictations?.[0]?.audioSeconds ?? 0) : 0;
}

async function recordings(on: DaemonProcess = daemon): Promise<RecordingInfo[]> {
  const client = await on.connect();
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

describe("a dictation whose audio source is gone", () => {
  let orphans: DaemonProcess;
  const cli = path.join(repoRoot, "daemon", "bin", "verbatim.js");
  const long = path.join(os.tmpdir(), `verbatim-orphan-${process.pid}.wav`);

  beforeAll(async () => {
    execFileSync("sox", [...["05", "03", "04", "00"].map((n) => heldoutWav(`heldout-${n}.wav`)), long]);
    orphans = await DaemonProcess.ready({ model, threads: 2 });
  });

  afterAll(async () => {
    await orphans?.dispose();
    rmSync(long, { force: true });
  });

  async function request(body: Parameters<DaemonClient["request"]>[0]): Promise<Event> {
    const client = await orphans.connect();
    try {
      return await client.request(body);
    } finally {
      client.close();
    }
  }

  async function running(): Promise<DictationInfo | undefined> {
    const event = await request({ type: "dictation.list" });
    return (event.type === "done" ? (event.dictations ?? []) : []).find((info) => info.state === "running");
  }

  test("kill -9 of `verbatim dictate --input`: within seconds a new dictation starts; the text and audio are kept", async () => {
    const child = spawn(process.execPath, [cli, "dictate", "--input", long], { env: orphans.env, stdio: "ignore" });
    let info: DictationInfo | undefined;
    for (let i = 0; i < 400 && !(info && info.audioSeconds >= 2); i++) {
      info = await running();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(info).toBeDefined();
    const session = info!.session;
    child.kill("SIGKILL");
    const killedAt = Date.now();
    await new Promise((resolve) => child.once("exit", resolve));

    // Refused ("a dictation is already running") only until the orphan has ended: seconds, not maxDictationSeconds.
    const next = await orphans.connect();
    let startedAfterMs = 0;
    for (;;) {
      try {
        const following = await startDictation(next);
        startedAfterMs = Date.now() - killedAt;
        following.outcome.catch(() => undefined);
        await next.request({ type: "dictation.cancel", session: following.session });
        break;
      } catch (error) {
        expect(error).toMatchObject({ code: "busy" });
        if (Date.now() - killedAt > 30_000) throw new Error("the orphaned dictation still runs after 30 s");
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    next.close();
    expect(startedAfterMs).toBeGreaterThan(2500); // it waited for audio from a new source first
    expect(startedAfterMs).toBeLessThan(10_000);

    // Its audio is kept (nobody received its text yet), its final pass ran, and its text is in the history.
    const recording = (await recordings(orphans)).find((r) => r.id === session);
    expect(recording).toMatchObject({ state: "undelivered" });
    const client = await orphans.connect();
    const late = await attachDictation(client, session);
    const transcript = await late.outcome;
    client.close();
    expect(late.events).toContainEqual(expect.objectContaining({ type: "dictation.stopping", reason: "source_gone" }));
    expect(late.events).toContainEqual(
      expect.objectContaining({ type: "notice", message: expect.stringMatching(/audio source .* disconnected/) }),
    );
    expect(transcript.text).not.toBe("");
    expect(transcript.durationSeconds).toBeCloseTo(recording!.audioSeconds, 3);
    // The command line reaches it the same way, from any terminal.
    const attached = await orphans.cli("dictations", "attach", session);
    expect(attached).toMatchObject({ code: 0, stdout: transcript.text + "\n" });
    expect(attached.stderr).toMatch(/^verbatim: the dictation stopped: its audio source .* disconnected/);
    const entries = await request({ type: "history.list" });
    expect(entries.type === "done" && entries.history?.entries).toContainEqual(
      expect.objectContaining({ kind: "dictation", job: session, text: transcript.text }),
    );
  });

  test("a stream dictation goes on while a connection that sends its audio is open, and ends once none is", async () => {
    const starter = await orphans.connect();
    const started = await startDictation(starter);
    started.outcome.catch(() => undefined);
    const follower = await orphans.connect();
    const following = await attachDictation(follower, started.session);
    const sender = await orphans.connect();
    sendPcm(sender, started.session, pcm.subarray(0, 32000));
    await waitFor(() => following.events.some((event) => event.type === "dictation.level"), "the audio to arrive");
    starter.close();
    await new Promise((resolve) => setTimeout(resolve, 4500));
    expect((await running())?.session).toBe(started.session); // the sender is still there

    sender.close();
    const closedAt = Date.now();
    let stoppedAfterMs = 0;
    await waitFor(() => {
      const stopping = following.events.some((event) => event.type === "dictation.stopping");
      if (stopping && !stoppedAfterMs) stoppedAfterMs = Date.now() - closedAt;
      return stopping;
    }, "the dictation to stop");
    expect(stoppedAfterMs).toBeGreaterThan(2500);
    expect(stoppedAfterMs).toBeLessThan(6000);
    expect(following.events).toContainEqual(
      expect.objectContaining({ type: "dictation.stopping", reason: "source_gone" }),
    );
    await following.outcome; // its final pass
    follower.close();
  });

  test("a capture dictation waits longer for its capture process to start, then stops when it is gone", async () => {
    const starter = await orphans.connect();
    const started = await startDictation(starter, "capture");
    started.outcome.catch(() => undefined);
    const follower = await orphans.connect();
    const following = await attachDictation(follower, started.session);
    starter.close(); // Raycast's Toggle Dictation leaves while the capture process starts
    await new Promise((resolve) => setTimeout(resolve, 4500));
    expect((await running())?.session).toBe(started.session);

    const capture = await orphans.connect(); // what `verbatim capture` does: attach, then send the microphone's audio
    const captured = await attachDictation(capture, started.session);
    captured.outcome.catch(() => undefined);
    sendPcm(capture, started.session, pcm.subarray(0, 32000));
    await waitFor(() => following.events.some((event) => event.type === "dictation.level"), "the audio to arrive");
    capture.close();
    await following.outcome;
    expect(following.events).toContainEqual(
      expect.objectContaining({ type: "dictation.stopping", reason: "capture_ended" }),
    );

    // One whose capture process never comes ends too, after CAPTURE_START_MS.
    const alone = await orphans.connect();
    const abandoned = await startDictation(alone, "capture");
    abandoned.outcome.catch(() => undefined);
    const watcher = await orphans.connect();
    const watched = await attachDictation(watcher, abandoned.session);
    const leftAt = Date.now();
    alone.close();
    await watched.outcome;
    const endedAfterMs = Date.now() - leftAt;
    watcher.close();
    expect(watched.events).toContainEqual(
      expect.objectContaining({ type: "dictation.stopping", reason: "source_gone" }),
    );
    expect(endedAfterMs).toBeGreaterThan(CAPTURE_START_MS - 1000);
    expect(endedAfterMs).toBeLessThan(CAPTURE_START_MS + 10_000);
  });
});
