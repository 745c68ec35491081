// `verbatim capture --session ID` against a test daemon, recording from a private PulseAudio server: the process the
// Raycast commands and `verbatim dictate` start to feed a dictation from the microphone.
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { cliEntry, type DaemonProcess } from "./daemon-process";
import type { PulseAudioServer } from "./pulseaudio";

export interface CaptureProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  /** What it has written to stderr so far. */
  errors: () => string;
}

export function startCaptureProcess(daemon: DaemonProcess, pulse: PulseAudioServer, session: string): CaptureProcess {
  const child = spawn(process.execPath, [cliEntry, "capture", "--session", session], {
    env: { ...daemon.env, ...pulse.env, VERBATIM_HOME: daemon.home, VERBATIM_SOCKET: daemon.socket },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let errors = "";
  child.stderr?.on("data", (chunk) => (errors += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, exited, errors: () => errors };
}

/**
 * The capture processes (bin/verbatim-capture.js) recording for `daemon` now, by their command and environment; with
 * `argument`, those whose command line has it (a meeting track's id).
 */
export function capturesOf(daemon: DaemonProcess, argument?: string): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
        const env = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
        return (
          args.some((arg) => arg.endsWith("verbatim-capture.js")) &&
          env.includes(`VERBATIM_SOCKET=${daemon.socket}`) &&
          (argument === undefined || args.includes(argument))
        );
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}
