// `verbatim capture`: records the microphone into a dictation session and exits when the session ends, the daemon
// goes away or the microphone fails. Raycast's commands spawn it (`verbatim dictate` records in its own process),
// detached, so that macOS asks for microphone access as Raycast and recording outlives a closing window; first, with
// `--session -`, and names the session on its standard input once the daemon has started it: the microphone records
// from the keypress, and what it recorded before the session existed is sent first. The capture process
// (bin/verbatim-capture.js) loads only this module and the microphone before it opens the device; the daemon's client
// after.
import { spawnSync } from "node:child_process";
import type { DaemonClient } from "../client";
import { CAPTURE_ENTRY } from "../capture/capture-entry";
import { captureMessage } from "../capture/capture-output";
import { configuredInputDevice, keepsMicrophoneReady } from "../capture/input-device-setting";
import { parseCommandLine } from "./command-line";
import { EXIT, UsageError } from "./exit-codes";
import { CAPTURE_USAGE } from "./usage";
import { verbatimPaths } from "../paths";
import { listInputDevices, Microphone, MicrophoneError } from "../capture/microphone";
import { BufferedRecording, reportStart } from "../capture/buffered-recording";
import type { AudioSource } from "../capture/audio-source";
import { SystemAudioError, SystemAudioTap } from "../capture/system-audio-tap";
import { systemTapProblem } from "../capture/system-tap-support";

/** How much --probe records: half a second of audio, or what a device has delivered after 3 s (a PulseAudio
 * monitor takes a moment to start delivering; a device that opens on macOS delivers at once). */
const PROBE_SAMPLES = 8000;
const PROBE_MS = 3000;
/**
 * How long `--session -` waits for its session unless --session-wait says: as long as the daemon waits for the capture
 * process of a session it started (CAPTURE_START_MS), which covers starting the daemon first (15 s at most).
 */
const SESSION_WAIT_SECONDS = 30;

/**
 * `verbatim capture`: --probe opens the device in the capture process (CAPTURE_ENTRY) and passes on only what Verbatim
 * says, not the lines the sound libraries print when a device cannot be opened; the rest runs here.
 */
export async function runCaptureCommand(args: string[], print: (text: string) => void): Promise<number> {
  const options = args.includes("--") ? args.slice(0, args.indexOf("--")) : args;
  if (!options.includes("--probe") || options.includes("--help") || options.includes("-h")) {
    return runCapture(args, print);
  }
  const probe = spawnSync(process.execPath, [CAPTURE_ENTRY, ...args], { encoding: "utf8" });
  if (probe.status === 0) {
    print(probe.stdout);
    return EXIT.ok;
  }
  const said = captureMessage(probe.stderr ?? "");
  throw new UsageError(
    said || `the capture process ended with ${probe.error?.message ?? probe.signal ?? `exit ${probe.status}`}`,
    probe.status ?? EXIT.failure,
  );
}

/** The capture process's main (bin/verbatim-capture.js): Verbatim's messages as "verbatim: …" lines, an exit code. */
export async function captureProcessMain(args: string[]): Promise<number> {
  try {
    return await runCapture(args, (text) => process.stdout.write(text));
  } catch (error) {
    process.stderr.write(`verbatim: ${error instanceof Error ? error.message : String(error)}\n`);
    return error instanceof UsageError ? error.exitCode : (await import("./error-exit-code.js")).exitCodeFor(error);
  }
}

export async function runCapture(args: string[], print: (text: string) => void): Promise<number> {
  try {
    return await capture(args, print);
  } catch (error) {
    // No microphone, or one that failed: an input problem, exit 3, with what to do in the message.
    if (error instanceof MicrophoneError || error instanceof SystemAudioError) {
      throw new UsageError(error.message, EXIT.input);
    }
    throw error;
  }
}

async function capture(args: string[], print: (text: string) => void): Promise<number> {
  let values;
  try {
    ({ values } = parseCommandLine({
      args,
      options: {
        session: { type: "string" },
        "meeting-track": { type: "string" },
        "system-tap": { type: "boolean" },
        "session-wait": { type: "string" },
        ready: { type: "boolean" },
        "keep-ready": { type: "string" },
        device: { type: "string" },
        "list-devices": { type: "boolean" },
        probe: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${CAPTURE_USAGE}`);
  }
  if (values.help) {
    print(CAPTURE_USAGE);
    return EXIT.ok;
  }
  if (values["list-devices"]) {
    const devices = listInputDevices();
    if (devices.length === 0) throw new MicrophoneError("No microphone was found.");
    print(devices.map((name, index) => `${index}: ${name}`).join("\n") + "\n");
    return EXIT.ok;
  }
  if (values["keep-ready"] !== undefined) return setKeepReady(values["keep-ready"], print);
  // Without --device, the config's inputDevice (the daemon's config file: one setting for every client).
  const device = values.device ?? configuredInputDevice(verbatimPaths().configFile);
  if (values.probe) {
    const { name, samples, sounding } = await probe(device);
    print(`${name}\n${sounding} of ${samples} samples not zero\n`);
    return EXIT.ok;
  }
  if (values.ready) return captureReady(device, values.device);
  if (values["system-tap"] && (!values["meeting-track"] || values.device !== undefined)) {
    throw new UsageError(
      "--system-tap records a meeting's system track: it goes with --meeting-track ID, without --device",
    );
  }
  if (values["meeting-track"]) {
    return captureMeetingTrack(values["meeting-track"], () =>
      values["system-tap"] ? systemAudioTap() : new Microphone(device),
    );
  }
  if (!values.session) throw new UsageError(`capture needs --session ID or --ready\n${CAPTURE_USAGE}`);
  const waitSeconds = Number(values["session-wait"] ?? SESSION_WAIT_SECONDS);
  if (!(waitSeconds > 0 && waitSeconds <= 3600)) {
    throw new UsageError(`--session-wait must be seconds above 0, at most 3600, not ${values["session-wait"]}`);
  }
  return captureInto(values.session, device, values.device, waitSeconds);
}

/**
 * `--meeting-track ID`: records its source (the microphone, or the system's audio through a monitor source, a loopback
 * device or the Core Audio tap) into a meeting's track until the meeting stops taking audio, a signal comes, the
 * daemon goes away or the source fails.
 */
async function captureMeetingTrack(track: string, open: () => AudioSource): Promise<number> {
  const recording = new BufferedRecording(open());
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.once(signal, () => recording.stop());
  const { DaemonClient } = await import("../client.js");
  let client: DaemonClient | null = null;
  try {
    client = await DaemonClient.connect(verbatimPaths().socket, { client: "verbatim-capture" });
    const connected = client;
    // Where its audio goes on the meeting's clock: when its first sample was recorded, not when it reaches the daemon
    // (the frames held while this process connected arrive together).
    const recordedFrom = await recording.recordedFrom();
    const following = client.request({
      type: "meeting.attach",
      track,
      ...(recordedFrom !== null && { recordedFrom }),
    });
    recording.sendTo((pcm) => connected.sendAudio(track, pcm));
    const microphone = recording.ended.then((error) => {
      if (error) throw error;
    });
    await Promise.race([following, microphone]);
    return EXIT.ok;
  } finally {
    recording.stop();
    await recording.ended;
    client?.close();
  }
}

/** The Core Audio tap, where this Mac has one (else the usage error says what to use instead). */
function systemAudioTap(): SystemAudioTap {
  const problem = systemTapProblem();
  if (problem) throw new UsageError(`--system-tap: ${problem}`, EXIT.input);
  return new SystemAudioTap();
}

/** `--keep-ready MINUTES`: sets keepMicrophoneReadyMinutes in the daemon (and its config.json), and says so. */
async function setKeepReady(value: string, print: (text: string) => void): Promise<number> {
  const { MAX_KEEP_MICROPHONE_READY_MINUTES } = await import("../protocol.js");
  const minutes = Number(value);
  if (!(value.trim() !== "" && minutes >= 0 && minutes <= MAX_KEEP_MICROPHONE_READY_MINUTES)) {
    throw new UsageError(
      `--keep-ready must be minutes from 0 (off) to ${MAX_KEEP_MICROPHONE_READY_MINUTES}, not ${value}`,
    );
  }
  const { ensureDaemon } = await import("../daemon-control.js");
  const client = await ensureDaemon(verbatimPaths());
  try {
    await client.request({ type: "dictation.keepReady", minutes });
  } finally {
    client.close();
  }
  print(
    minutes === 0
      ? "The microphone closes after each dictation (keepMicrophoneReadyMinutes 0).\n"
      : `After a dictation the microphone stays open for ${minutes} min, holding its last 4 s, so the next ` +
          "dictation loses nothing at its start (keepMicrophoneReadyMinutes). On a Mac the microphone indicator " +
          "stays on meanwhile.\n",
  );
  return EXIT.ok;
}

/**
 * `--ready`: opens the microphone and keeps it ready for the next dictation (what `verbatim dictate` leaves behind
 * when keepMicrophoneReadyMinutes is on), until the daemon releases it. `named`: the device as the command line named it.
 */
async function captureReady(device: string | undefined, named: string | undefined): Promise<number> {
  const recording = new BufferedRecording(new Microphone(device));
  const stop = () => recording.stop();
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.once(signal, stop);
  let client: DaemonClient | null = null;
  try {
    const { DaemonClient } = await import("../client.js");
    client = await DaemonClient.connect(verbatimPaths().socket, { client: "verbatim-capture" });
    const { keepReady } = await import("../capture/keep-ready.js");
    await keepReady(recording, client, named);
    return EXIT.ok;
  } finally {
    recording.stop();
    await recording.ended;
    client?.close();
  }
}

/**
 * Opens the device and reads from it briefly: its name and how many samples were not zero (a macOS app denied the
 * microphone records exact zeros, not an error), or the MicrophoneError a dictation would meet.
 */
async function probe(device: string | undefined): Promise<{ name: string; samples: number; sounding: number }> {
  const microphone = new Microphone(device);
  const name = microphone.deviceName;
  let samples = 0;
  let sounding = 0;
  const timer = setTimeout(() => microphone.stop(), PROBE_MS);
  try {
    for await (const frame of microphone.frames()) {
      samples += frame.length;
      for (const sample of frame) if (sample !== 0) sounding++;
      if (samples >= PROBE_SAMPLES) microphone.stop(); // frames() then ends, and releases the device
    }
  } finally {
    clearTimeout(timer);
    microphone.stop();
  }
  return { name, samples, sounding };
}

/**
 * Records from `device` into `session` ("-": the session named on standard input, recorded into until it comes) until
 * the session ends. Everything recorded before the daemon connection is ready is kept in memory and sent first. A
 * signal (SIGINT, SIGTERM, SIGHUP) ends the audio there: what was recorded goes to the session, which is then stopped
 * as its client would stop it (`verbatim dictate` stops a dictation so, so that a stop never outruns audio still on
 * its way). Then, if the daemon keeps the microphone ready (keepMicrophoneReadyMinutes), it stays open for the next
 * dictation (capture/keep-ready.ts; `named`: the device as the command line named it).
 */
async function captureInto(
  session: string,
  device: string | undefined,
  named: string | undefined,
  waitSeconds: number,
): Promise<number> {
  // The microphone first: it records from now on, and a missing microphone is the error.
  const recording = new BufferedRecording(new Microphone(device));
  let connected = null as { client: DaemonClient; id: string } | null;
  let stopAsked = false;
  const askStop = ({ client, id }: { client: DaemonClient; id: string }) =>
    void client.request({ type: "dictation.stop", session: id }).catch(() => undefined); // its outcome ends us
  // The dictation takes no more audio: the microphone closes, unless it is to be kept ready for the next.
  const endAudio = () => {
    if (keepsMicrophoneReady(verbatimPaths().configFile)) recording.holdRecent();
    else recording.stop();
  };
  const stopAudio = () => {
    stopAsked = true;
    // Before the session takes its audio, what was recorded is held for it and the microphone closes.
    if (!connected) recording.stop();
    else {
      endAudio();
      askStop(connected);
    }
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.once(signal, stopAudio);
  let client: DaemonClient | null = null;
  try {
    // A microphone that fails while the session is awaited ends the wait with its error.
    const failing = () =>
      recording.ended.then((error) => (error ? Promise.reject(error) : new Promise<never>(() => undefined)));
    const id = session === "-" ? await Promise.race([sessionFromInput(waitSeconds), failing()]) : session;
    const { DaemonClient, DaemonError } = await import("../client.js");
    client = await DaemonClient.connect(verbatimPaths().socket, { client: "verbatim-capture" });
    const following = client.request({ type: "dictation.attach", session: id }, (event) => {
      if (event.type === "dictation.stopping") endAudio();
    });
    const settled = following.then(
      () => "ended" as const,
      (error: unknown) => (error instanceof DaemonError ? ("ended" as const) : ("gone" as const)),
    );
    // Following the session tells this process when it ends: the request settles when the session is done, has
    // failed (its owner hears why) or the daemon went away. The daemon also ends a capture session when this
    // process's connection closes, so a crash here never leaves a session recording nothing.
    const ready = client;
    recording.sendTo((pcm) => ready.sendAudio(id, pcm)); // a send to a daemon that went away ends the recording
    reportStart(recording, client, id);
    connected = { client, id };
    if (stopAsked) askStop(connected);
    const microphone = recording.ended.then((error) => {
      if (error) throw error;
      return "closed" as const;
    });
    microphone.catch(() => undefined); // thrown below when it comes first; else the microphone is closed here
    if ((await Promise.race([settled, microphone])) === "ended") {
      for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
        process.off(signal, stopAudio);
        process.once(signal, () => recording.stop());
      }
      const { keepReady } = await import("../capture/keep-ready.js");
      await keepReady(recording, client, named);
    } else await settled;
    return EXIT.ok;
  } finally {
    recording.stop();
    await recording.ended;
    client?.close();
  }
}

/**
 * The session named on standard input (its first line), for `--session -`. None within `waitSeconds`, or standard
 * input closed without one (the dictation did not start, or its client went away first): a UsageError saying so.
 */
function sessionFromInput(waitSeconds: number): Promise<string> {
  const input = process.stdin;
  return new Promise<string>((resolve, reject) => {
    let text = "";
    const done = (session: string | UsageError) => {
      clearTimeout(timer);
      input.off("data", onData).off("end", onEnd);
      input.destroy(); // read no more, and hold the process no longer
      if (session instanceof UsageError) reject(session);
      else resolve(session);
    };
    const nothing = (why: string, exitCode: number) =>
      new UsageError(`${why}, so the microphone is closed again: nothing was recorded into a dictation`, exitCode);
    const timer = setTimeout(
      () => done(nothing(`no dictation session came within ${waitSeconds} s`, EXIT.unreachable)),
      waitSeconds * 1000,
    );
    const onData = (chunk: string) => {
      text += chunk;
      const newline = text.indexOf("\n");
      if (newline >= 0) done(text.slice(0, newline).trim() || nothing("the session named was empty", EXIT.usage));
    };
    const onEnd = () =>
      done(text.trim() || nothing("the dictation did not start (its client named no session)", EXIT.interrupted));
    input.setEncoding("utf8");
    input.on("data", onData).on("end", onEnd);
  });
}
