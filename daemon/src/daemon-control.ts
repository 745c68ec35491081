// Starting, stopping and finding the daemon from the command line.
import { spawn } from "node:child_process";
import { fstatSync, mkdirSync, openSync, readFileSync } from "node:fs";
import path from "node:path";
import { DaemonClient, DaemonUnreachableError } from "./client";
import type { VerbatimPaths } from "./paths";
import { lockHolder } from "./service/instance-lock";

export const daemonEntry = path.join(__dirname, "..", "bin", "verbatimd.js");
const START_TIMEOUT_MS = 15_000;
/** How long a daemon that never answered gets to end after SIGTERM before it is killed. */
const STOP_GRACE_MS = 3000;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function tryConnect(paths: VerbatimPaths): Promise<DaemonClient | null> {
  try {
    return await DaemonClient.connect(paths.socket, { client: "verbatim-cli" });
  } catch (error) {
    if (error instanceof DaemonUnreachableError) return null;
    throw error;
  }
}

/**
 * Starts verbatimd in the background (its output goes to the log folder). Resolves once it answers. With `model`,
 * the daemon warms that model instead of its configured one (a CLI call naming a model should not make it fetch
 * another first). A daemon that does not answer in time is stopped, not left behind, and what it said is passed on.
 */
export async function startDaemon(paths: VerbatimPaths, model?: string): Promise<DaemonClient> {
  mkdirSync(paths.logDir, { recursive: true, mode: 0o700 });
  const outputFile = path.join(paths.logDir, "verbatimd.out.log");
  const output = openSync(outputFile, "a", 0o600);
  const outputStart = fstatSync(output).size;
  const env = model ? { ...process.env, VERBATIM_MODEL: model } : process.env;
  const child = spawn(process.execPath, [daemonEntry], { detached: true, stdio: ["ignore", output, output], env });
  let exited: number | null = null;
  child.once("exit", (code) => (exited = code ?? 1));
  child.unref();
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const client = await tryConnect(paths);
    if (client) return client;
    if (exited !== null && exited !== 3) break; // 3: another daemon won the race, keep polling for it
    await pause(100);
  }
  const stuck = exited === null;
  if (stuck) await stopStuck(child.pid!, () => exited !== null);
  // The daemon empties the file as it starts when it has grown past its cap (service/captured-output.ts).
  const written = readFileSync(outputFile);
  const said = written
    .subarray(written.length >= outputStart ? outputStart : 0)
    .toString("utf8")
    .trim()
    .slice(-2000);
  const logs = `${outputFile} and ${path.join(paths.logDir, "verbatimd.log")}`;
  // A daemon that refused to start said why (an unsafe socket folder, another daemon running): pass that on.
  if (!stuck) throw new DaemonUnreachableError(paths.socket, said || `verbatimd did not start; see ${logs}`);
  throw new DaemonUnreachableError(
    paths.socket,
    `verbatimd (pid ${child.pid}) did not answer within ${START_TIMEOUT_MS / 1000} s of starting, so it was stopped ` +
      `rather than left behind. ${said ? `It said:\n${said}` : `It said nothing; see ${logs}`}`,
  );
}

/** Ends a daemon that never answered, with what it started (its process group): SIGTERM, then SIGKILL. */
async function stopStuck(pid: number, hasExited: () => boolean): Promise<void> {
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-pid, name);
    } catch {
      // Gone already.
    }
  };
  signal("SIGTERM");
  const deadline = Date.now() + STOP_GRACE_MS;
  while (!hasExited() && Date.now() < deadline) await pause(100);
  if (!hasExited()) signal("SIGKILL");
}

/**
 * The running daemon, started first if needed (warming `model` if it has to start): for jobs that need the engine
 * (transcribing, dictating, loading a model). Everything else uses connectRunning.
 */
export async function ensureDaemon(paths: VerbatimPaths, model?: string): Promise<DaemonClient> {
  return (await tryConnect(paths)) ?? startDaemon(paths, model);
}

/**
 * The running daemon, for commands that read or edit what it keeps (history, vocabulary, modes, dictations, the
 * API's settings): a daemon that was stopped stays stopped, and the error says so and how to start it.
 */
export async function connectRunning(paths: VerbatimPaths): Promise<DaemonClient> {
  const client = await tryConnect(paths);
  if (client) return client;
  throw new DaemonUnreachableError(paths.socket, notRunning(paths));
}

/** Why nothing answers on the socket, and what to do: not running, or running (its pid file says) but silent. */
export function notRunning(paths: VerbatimPaths): string {
  const pid = lockHolder(paths.socket);
  if (pid === null) return "verbatimd is not running. Start it with: verbatim daemon start";
  return (
    `verbatimd is running (pid ${pid}) but not answering: it may be starting, overloaded or stopped (SIGSTOP). Try ` +
    "again in a moment; if it stays so, restart it: verbatim daemon restart"
  );
}

/**
 * Asks the daemon to shut down and waits until its socket is gone. A daemon that holds the lock but does not answer
 * (still starting, or stuck) gets SIGTERM. Returns false if none was running.
 */
export async function stopDaemon(paths: VerbatimPaths): Promise<boolean> {
  const client = await tryConnect(paths);
  if (!client) {
    const holder = lockHolder(paths.socket);
    if (holder === null) return false;
    await terminate(holder);
    return true;
  }
  await client.request({ type: "shutdown" }).catch(() => undefined);
  client.close();
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const stillThere = await tryConnect(paths);
    if (!stillThere) return true;
    stillThere.close();
    await pause(100);
  }
  throw new Error(`verbatimd did not stop within ${START_TIMEOUT_MS / 1000} s`);
}

/** Sends SIGTERM to the daemon `pid` (exactly identified by its pid file) and waits until it has exited. */
async function terminate(pid: number): Promise<void> {
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return; // gone already
  }
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await pause(100);
  }
  throw new Error(
    `verbatimd (pid ${pid}) does not answer on its socket and did not stop within ${START_TIMEOUT_MS / 1000} s ` +
      `of SIGTERM; end it with: kill -9 ${pid}`,
  );
}
