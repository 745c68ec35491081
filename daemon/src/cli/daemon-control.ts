// Starting, stopping and finding the daemon from the command line.
import { spawn } from "node:child_process";
import { fstatSync, mkdirSync, openSync, readFileSync } from "node:fs";
import path from "node:path";
import { DaemonClient, DaemonUnreachableError } from "../client";
import type { VerbatimPaths } from "../paths";
import { lockHolder } from "../service/instance-lock";

export const daemonEntry = path.join(__dirname, "..", "..", "bin", "verbatimd.js");
const START_TIMEOUT_MS = 15_000;

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
 * another first).
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
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // A daemon that refused to start said why (an unsafe socket folder, a bad config): pass that on.
  const said = exited === null ? "" : readFileSync(outputFile).subarray(outputStart).toString("utf8").trim();
  if (said) throw new DaemonUnreachableError(paths.socket, said.slice(-2000));
  throw new DaemonUnreachableError(
    paths.socket,
    `verbatimd did not start; see ${path.join(paths.logDir, "verbatimd.out.log")} and ${path.join(paths.logDir, "verbatimd.log")}`,
  );
}

/** The running daemon, started first if needed (warming `model` if it has to start). */
export async function ensureDaemon(paths: VerbatimPaths, model?: string): Promise<DaemonClient> {
  return (await tryConnect(paths)) ?? startDaemon(paths, model);
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
    await new Promise((resolve) => setTimeout(resolve, 100));
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
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `verbatimd (pid ${pid}) does not answer on its socket and did not stop within ${START_TIMEOUT_MS / 1000} s ` +
      `of SIGTERM; end it with: kill -9 ${pid}`,
  );
}
