// One daemon per user: a pid file created exclusively beside the socket, and the socket itself probed, so a
// second start says one is running and a socket left behind by a crash is detected and replaced. A pid file whose
// process is gone, or is some other program that got the pid since, is stale.
import { execFileSync } from "node:child_process";
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
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

/** Whether the process runs verbatimd; null when that cannot be told (then it is taken to be one). */
function runsVerbatimd(pid: number): boolean | null {
  try {
    const commandLine =
      process.platform === "linux"
        ? readFileSync(`/proc/${pid}/cmdline`, "utf8")
        : execFileSync("ps", ["-p", String(pid), "-o", "args="], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "ignore"],
          });
    return commandLine.includes("verbatimd");
  } catch {
    return null;
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

/** The live verbatimd the pid file names, or null when the file is stale (or gone). */
function liveHolder(content: string | null): number | null {
  const pid = Number(content?.trim());
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || !processAlive(pid)) return null;
  return runsVerbatimd(pid) === false ? null : pid;
}

/**
 * Creates the pid file holding this process's pid unless it exists. The pid goes into a private file first, linked
 * into place, so no other daemon ever reads the pid file empty.
 */
function createPidFile(pidFile: string): boolean {
  const draft = `${pidFile}.${process.pid}`;
  writeFileSync(draft, String(process.pid), { mode: 0o600 });
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
    const pidFile = socket.replace(/\.sock$/, "") + ".pid";
    for (let attempt = 0; !createPidFile(pidFile); attempt++) {
      const content = readPidFile(pidFile);
      const holder = liveHolder(content);
      if (holder !== null) throw new AlreadyRunningError(holder, socket);
      // Another daemon replaced the stale file at the same moment as this one: it won.
      if (attempt > 0) throw new AlreadyRunningError(Number(content) || null, socket);
      // Stale: removed unless another starting daemon replaced it meanwhile.
      if (readPidFile(pidFile) === content) rmSync(pidFile, { force: true });
    }
    if (await socketAnswers(socket)) {
      rmSync(pidFile, { force: true });
      throw new AlreadyRunningError(null, socket);
    }
    rmSync(socket, { force: true }); // a stale socket from a crash
    return new InstanceLock(pidFile, socket);
  }

  release(): void {
    rmSync(this.socket, { force: true });
    rmSync(this.pidFile, { force: true });
  }
}
