// One daemon per user: a pid file created exclusively beside the socket, and the socket itself probed, so a
// second start says one is running and a socket left behind by a crash is detected and replaced. The pid file names
// the daemon exactly: its pid, then its socket and its process identity (start time and exact command line). A pid
// file whose process is gone, or is some other program that got the pid since (however its command line reads), or
// that names another socket is stale; a daemon that answers on the socket is running, whatever the pid file says.
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { DaemonClient } from "../client";
import { processIdentity } from "./process-identity";
import { ensurePrivateFolders } from "./socket-folders";

export class AlreadyRunningError extends Error {
  constructor(
    readonly pid: number | null,
    socket: string,
  ) {
    super(
      `verbatimd is already running${pid ? ` (pid ${pid})` : ""} on ${socket}. Use \`verbatim daemon stop\` first.`,
    );
    this.name = "AlreadyRunningError";
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The pid file beside `socket`. */
export function pidFileFor(socket: string): string {
  return socket.replace(/\.sock$/, "") + ".pid";
}

/** What follows the pid in the pid file. */
interface PidFileRecord {
  socket: string;
  process: string;
}

/** This daemon's pid file: its pid on the first line (for `kill $(head -1 …)`), then what identifies it. */
function pidFileText(socket: string): string {
  const identity = processIdentity(process.pid);
  if (identity === null) return `${process.pid}\n`; // unreadable here: the socket alone will tell
  return `${process.pid}\n${JSON.stringify({ socket, process: identity } satisfies PidFileRecord)}\n`;
}

function parsePidFile(content: string | null): { pid: number; record: PidFileRecord | null } | null {
  const [first, second] = (content ?? "").split("\n");
  const pid = Number(first?.trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    const record = JSON.parse(second ?? "") as Partial<PidFileRecord>;
    const valid = typeof record?.socket === "string" && typeof record.process === "string";
    return { pid, record: valid ? (record as PidFileRecord) : null };
  } catch {
    return { pid, record: null };
  }
}

/** The text of the pid file, or null when it is gone. */
function readPidFile(pidFile: string): string | null {
  try {
    return readFileSync(pidFile, "utf8");
  } catch {
    return null;
  }
}

/**
 * The live verbatimd of `socket` that the pid file names, exactly: the process with that pid still is the one that
 * wrote the file (same start time and command line). Null when the file is stale, gone, or names no identity (a
 * pid alone: only the socket can tell then).
 */
function liveHolder(content: string | null, socket: string): number | null {
  const named = parsePidFile(content);
  if (!named || named.pid === process.pid || !named.record || named.record.socket !== socket) return null;
  if (!processAlive(named.pid)) return null;
  return processIdentity(named.pid) === named.record.process ? named.pid : null;
}

/**
 * The verbatimd holding the lock of `socket`, found by its pid file alone: it may be starting, or not answering.
 * Null when the pid file is stale or gone.
 */
export function lockHolder(socket: string): number | null {
  return liveHolder(readPidFile(pidFileFor(socket)), socket);
}

/** The pid of the daemon that answers on `socket` (it says so in its status), or null if it does not say. */
async function answeringPid(socket: string): Promise<number | null> {
  try {
    const client = await DaemonClient.connect(socket, { client: "verbatimd-starting", timeoutMs: 2000 });
    try {
      return (await client.status()).pid;
    } finally {
      client.close();
    }
  } catch {
    return null;
  }
}

/**
 * Creates the pid file holding this process's pid unless it exists. The pid goes into a private file first, linked
 * into place, so no other daemon ever reads the pid file empty.
 */
function createPidFile(pidFile: string, socket: string): boolean {
  const draft = `${pidFile}.${process.pid}`;
  writeFileSync(draft, pidFileText(socket), { mode: 0o600 });
  try {
    linkSync(draft, pidFile);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    rmSync(draft, { force: true });
  }
}

/** Whether something accepts connections on the socket. */
export function socketAnswers(socket: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const connection = net.connect(socket);
    const done = (answer: boolean) => {
      connection.destroy();
      resolve(answer);
    };
    connection.setTimeout(timeoutMs, () => done(false));
    connection.once("connect", () => done(true));
    connection.once("error", () => done(false));
  });
}

export class InstanceLock {
  private constructor(
    readonly pidFile: string,
    readonly socket: string,
  ) {}

  /**
   * Takes the lock and clears a stale socket. Throws AlreadyRunningError when a live daemon holds it, and
   * UnsafeSocketFolderError when one of socketFolders (created if missing) is not the user's own private folder.
   */
  static async acquire(socket: string, socketFolders: readonly string[] = []): Promise<InstanceLock> {
    if (socketFolders.length) ensurePrivateFolders(socketFolders);
    else mkdirSync(path.dirname(socket), { recursive: true, mode: 0o700 });
    const pidFile = pidFileFor(socket);
    for (let attempt = 0; !createPidFile(pidFile, socket); attempt++) {
      const content = readPidFile(pidFile);
      const holder = liveHolder(content, socket);
      if (holder !== null) throw new AlreadyRunningError(holder, socket);
      // A daemon answers on the socket (one whose pid file says less, from an older version): it runs.
      if (await socketAnswers(socket)) throw new AlreadyRunningError(await answeringPid(socket), socket);
      // Another daemon replaced the stale file at the same moment as this one: it won.
      if (attempt > 0) throw new AlreadyRunningError(parsePidFile(content)?.pid ?? null, socket);
      // Stale: removed unless another starting daemon replaced it meanwhile.
      if (readPidFile(pidFile) === content) rmSync(pidFile, { force: true });
    }
    if (await socketAnswers(socket)) {
      rmSync(pidFile, { force: true });
      throw new AlreadyRunningError(await answeringPid(socket), socket);
    }
    rmSync(socket, { force: true }); // a stale socket from a crash
    return new InstanceLock(pidFile, socket);
  }

  release(): void {
    rmSync(this.socket, { force: true });
    rmSync(this.pidFile, { force: true });
  }
}
