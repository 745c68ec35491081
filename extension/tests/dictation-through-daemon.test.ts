// The Dictate and Toggle Dictation logic against the real daemon, over every family that dictates live
// (test/support/families.ts: the family's trained fixture model, held-out speech it reads sent as the capture process
// would send it, from another connection): the gate that lets a dictation start, the state machine from start to
// done, live text with its tentative tail replaced by each utterance's final text, Transcribe File's view and the menu
// bar's model line. On the default family, what the extension does whatever the model: following a running dictation
// instead of starting a second, recovering one that ended unfollowed, cancel, the silent-microphone screen, the capture
// command from status (failing, and recording a PulseAudio null sink's monitor on Linux), the model line of a switch;
// and, with no daemon, redraw throttling and the clipboard order of a paste. @raycast/api is not involved: these
// modules never import it.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DaemonProcess } from "../../test/support/daemon-process";
import {
  attachDictation,
  FRAME_BYTES,
  heldoutWav,
  pcmOf,
  sendPcmInRealTime,
  startDictation,
  waitFor,
  writePcmSlice,
} from "../../test/support/dictation";
import { defaultFamily, liveFamilies } from "../../test/support/families";
import { makeRandomModel, smallEnglishDims } from "../../test/support/fixtures";
import { normalizeWords } from "../../test/support/wer";
import { PulseAudioServer } from "../../test/support/pulseaudio";
import { findSoundIn } from "../../test/support/signal-match";
import { captureCommandProblem } from "../src/lib/capture-command";
import { openCapture, openMicrophone } from "../src/lib/capture-process";
import { connect, type DaemonClient, type DaemonStatus } from "../src/lib/daemon-connection";
import {
  Dictation,
  failedDictation,
  initialDictation,
  runningDictation,
  type DictationSetup,
  type DictationState,
} from "../src/lib/dictation-session";
import { dictateGate, openDaemon } from "../src/lib/dictation-start";
import { liveTextParts } from "../src/lib/dictation-text";
import { JobStore } from "../src/lib/job-store";
import { loadMenuBar, menuBarModel } from "../src/lib/menu-bar-model";
import {
  dictatedText,
  dictationMarkdown,
  elapsed,
  levelMeter,
  MICROPHONE_SILENT_HUD,
  microphoneSilentMarkdown,
} from "../src/lib/dictation-view";
import { deliverText, type ClipboardContent, type ClipboardOperations } from "../src/lib/paste-keeping-clipboard";
import { redrawThrottle } from "../src/lib/redraw-throttle";
import { finishedText, transcriptMarkdown } from "../src/lib/transcript-view";
import { transcribeFiles } from "../src/lib/transcription";
import { MemoryStorage } from "./memory-storage";

jest.setTimeout(180_000);

// The capture process records through PulseAudio on Linux, which a test can point at a private server (or at none);
// on macOS it records through CoreAudio, which no test can feed.
const onLinux = process.platform === "linux" ? test : test.skip;

const logs = mkdtempSync(path.join(os.tmpdir(), "verbatim-capture-log-"));
// The family whose tests run (one family at a time): its daemon and fixture, and the sentence it reads.
let model: string;
let daemon: DaemonProcess;
let speech: Uint8Array;
let batchText: string;
const clients: DaemonClient[] = [];

async function client(): Promise<DaemonClient> {
  const connected = await connect(daemon.socket);
  clients.push(connected);
  return connected;
}

/** Sends PCM at real-time pace from its own connection, as `verbatim capture` does. */
async function speak(session: string, pcm: Uint8Array): Promise<void> {
  await sendPcmInRealTime(await client(), session, pcm);
}

/** The capture processes (bin/verbatim-capture.js) running for the daemon on `socket`: by command and environment. */
function capturesFor(socket: string): string[] {
  return readdirSync("/proc").filter((pid) => {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      const env = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
      return args.some((arg) => arg.endsWith("verbatim-capture.js")) && env.includes(`VERBATIM_SOCKET=${socket}`);
    } catch {
      return false; // not a process, or gone meanwhile
    }
  });
}

function dictation(source: "capture" | "stream", connection: DaemonClient, extra: Partial<DictationSetup> = {}) {
  const states: DictationState[] = [];
  const run = new Dictation(connection, { source, onChange: (state) => states.push(state), ...extra });
  return { run, states };
}

afterAll(() => {
  rmSync(logs, { recursive: true, force: true });
});

describe.each(liveFamilies)("$name", (family) => {
  beforeAll(async () => {
    model = family.model;
    // Recordings kept: the capture test compares the final text with transcribing exactly what was recorded.
    daemon = await DaemonProcess.ready({ model, threads: 2, keepRecordings: "always", ...family.daemonConfig });
    const file = heldoutWav(family.sentence.file);
    speech = await pcmOf(file);
    const connection = await client();
    batchText = (await connection.transcribeFile(file).promise).text;
    expect(batchText).toBe(family.sentence.text);
  });

  afterAll(async () => {
    for (const connection of clients.splice(0)) connection.close();
    await daemon?.dispose();
  });

  test("Dictate and Toggle Dictation's gate lets the model start at once", async () => {
    const opened = await openDaemon(daemon.socket, new AbortController().signal);
    clients.push(opened.client);
    expect(opened.status.model.capabilities).toEqual(family.capabilities);
    expect(dictateGate(opened.status)).toEqual({ kind: "start" });
  });

  test("a dictation goes starting → recording → stopping → done, with live text, level and time, and the final text", async () => {
    const { run, states } = dictation("stream", await client());
    await run.begun;
    expect(run.state).toMatchObject({ phase: "recording", origin: "start", model: { id: model, loading: false } });
    await speak(run.state.session!, speech);
    await run.stop();
    const final = await run.finished;

    expect(final.phase).toBe("done");
    expect(final.transcript!.text).toBe(batchText);
    expect(dictatedText(final)).toBe(batchText.trim());
    const phases = states.map((state) => state.phase).filter((phase, i, all) => phase !== all[i - 1]);
    expect(phases).toEqual(["starting", "recording", "stopping", "done"]);
    // Live text arrived while recording, rendered with the tentative tail in italics apart from the settled text.
    const live = states.filter((state) => state.phase === "recording" && liveTextParts(state.text).settled);
    expect(live.length).toBeGreaterThan(0);
    const withTail = states.find((state) => state.phase === "recording" && liveTextParts(state.text).tentative);
    if (withTail) expect(dictationMarkdown(withTail)).toContain(`*${liveTextParts(withTail.text).tentative}`);
    // Live text shows whole spoken words: the last live text before the final pass.
    const shown = normalizeWords(liveTextParts(live[live.length - 1].text).settled);
    const spoken = normalizeWords(family.sentence.text);
    expect(shown.filter((word) => spoken.includes(word)).length).toBeGreaterThanOrEqual(
      family.minLiveSpoken * shown.length,
    );
    // The utterance's final text replaced its committed and tentative text.
    const settledOnce = states.find((state) => state.text.utterances[0]?.final);
    expect(settledOnce && liveTextParts(settledOnce.text)).toEqual({ settled: batchText.trim(), tentative: "" });
    // Level meter and elapsed time followed the audio.
    expect(states.some((state) => state.level && state.level.peak > 0.05)).toBe(true);
    expect(levelMeter(states.find((state) => state.level && state.level.peak > 0.05)!.level)).toMatch(/^▮+▯*$/);
    const seconds = speech.length / 2 / 16000;
    expect(final.audioSeconds).toBeCloseTo(seconds, 1);
    expect(elapsed(final.audioSeconds)).toBe(`0:0${Math.floor(seconds)}`);
    expect(dictationMarkdown(final)).toContain(batchText.trim().slice(0, -1));
  });

  test("Transcribe File: the view's text and the model's name", async () => {
    const file = heldoutWav(family.sentence.file);
    const jobs = new JobStore(new MemoryStorage());
    const [state] = await transcribeFiles(await client(), [file], { jobs, onChange: () => undefined });
    expect(state.status).toBe("done");
    expect(state.transcript!.model).toBe(model);
    expect(finishedText([state])).toBe(batchText.trim());
    expect(transcriptMarkdown([state])).toContain(batchText.trim());
  });

  test("the menu bar names the model in use", async () => {
    const menu = await loadMenuBar(daemon.socket, []);
    expect(menu.state).toBe("ready");
    expect(menu.details).toContain(`Model: ${model}`);
  });

  // What the extension does whatever the model's family: once, on the default family's daemon.
  if (family !== defaultFamily) return;

  test("Auto-Stop: silence after speech ends the dictation by itself, and its state says so", async () => {
    const { run } = dictation("stream", await client(), { autoStopSeconds: 1 });
    await run.begun;
    await speak(run.state.session!, Buffer.concat([speech, new Uint8Array(2 * 16000 * 2)])); // then 2 s of silence
    const final = await run.finished;
    expect(final).toMatchObject({ phase: "done", stopReason: "auto_stop" });
    expect(final.transcript!.text).toBe(batchText);
    expect(final.audioSeconds).toBeLessThan(speech.length / 2 / 16000 + 1.5);
  });

  test("a dictation that hears no speech ends with no text, and says so", async () => {
    const { run } = dictation("stream", await client());
    await run.begun;
    await speak(run.state.session!, new Uint8Array(2 * 16000)); // 1 s of silence
    await run.stop();
    const final = await run.finished;
    expect(final).toMatchObject({ phase: "done", stopReason: "requested", transcript: { text: "", noSpeech: true } });
    expect(dictatedText(final)).toBe("");
    expect(dictationMarkdown(final)).toContain("No speech detected");
  });

  test("reopening follows the running dictation instead of starting another, and both get the final text", async () => {
    const first = dictation("stream", await client());
    await first.run.begun;
    const sending = speak(first.run.state.session!, speech);
    const second = dictation("stream", await client());
    await second.run.begun;
    expect(second.run.state).toMatchObject({ origin: "follow", session: first.run.state.session, phase: "recording" });
    // The menu bar shows it recording, with its session for Stop and Insert / Cancel.
    const connection = await client();
    const menuInputs = async () => ({
      status: await connection.status(),
      cachedModels: [],
      history: [],
      jobs: [],
      dictation: await runningDictation(connection),
    });
    const menu = menuBarModel(await menuInputs());
    expect(menu).toMatchObject({
      state: "recording",
      dictation: { session: first.run.state.session, stopping: false },
    });
    expect(menu.title).toMatch(/^0:0\d$/);
    await sending;
    await second.run.stop(); // the follower may stop it, as the menu bar does
    const [a, b] = await Promise.all([first.run.finished, second.run.finished]);
    expect(a.transcript!.text).toBe(batchText);
    expect(b.transcript!.text).toBe(batchText);
    expect(menuBarModel(await menuInputs())).toMatchObject({
      state: "ready",
      dictation: null,
    });
  });

  test("a dictation that ended while nobody followed it (Raycast closed) is offered by the next Dictate", async () => {
    const starter = await connect(daemon.socket);
    const first = dictation("capture", starter); // no openMicrophone: this test's connection sends the audio
    await first.run.begun;
    const session = first.run.state.session!;
    starter.close(); // Raycast's window closed mid-dictation
    await first.run.finished;
    const sender = await connect(daemon.socket);
    for (let offset = 0; offset < speech.length; offset += FRAME_BYTES) {
      sender.sendAudio(session, speech.subarray(offset, offset + FRAME_BYTES));
    }
    await new Promise((resolve) => setTimeout(resolve, 200)); // the frames reach the daemon before the close
    sender.close(); // the capture process ended: the dictation stops with nobody following
    const watcher = await client();
    for (let i = 0; i < 300; i++) {
      const event = await watcher.request({ type: "dictations.list" });
      if (event.type === "done" && event.recordings?.some((r) => r.id === session && r.state === "undelivered")) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const reopened = dictation("stream", await client(), { recover: true });
    const recovered = await reopened.run.finished;
    expect(recovered).toMatchObject({ phase: "done", origin: "recover", session });
    expect(recovered.transcript!.text).toBe(batchText);
    expect(dictationMarkdown(recovered)).toMatch(/^_Recovered/);
    // Delivered now: the next Dictate starts afresh.
    const next = dictation("stream", await client(), { recover: true });
    await next.run.begun;
    expect(next.run.state.origin).toBe("start");
    await next.run.cancel();
    expect((await next.run.finished).phase).toBe("canceled");
  });

  test("Enter pressed before the dictation has started stops it as soon as it starts", async () => {
    const { run, states } = dictation("stream", await client());
    const stopping = run.stop();
    expect(run.state.phase).toBe("stopping");
    await stopping;
    const final = await run.finished;
    expect(final.phase).toBe("done");
    expect(final.transcript!.text).toBe("");
    expect(states.map((state) => state.phase)).not.toContain("recording");
  });

  test("a capture dictation whose microphone gives only zeros shows the permission screen until sound arrives", async () => {
    const { run, states } = dictation("capture", await client());
    await run.begun;
    // What a denied permission records, or a first run while macOS's prompt waits for an answer.
    await speak(run.state.session!, new Uint8Array(2.5 * 32000));
    await waitFor(() => run.state.microphoneSilent !== null, "microphone_silent", 10_000);
    expect(microphoneSilentMarkdown(run.state.microphoneSilent!)).toContain("Privacy & Security → Microphone");
    expect(MICROPHONE_SILENT_HUD).toMatch(
      /^Verbatim hears only silence: if macOS asks, allow Raycast .* Still listening…$/,
    );
    // Access allowed: the first sound clears the screen, and the dictation goes on to its text.
    await speak(run.state.session!, speech);
    expect(run.state.microphoneSilent).toBeNull();
    const silentAt = states.findIndex((state) => state.microphoneSilent !== null);
    const cleared = states.slice(silentAt).find((state) => state.microphoneSilent === null);
    expect(cleared?.level?.peak).toBeGreaterThan(0); // cleared by a level that heard something
    await run.stop();
    const final = await run.finished;
    expect(final).toMatchObject({ phase: "done", microphoneSilent: null });
    expect(final.transcript!.text).not.toBe("");
  });

  onLinux(
    "the capture command from status is spawned detached; when it fails the dictation stops and says why",
    async () => {
      const logFile = path.join(logs, "capture.log");
      // No audio server here for the capture process to open (PULSE_SERVER points nowhere): it exits 3.
      const env = {
        ...process.env,
        PULSE_SERVER: `unix:${path.join(logs, "no-such-server")}`,
        VERBATIM_HOME: daemon.home,
      };
      const { run } = dictation("capture", await client(), {
        openMicrophone: (status) => {
          expect(captureCommandProblem(status.capture.command)).toBeNull(); // the daemon's own, as Raycast checks
          return openCapture({ command: status.capture.command, socket: daemon.socket, logFile, env });
        },
      });
      const final = await run.finished;
      expect(final.phase).toBe("error");
      expect(final.error!.message).toMatch(/^The microphone capture stopped \(exit 3: .*microphone/is);
      // The dictation did not stay open waiting for audio.
      expect(await (await client()).request({ type: "dictation.list" })).toMatchObject({
        dictations: expect.not.arrayContaining([expect.objectContaining({ state: "running" })]),
      });
    },
  );

  onLinux(
    "Dictate records the microphone through the capture command it spawns (a PulseAudio null sink here)",
    async () => {
      if (!PulseAudioServer.available()) {
        throw new Error("this test needs PulseAudio: apt-get install pulseaudio pulseaudio-utils");
      }
      const pulse = new PulseAudioServer();
      pulse.start();
      try {
        const logFile = path.join(logs, "capture.log");
        let captureExit: Promise<string | null> | undefined;
        let statesBeforeMicrophone = -1;
        let microphoneOpenWhenFieldsRead: boolean | undefined;
        const { run, states } = dictation("capture", await client(), {
          // As Dictate reads the frontmost app, its mode and its selection: only once the microphone is open.
          startFields: async () => {
            microphoneOpenWhenFieldsRead = statesBeforeMicrophone >= 0;
            return { options: { beamSize: 1 } };
          },
          openMicrophone: (status) => {
            statesBeforeMicrophone = states.length;
            const env = { ...pulse.env, VERBATIM_HOME: daemon.home };
            const capture = openMicrophone({ status, socket: daemon.socket, logFile, env });
            captureExit = capture.exited.then((exit) => (exit.code === 0 ? null : exit.message));
            return capture;
          },
        });
        await run.begun;
        // The microphone opened first: before the daemon had started the dictation (no state had its session yet),
        // and before the start request's fields were read.
        expect(statesBeforeMicrophone).toBeGreaterThanOrEqual(0);
        expect(microphoneOpenWhenFieldsRead).toBe(true);
        expect(states.slice(0, statesBeforeMicrophone).every((state) => state.session === null)).toBe(true);
        expect(states.findIndex((state) => state.session !== null)).toBeGreaterThanOrEqual(statesBeforeMicrophone);
        await waitFor(() => run.state.level !== null, "audio from the capture process", 20_000);
        await pulse.play(heldoutWav("heldout-07.wav"));
        await new Promise((resolve) => setTimeout(resolve, 500));
        await run.stop();
        const final = await run.finished;
        expect(await captureExit).toBeNull(); // it exited 0 when the dictation ended
        expect(final.phase).toBe("done");
        expect(final.microphoneSilent).toBeNull();
        expect(states.some((state) => state.phase === "recording" && liveTextParts(state.text).settled)).toBe(true);
        expect(Math.max(...states.map((state) => state.level?.peak ?? 0))).toBeGreaterThan(0.05);
        // The speech arrived intact, and the final text is what transcribe makes of what was recorded, cut where the
        // voice activity detector ended its utterances (the small fixture model's text for it varies with the silence
        // before the speech, different on every run, so it is not compared with the sentence). The cut is decoded
        // whole, as the dictation decoded it: the file job's own voice detector would trim it again, and a near tie of
        // the small model then turns on that trim.
        const recording = path.join(daemon.home, "state", "recordings", `${final.session}.wav`);
        expect((await findSoundIn(heldoutWav("heldout-07.wav"), recording)).correlation).toBeGreaterThan(0.9);
        const connection = await client();
        const replay = await attachDictation(connection, final.session!);
        await replay.outcome;
        const recorded = await pcmOf(recording);
        const texts = [];
        for (const utterance of replay.events.flatMap((e) => (e.type === "dictation.utterance" ? [e] : []))) {
          const cut = path.join(logs, `utterance-${utterance.index}.wav`);
          writePcmSlice(recorded, utterance.start, utterance.end, cut);
          const decoded = await connection.transcribeFile(cut, { options: { vad: false } }).promise;
          expect(utterance.text).toBe(decoded.text);
          texts.push(utterance.text.trim());
        }
        expect(texts.length).toBeGreaterThan(0);
        expect(final.transcript!.text).toBe(texts.filter(Boolean).join(" "));
      } finally {
        pulse.stop();
      }
    },
  );

  onLinux(
    "with the microphone kept ready, the next Dictate is recorded by it from the keypress: its own capture process closes, and its stop goes through the ready one",
    async () => {
      const pulse = new PulseAudioServer();
      pulse.start();
      const settings = await client();
      await settings.request({ type: "dictation.keepReady", minutes: 5 });
      try {
        const logFile = path.join(logs, "capture.log");
        const env = { ...pulse.env, VERBATIM_HOME: daemon.home };
        const open = (status: DaemonStatus) => openMicrophone({ status, socket: daemon.socket, logFile, env });
        // A first dictation: the capture process it spawns stays ready after it.
        const first = dictation("capture", await client(), { openMicrophone: open });
        await first.run.begun;
        await waitFor(() => first.run.state.level !== null, "audio from the capture process", 20_000);
        await first.run.stop();
        expect((await first.run.finished).phase).not.toBe("error");
        const ready = async () => (await settings.status()).capture.ready === true;
        for (let waited = 0; !(await ready()); waited += 50) {
          if (waited > 30_000) throw new Error("no capture process was kept ready");
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const [kept] = capturesFor(daemon.socket);

        // The keypress as the sentence begins; the start comes 0.6 s later: only what the ready capture held from
        // before it holds the first word.
        const playing = pulse.play(heldoutWav("heldout-07.wav"));
        const pressedAt = Date.now();
        await new Promise((resolve) => setTimeout(resolve, 600));
        let openedHere = 0;
        const second = dictation("capture", await client(), {
          pressedAt,
          openMicrophone: (status) => {
            openedHere++;
            return open(status);
          },
        });
        await second.run.begun;
        expect(openedHere).toBe(1);
        // The one it spawned closes (abandoned), quietly; the ready one records.
        await waitFor(() => capturesFor(daemon.socket).length === 1, "the spawned capture process to close", 20_000);
        expect(capturesFor(daemon.socket)).toEqual([kept]);
        await playing;
        await new Promise((resolve) => setTimeout(resolve, 500));
        await second.run.stop();
        const final = await second.run.finished;
        expect(final).toMatchObject({ phase: "done", error: null });
        const recording = path.join(daemon.home, "state", "recordings", `${final.session}.wav`);
        expect((await findSoundIn(heldoutWav("heldout-07.wav"), recording)).correlation).toBeGreaterThan(0.9);
        expect(final.transcript!.text).not.toBe("");

        // Ready again; the setting off closes it.
        for (let waited = 0; !(await ready()); waited += 50) {
          if (waited > 30_000) throw new Error("the capture process was not ready again");
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await settings.request({ type: "dictation.keepReady", minutes: 0 });
        await waitFor(() => capturesFor(daemon.socket).length === 0, "the ready capture process to exit", 20_000);
      } finally {
        await settings.request({ type: "dictation.keepReady", minutes: 0 }).catch(() => undefined);
        pulse.stop();
      }
    },
  );

  onLinux("a Dictate that follows a dictation already running closes the microphone it opened, quietly", async () => {
    const pulse = new PulseAudioServer();
    pulse.start();
    try {
      const other = await client();
      const first = await startDictation(other, "stream");
      const logFile = path.join(logs, "capture.log");
      let opened = false;
      const { run } = dictation("capture", await client(), {
        openMicrophone: (status) => {
          opened = true;
          return openMicrophone({
            status,
            socket: daemon.socket,
            logFile,
            env: { ...pulse.env, VERBATIM_HOME: daemon.home },
          });
        },
      });
      await run.begun;
      expect(opened).toBe(true); // before it knew that one runs
      expect(run.state).toMatchObject({ origin: "follow", session: first.session, error: null });
      // The capture process it opened ends, with no session to record into, and nobody hears of a failure.
      await waitFor(() => capturesFor(daemon.socket).length === 0, "the abandoned capture process to exit", 20_000);
      await other.request({ type: "dictation.stop", session: first.session });
      expect(await run.finished).toMatchObject({ phase: "done", error: null });
    } finally {
      pulse.stop();
    }
  });

  test("the model line follows the model the dictation asked for, and says when it loads", async () => {
    const other = makeRandomModel(smallEnglishDims, ["--dtype", "float16", "--seed", "5"]);
    const connection = await client();
    try {
      const { run, states } = dictation("stream", connection, { options: { model: other }, modelPollMs: 20 });
      await run.begun;
      expect(states[0].model).toEqual({ id: model, loading: false }); // what ran before the dictation
      await speak(run.state.session!, speech.subarray(0, 32000));
      await waitFor(() => run.state.model.id === other, "the switched model in the view", 30_000);
      await run.cancel();
      await run.finished;
      const loading = { ...run.state, phase: "recording" as const, model: { id: other, loading: true } };
      expect(dictationMarkdown(loading)).toContain(`Loading ${path.basename(other)}… recording already runs`);
    } finally {
      await connection.request({ type: "model.switch", model });
      rmSync(other, { recursive: true, force: true });
    }
  });
});

test("a daemon that is not there fails the dictation with what happened", async () => {
  const failure = await connect(path.join(logs, "nothing.sock"), { timeoutMs: 500 }).catch((error: unknown) => error);
  const state = failedDictation(initialDictation(), failure);
  expect(state.phase).toBe("error");
  expect(state.error!.message).toMatch(/^Cannot reach verbatimd at .*nothing\.sock: verbatimd is not running$/);
});

test("redraws are throttled to one per 100 ms, and the latest state is drawn", async () => {
  const drawn: { value: number; at: number }[] = [];
  const throttle = redrawThrottle<number>((value) => drawn.push({ value, at: performance.now() }), 100);
  const start = performance.now();
  let value = 0;
  while (performance.now() - start < 1000) {
    throttle.push(++value);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await new Promise((resolve) => setTimeout(resolve, 150));
  // About 500 pushes became at most one draw per 100 ms (no starving either), the last one the latest value.
  for (let i = 1; i < drawn.length; i++) expect(drawn[i].at - drawn[i - 1].at).toBeGreaterThanOrEqual(99);
  expect(drawn.length).toBeGreaterThanOrEqual(8);
  expect(drawn.length).toBeLessThanOrEqual(Math.floor((drawn.at(-1)!.at - drawn[0].at) / 100) + 1);
  expect(value).toBeGreaterThan(100);
  expect(drawn.at(-1)!.value).toBe(value);
  throttle.push(-1);
  throttle.push(-2);
  throttle.flush();
  expect(drawn.at(-1)!.value).toBe(-2);
  throttle.cancel();
});

/**
 * A pasteboard with a history, recording each operation in order (Raycast's Clipboard at run time). `duringWait`
 * runs while the restore waits, as another app or the user would.
 */
function recordingClipboard(
  initial: ClipboardContent | null,
  duringWait: (copy: (c: ClipboardContent) => void) => void = () => undefined,
) {
  const log: string[] = [];
  let current = initial;
  const history: ClipboardContent[] = initial ? [initial] : [];
  const operations: ClipboardOperations = {
    read: async () => {
      log.push("read");
      // Raycast reads an image (or nothing) as empty text.
      return current ?? { text: "" };
    },
    copy: async (content, { concealed }) => {
      log.push(`copy ${JSON.stringify(content)}${concealed ? " concealed" : ""}`);
      current = content;
      if (!concealed) history.push(content);
    },
    // Raycast's paste puts the text on the pasteboard (and, with no concealed option in API 1.104, the history).
    paste: async (text) => {
      log.push(`paste ${text}`);
      current = { text };
      history.push({ text });
    },
    wait: async (ms) => {
      log.push(`wait ${ms}`);
      duringWait((content) => {
        log.push(`someone copies ${JSON.stringify(content)}`);
        current = content;
      });
    },
  };
  return { log, operations, current: () => current, history };
}

test("paste keeps the clipboard: read, paste, wait, restore concealed if the paste is still there", async () => {
  const paste = recordingClipboard({ file: "/Users/me/report.pdf" });
  expect(await deliverText("Hello there.", "paste", paste.operations, 1000)).toBe("pasted");
  expect(paste.log).toEqual([
    "read",
    "paste Hello there.",
    "wait 1000",
    "read",
    'copy {"file":"/Users/me/report.pdf"} concealed',
  ]);
  expect(paste.current()).toEqual({ file: "/Users/me/report.pdf" });
  expect(paste.history).toEqual([{ file: "/Users/me/report.pdf" }, { text: "Hello there." }]); // not twice

  // Something copied while the restore waited stays: the old content does not overwrite it.
  const meanwhile = recordingClipboard({ text: "old" }, (copy) => copy({ text: "copied meanwhile" }));
  await deliverText("Hi.", "paste", meanwhile.operations, 1000);
  expect(meanwhile.log).toEqual([
    "read",
    "paste Hi.",
    "wait 1000",
    'someone copies {"text":"copied meanwhile"}',
    "read",
  ]);
  expect(meanwhile.current()).toEqual({ text: "copied meanwhile" });

  // Clipboard After Paste set to keep the pasted text: nothing is read or put back.
  const keep = recordingClipboard({ text: "old" });
  await deliverText("Hi.", "paste", keep.operations, null);
  expect(keep.log).toEqual(["paste Hi."]);
  expect(keep.current()).toEqual({ text: "Hi." });

  // An empty clipboard (or one holding an image, which Raycast reads as empty text) is not emptied after the paste.
  const empty = recordingClipboard(null);
  await deliverText("Hi.", "paste", empty.operations, 1000);
  expect(empty.log).toEqual(["read", "paste Hi."]);

  const both = recordingClipboard({ text: "old" });
  expect(await deliverText("Hi.", "both", both.operations, 1000)).toBe("pasted and copied");
  expect(both.log).toEqual(['copy {"text":"Hi."}', "paste Hi."]);
  expect(both.current()).toEqual({ text: "Hi." });

  const copy = recordingClipboard({ text: "old" });
  expect(await deliverText("Hi.", "copy", copy.operations, 1000)).toBe("copied");
  expect(copy.history).toEqual([{ text: "old" }, { text: "Hi." }]);

  const nothing = recordingClipboard({ text: "old" });
  expect(await deliverText("", "paste", nothing.operations, 1000)).toBe("nothing");
  expect(await deliverText("Hi.", "nothing", nothing.operations, 1000)).toBe("nothing");
  expect(nothing.log).toEqual([]);
});
