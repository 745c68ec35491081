// `verbatim capture`: records the microphone into a running dictation session and exits when the session ends,
// the daemon goes away or the microphone fails. Whoever starts a dictation (Raycast, `verbatim dictate`) spawns it,
// detached, so that macOS asks for microphone access as that app and recording outlives a closing window.
import { parseArgs } from "node:util";
import { DaemonClient } from "../client";
import { EXIT, UsageError } from "./exit-codes";
import { verbatimPaths } from "../paths";
import { loadConfig } from "../service/config";
import { listInputDevices, Microphone, MicrophoneError } from "../capture/microphone";

export const CAPTURE_USAGE = `Usage:
  verbatim capture --session ID [--device NAME|INDEX]   record the microphone into a dictation session
                                                        (default: config inputDevice, else the system's input)
  verbatim capture --list-devices                       the input devices, by index
  verbatim capture --probe [--device NAME|INDEX]        record half a second from the input, as a dictation
                                                        would; print its name, then how many of the samples it
                                                        recorded were not zero (none: no sound reaches Verbatim)
`;
/** How much --probe records: half a second of audio, or what a device has delivered after 3 s (a PulseAudio
 * monitor takes a moment to start delivering; a device that opens on macOS delivers at once). */
const PROBE_SAMPLES = 8000;
const PROBE_MS = 3000;

export async function runCapture(args: string[], print: (text: string) => void): Promise<number> {
  try {
    return await capture(args, print);
  } catch (error) {
    // No microphone, or one that failed: an input problem, exit 3, with what to do in the message.
    if (error instanceof MicrophoneError) throw new UsageError(error.message, EXIT.input);
    throw error;
  }
}

async function capture(args: string[], print: (text: string) => void): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        session: { type: "string" },
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
  // Without --device, the config's inputDevice (the daemon's config file: one setting for every client).
  const device = values.device ?? loadConfig(verbatimPaths().configFile).config.inputDevice ?? undefined;
  if (values.probe) {
    const { name, samples, sounding } = await probe(device);
    print(`${name}\n${sounding} of ${samples} samples not zero\n`);
    return EXIT.ok;
  }
  if (!values.session) throw new UsageError(`capture needs --session ID\n${CAPTURE_USAGE}`);
  return captureInto(values.session, device);
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

async function captureInto(session: string, device: string | undefined): Promise<number> {
  const microphone = new Microphone(device); // first: a missing microphone is the error to report
  let client: DaemonClient;
  try {
    client = await DaemonClient.connect(verbatimPaths().socket, { client: "verbatim-capture" });
  } catch (error) {
    microphone.stop();
    throw error;
  }
  let ended = false;
  const end = () => {
    ended = true;
    microphone.stop();
  };
  // Following the session tells this process when it ends: the request settles when the session is done, has
  // failed (its owner hears why) or the daemon went away. The daemon also ends a capture session when this process's
  // connection closes, so a crash here never leaves a session recording nothing.
  const following = client.request({ type: "dictation.attach", session }).then(end, end);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.once(signal, end);

  try {
    for await (const frame of microphone.frames()) {
      if (ended) break;
      client.sendAudio(session, new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength));
    }
  } finally {
    microphone.stop();
    client.close();
  }
  await following;
  return EXIT.ok;
}
