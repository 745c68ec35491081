// `verbatim dictate` opens the microphone as its first act: bin/verbatim.js calls openMicrophoneFirst before the CLI
// loads, so that between the keypress and the microphone stands one Node start and this module's loads (the
// microphone, config.json's inputDevice), not the CLI's modules, a second Node process and the daemon's answer
// (issue 61). What it records is held until the dictation exists (BufferedRecording); dictate takes it with
// microphoneOpenedFirst.
import { parseArgs } from "node:util";
import { verbatimPaths } from "../paths";
import { BufferedRecording } from "./buffered-recording";
import { configuredInputDevice } from "./input-device-setting";
import { Microphone } from "./microphone";

let opened: BufferedRecording | Error | null = null;

/**
 * For `verbatim dictate ARGS`: opens the microphone that dictation will record (ARGS' --device, else config.json's
 * inputDevice) unless ARGS read a file or ask for help. A microphone that cannot be opened is dictate's to report.
 */
export function openMicrophoneFirst(args: string[]): void {
  // Loosely: dictate's own parsing reports malformed arguments (and this recording is then dropped with the process).
  const { values } = parseArgs({
    args,
    options: { device: { type: "string" }, input: { type: "string" }, help: { type: "boolean", short: "h" } },
    strict: false,
    allowPositionals: true,
  });
  if (values.input !== undefined || values.help) return;
  const device = typeof values.device === "string" ? values.device : undefined;
  try {
    opened = new BufferedRecording(new Microphone(device ?? configuredInputDevice(verbatimPaths().configFile)));
  } catch (error) {
    opened = error instanceof Error ? error : new Error(String(error));
  }
}

/** The recording openMicrophoneFirst started (once; its opening's error is thrown here), or null if it did not. */
export function microphoneOpenedFirst(): BufferedRecording | null {
  const first = opened;
  opened = null;
  if (first instanceof Error) throw first;
  return first;
}
