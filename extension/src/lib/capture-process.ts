// Starting the microphone capture for a dictation: the command the daemon reports in `status` (absolute node and
// script, so no PATH is needed), detached so that it keeps recording when Raycast's window closes and macOS asks
// for the microphone as Raycast. It starts before the dictation does, so the microphone records from the keypress,
// and gets the session on its standard input once the daemon has started it (a daemon that names the older
// `verbatim capture` gets it started then, with --session). Its stdout is ignored; stderr goes to a log file rather
// than a pipe, because a pipe would break when the command that spawned it unloads, and the file tells why a capture
// failed. Its stdin is a pipe only until the session is named: a command that unloads before then closes it, and the
// capture process, which then has no dictation to record into, closes the microphone.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { captureCommandProblem, opensBeforeTheSession } from "./capture-command";
import type { DaemonStatus } from "./daemon-connection";

export interface CaptureSetup {
  /** `status.capture.command` from the daemon. */
  command: string[];
  /** The daemon's socket, passed on so the capture process reaches the same daemon as the extension. */
  socket: string;
  /** Where the capture process's messages go (appended). */
  logFile: string;
  device?: string;
  /** A meeting's system track on a Mac: the system's audio through the Core Audio tap instead of a device. */
  systemTap?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** How a capture process ended: code 0 when its dictation ended, else a failure with its last message. */
export interface CaptureExit {
  code: number | null;
  message: string;
}

/** A dictation's capture process, started before the dictation. */
export interface MicrophoneCapture {
  /** Names the dictation it records into; what it recorded before goes first. */
  begin(session: string): void;
  /** No dictation came of it: it closes the microphone and ends (not a failure). */
  abandon(): void;
  /**
   * Ends the audio where it is: the capture process sends what it recorded, then stops the dictation itself, so that
   * a stop never outruns audio on its way. False when it cannot (it records into no session, or has ended).
   */
  stop(): boolean;
  /**
   * Settles when it ends (or could not start): code 0 when its dictation ended (one stopped may end by the signal);
   * never for one abandoned.
   */
  exited: Promise<CaptureExit>;
}

/** The exit status with which a capture process that was given no session ends (EXIT.interrupted). */
const ABANDONED = 130;

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

/**
 * Starts the capture process (its command checked by captureCommandProblem) for a dictation about to start: at once
 * when the command takes its session later (then `begin` writes it to its standard input), else (an older daemon's
 * command) on `begin`, with `--session`.
 */
export function openCapture(setup: CaptureSetup): MicrophoneCapture {
  let exit!: (result: CaptureExit) => void;
  const ended = new Promise<CaptureExit>((resolve) => (exit = resolve));
  let named = false;
  let abandoned = false;
  let stopping = false;
  let child = opensBeforeTheSession(setup.command) ? spawnCapture(setup, ["--session", "-"], exit) : null;
  return {
    begin(session) {
      if (named) return;
      named = true;
      if (child) child.stdin?.end(`${session}\n`);
      else child = spawnCapture(setup, ["--session", session], exit);
    },
    abandon() {
      if (named) return;
      named = abandoned = true;
      child?.stdin?.end();
    },
    stop() {
      if (!named || abandoned || stopping || !child || child.exitCode !== null || child.signalCode !== null) {
        return false;
      }
      stopping = true;
      return child.kill("SIGINT");
    },
    // One abandoned ends as asked, with ABANDONED: nobody is told.
    exited: ended.then((result) =>
      abandoned && result.code === ABANDONED ? new Promise<CaptureExit>(() => undefined) : result,
    ),
  };
}

/**
 * The capture process the daemon's status names, checked to be Verbatim's own, opened for a dictation about to start;
 * a command that is refused gives a capture that has failed already, saying why.
 */
export function openMicrophone(setup: Omit<CaptureSetup, "command"> & { status: DaemonStatus }): MicrophoneCapture {
  const { status, ...rest } = setup;
  const refused = status.capture
    ? captureCommandProblem(status.capture.command)
    : "this daemon does not say how to start the capture process: update Verbatim and restart the daemon";
  if (refused || !status.capture) {
    const failed = Promise.resolve({ code: null, message: refused ?? "" });
    return { begin: () => undefined, abandon: () => undefined, stop: () => false, exited: failed };
  }
  return openCapture({ ...rest, command: status.capture.command });
}

/**
 * Starts a detached capture process that records `setup.device` into a meeting's track (`--meeting-track ID`) until the
 * meeting stops; it outlives the command that started it. Settles when it ends (code 0: the meeting stopped).
 */
export function startMeetingTrackCapture(setup: CaptureSetup, track: string): Promise<CaptureExit> {
  return new Promise((resolve) => spawnCapture(setup, ["--meeting-track", track], resolve));
}

/** Spawns the capture process with `args`; `exit` hears how it ended (only while this process still runs). */
function spawnCapture(setup: CaptureSetup, args: string[], exit: (result: CaptureExit) => void): ChildProcess {
  const [executable, ...command] = setup.command;
  if (!executable) throw new Error("The daemon reported no capture command; update Verbatim and restart the daemon.");
  mkdirSync(path.dirname(setup.logFile), { recursive: true });
  const logStart = sizeOf(setup.logFile);
  const log = openSync(setup.logFile, "a");
  try {
    const source = setup.systemTap ? ["--system-tap"] : setup.device ? ["--device", setup.device] : [];
    const child = spawn(executable, [...command, ...args, ...source], {
      detached: true,
      stdio: [args[1] === "-" ? "pipe" : "ignore", "ignore", log],
      env: { ...(setup.env ?? process.env), VERBATIM_SOCKET: setup.socket },
    });
    child.stdin?.on("error", () => undefined); // it exited first (no microphone): its exit says why
    child.once("error", (error) =>
      exit({ code: null, message: `could not start the capture process (${executable}): ${error.message}` }),
    );
    child.once("exit", (code, signal) =>
      exit({
        code,
        message: code === 0 ? "" : `${signal ?? `exit ${code}`}: ${lastMessage(setup.logFile, logStart)}`,
      }),
    );
    child.unref();
    return child;
  } finally {
    closeSync(log);
  }
}
