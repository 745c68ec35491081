// Before Dictate or Toggle Dictation starts (or follows) a dictation: a connection that is given up, with nothing
// started, when the command closes first, and what the daemon's model says about starting now.
import { connect, ConnectAbortedError, type DaemonClient, type DaemonStatus } from "./daemon-connection";
import {
  firstRunProblemOf,
  modelLoadingOf,
  modelProblemOf,
  type ModelLoading,
  type SetupProblem,
} from "./daemon-setup";
import { Dictation, type DictationSetup } from "./dictation-session";

/** A time origin further back than this is not this launch's (Raycast kept the command's worker): its start is. */
const FRESH_ORIGIN_MS = 2000;

/**
 * When the user launched the command (epoch ms), for dictation.start's pressedAt: Raycast starts a command's code in
 * a fresh worker, whose time origin is then the keypress, near enough; one kept from before gives `now`, the command's
 * start.
 */
export function launchTime(origin = performance.timeOrigin, now = Date.now()): number {
  return now - origin <= FRESH_ORIGIN_MS ? Math.round(origin) : now;
}

/**
 * The Keep Microphone Ready preference ("": as config.json says, else minutes) as the minutes to set in the daemon
 * (dictation.keepReady), or null when it already has them, the preference leaves it be, or the daemon predates it.
 */
export function keepReadyChange(preference: string | undefined, status: DaemonStatus): number | null {
  const current = status.capture?.keepReadyMinutes;
  if (!preference?.trim() || current === undefined) return null;
  const minutes = Number(preference);
  return Number.isFinite(minutes) && minutes >= 0 && minutes !== current ? minutes : null;
}

/** What the model allows: start now, show why not, or (while it downloads) wait for it unless the user insists. */
export type DictateGate =
  { kind: "start" } | { kind: "problem"; problem: SetupProblem } | { kind: "downloading"; loading: ModelLoading };

export function dictateGate(status: DaemonStatus): DictateGate {
  const problem = modelProblemOf(status) ?? firstRunProblemOf(status);
  if (problem) return { kind: "problem", problem };
  const loading = modelLoadingOf(status);
  // Loading from disk takes seconds: recording starts at once and the text follows. A download can take minutes.
  return loading?.downloading ? { kind: "downloading", loading } : { kind: "start" };
}

export interface OpenedDaemon {
  client: DaemonClient;
  status: DaemonStatus;
}

/**
 * Connects and reads the status, unless `signal` aborts first (the view closed): then nothing stays open and the
 * promise rejects with ConnectAbortedError. Connection failures reject as `connect` does.
 */
export async function openDaemon(socket: string, signal: AbortSignal): Promise<OpenedDaemon> {
  const client = await connect(socket, { signal });
  try {
    const status = await client.status();
    if (signal.aborted) throw new ConnectAbortedError();
    return { client, status };
  } catch (error) {
    client.close();
    throw error;
  }
}

/**
 * Starts (or follows) the dictation on an opened connection once `prepare` has gathered its setup (the preferences;
 * what takes longer to read goes in its `startFields`), unless `signal` aborted meanwhile: then the connection is
 * closed and nothing is started.
 */
export async function beginDictation(
  client: DaemonClient,
  signal: AbortSignal,
  prepare: () => Promise<DictationSetup>,
): Promise<Dictation | null> {
  let setup: DictationSetup;
  try {
    setup = await prepare();
  } catch (error) {
    client.close();
    throw error;
  }
  if (signal.aborted) {
    client.close();
    return null;
  }
  return new Dictation(client, setup);
}
