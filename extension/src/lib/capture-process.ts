// Starting the microphone capture for a dictation: the command the daemon reports in `status` (absolute node and
// script, so no PATH is needed), detached so that it keeps recording when Raycast's window closes and macOS asks
// for the microphone as Raycast. Its stdin and stdout are ignored; stderr goes to a log file rather than a pipe,
// because a pipe would break when the command that spawned it unloads, and the file tells why a capture failed.
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

export interface CaptureSetup {
  /** `status.capture.command` from the daemon. */
  command: string[];
  session: string;
  /** The daemon's socket, passed on so the capture process reaches the same daemon as the extension. */
  socket: string;
  /** Where the capture process's messages go (appended). */
  logFile: string;
  device?: string;
  env?: NodeJS.ProcessEnv;
}

/** How a capture process ended: code 0 when its dictation ended, else a failure with its last message. */
export interface CaptureExit {
  code: number | null;
  message: string;
}

const LOG_TAIL_BYTES = 2000;

function lastMessage(logFile: string, from: number): string {
  try {
    const written = readFileSync(logFile).subarray(from).toString("utf8").trim();
    return written.slice(-LOG_TAIL_BYTES) || "it printed no message";
  } catch {
    return "it printed no message";
  }
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** Spawns the capture process; `exited` settles when it ends (only while this process still runs). */
export function startCapture(setup: CaptureSetup): { pid: number | undefined; exited: Promise<CaptureExit> } {
  const [executable, ...args] = setup.command;
  if (!executable) throw new Error("The daemon reported no capture command; update Verbatim and restart the daemon.");
  mkdirSync(path.dirname(setup.logFile), { recursive: true });
  const logStart = sizeOf(setup.logFile);
  const log = openSync(setup.logFile, "a");
  try {
    const child = spawn(
      executable,
      [...args, "--session", setup.session, ...(setup.device ? ["--device", setup.device] : [])],
      {
        detached: true,
        stdio: ["ignore", "ignore", log],
        env: { ...(setup.env ?? process.env), VERBATIM_SOCKET: setup.socket },
      },
    );
    const exited = new Promise<CaptureExit>((resolve) => {
      child.once("error", (error) =>
        resolve({ code: null, message: `could not start the capture process (${executable}): ${error.message}` }),
      );
      child.once("exit", (code, signal) =>
        resolve({
          code,
          message: code === 0 ? "" : `${signal ?? `exit ${code}`}: ${lastMessage(setup.logFile, logStart)}`,
        }),
      );
    });
    child.unref();
    return { pid: child.pid, exited };
  } finally {
    closeSync(log);
  }
}
