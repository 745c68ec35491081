// `verbatim capture`: records the microphone into a running dictation session and exits when the session ends,
// the daemon goes away or the microphone fails. Whoever starts a dictation (Raycast, `verbatim dictate`) spawns it,
// detached, so that macOS asks for microphone access as that app and recording outlives a closing window.
import { spawnSync } from "node:child_process";
import { DaemonClient } from "../client";
import { CAPTURE_ENTRY } from "../capture/capture-launch";
import { captureMessage } from "../capture/capture-output";
import { parseCommandLine } from "./command-line";
import { EXIT, exitCodeFor, UsageError } from "./exit-codes";
import { verbatimPaths } from "../paths";
import { loadConfig } from "../service/config";
import { listInputDevices, Microphone, MicrophoneError } from "../capture/microphone";

export const CAPTURE_USAGE = `Usage:
  verbatim capture --session ID [--device NAME|INDEX]   record the microphone into a dictation session
                                                        (default: config inputDevice, else the system's input)
  verbatim capture --list-devices                       the input devices, by index
  verbatim capture --probe [--device NAME|INDEX]        open the input for half a second, as a dictation
                                                        would, and print its name
`;
/** How long --probe records: enough for a device that opens to deliver frames, short enough for doctor. */
const PROBE_MS = 500;

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
    return exitCodeFor(error);
  }
}

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
    ({ values } = parseCommandLine({
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
    print(`${await probe(device)}\n`);
    return EXIT.ok;
  }
  if (!values.session) throw new UsageError(`capture needs --session ID\n${CAPTURE_USAGE}`);
  return captureInto(values.session, device);
}

/** Opens the device and reads from it briefly; its name, or the MicrophoneError a dictation would meet. */
async function probe(device: string | undefined): Promise<string> {
  const microphone = new Microphone(device);
  const name = microphone.deviceName;
  const timer = setTimeout(() => microphone.stop(), PROBE_MS);
  try {
    for await (const frame of microphone.frames()) void frame;
  } finally {
    clearTimeout(timer);
    microphone.stop();
  }
  return name;
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
