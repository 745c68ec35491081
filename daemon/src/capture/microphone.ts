// The microphone, through PvRecorder (prebuilt for macOS arm64/x64 and Linux inside its npm package): 16 kHz
// mono 16-bit frames. Only the capture process opens it: on macOS a process that Raycast or a terminal starts is
// asked for microphone access as that app, whereas the daemon's own node (a LaunchAgent) would get silence.
import { PvRecorder } from "@picovoice/pvrecorder-node";
import type { AudioSource } from "./audio-source";

/** Samples per frame PvRecorder delivers: 32 ms at 16 kHz. */
export const FRAME_SAMPLES = 512;
export const FRAME_MS = (FRAME_SAMPLES / 16_000) * 1000;
/** Consecutive failed reads (about 2 s) after which the device is taken as gone. */
const MAX_FAILED_READS = 60;

export class MicrophoneError extends Error {
  override name = "MicrophoneError";
}

export function listInputDevices(): string[] {
  return PvRecorder.getAvailableDevices();
}

/**
 * The device index for `choice`: absent or "default" is the system default (-1); a whole number is an index
 * from `listInputDevices()`; anything else must match one device name, whole or in part (case-insensitive).
 */
export function resolveInputDevice(choice: string | undefined, devices: string[] = listInputDevices()): number {
  if (devices.length === 0) {
    throw new MicrophoneError(
      "No microphone was found. Connect one (or check it is enabled in the system's sound settings), then try again.",
    );
  }
  if (choice === undefined || choice === "" || choice === "default") return -1;
  const listing = devices.map((name, index) => `  ${index}: ${name}`).join("\n");
  if (/^\d+$/.test(choice)) {
    const index = Number(choice);
    if (index < devices.length) return index;
    throw new MicrophoneError(`There is no input device ${index}. The input devices are:\n${listing}`);
  }
  const wanted = choice.toLowerCase();
  const exact = devices.findIndex((name) => name.toLowerCase() === wanted);
  if (exact >= 0) return exact;
  const partial = devices.flatMap((name, index) => (name.toLowerCase().includes(wanted) ? [index] : []));
  if (partial.length === 1) return partial[0];
  throw new MicrophoneError(
    `${partial.length === 0 ? "No" : "More than one"} input device matches "${choice}". The input devices are:\n${listing}`,
  );
}

export class Microphone implements AudioSource {
  /** When it began to open (performance.now()). */
  readonly openedAt = performance.now();
  private readonly recorder: PvRecorder;
  private stopped = false;
  private reading = false;

  /** Opens the device (see resolveInputDevice) and starts recording. */
  constructor(device: string | undefined) {
    // The system's default input is opened without listing the devices first (20-60 ms on a busy machine, which a
    // dictation's first word would wait for): they are listed only to say why it could not be opened.
    const byDefault = device === undefined || device === "" || device === "default";
    const devices = byDefault ? [] : listInputDevices();
    const index = byDefault ? -1 : resolveInputDevice(device, devices);
    try {
      this.recorder = new PvRecorder(FRAME_SAMPLES, index);
      this.recorder.start();
    } catch (error) {
      if (byDefault) resolveInputDevice(device); // no device at all: that is the error
      const which = index < 0 ? "the system's default input" : `input device ${index}, ${devices[index]}`;
      throw new MicrophoneError(
        `The microphone (${which}) could not be opened: ${(error as Error).message.replace(/\.$/, "")}. ` +
          "To record from another, list them with `verbatim capture --list-devices` and pick one with " +
          "`verbatim dictate --device NAME` (or " +
          '"inputDevice" in config.json). On a Mac, allow the microphone for this app in System Settings > Privacy ' +
          "& Security > Microphone.",
      );
    }
  }

  get deviceName(): string {
    return this.recorder.getSelectedDevice();
  }

  /** Frames as they are recorded, until stop(). A device that stops delivering for about 2 s ends it with an error. */
  async *frames(): AsyncGenerator<Int16Array> {
    let failed = 0;
    this.reading = true;
    try {
      while (!this.stopped) {
        try {
          const frame = await this.recorder.read();
          failed = 0;
          if (!this.stopped) yield frame;
        } catch (error) {
          if (this.stopped) return;
          // PvRecorder reports a read error while a device starts up or a PulseAudio monitor idles; retry a while.
          if (++failed >= MAX_FAILED_READS) {
            throw new MicrophoneError(`The microphone stopped delivering audio: ${(error as Error).message}`);
          }
          await new Promise((resolve) => setTimeout(resolve, 30));
        }
      }
    } finally {
      // Released here, not in stop(): a read already scheduled must not find the recorder freed.
      this.recorder.release();
    }
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    try {
      this.recorder.stop();
    } catch {
      // a device that already failed cannot be stopped; it is released all the same
    }
    if (!this.reading) this.recorder.release(); // else frames() releases it once its last read is back
  }
}
