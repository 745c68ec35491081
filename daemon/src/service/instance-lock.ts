// One daemon per user: a pid file created exclusively beside the socket, and the socket itself probed, so a
// second start says one is running and a socket left behind by a crash is detected and replaced.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import net from "node:net";
import path from "node:path";

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

  /** Takes the lock and clears a stale socket. Throws AlreadyRunningError when a live daemon holds it. */
  static async acquire(socket: string): Promise<InstanceLock> {
    const folder = path.dirname(socket);
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const pidFile = socket.replace(/\.sock$/, "") + ".pid";
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(pidFile, "wx", 0o600);
        writeSync(fd, String(process.pid));
        closeSync(fd);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw error;
        const pid = Number(readFileSync(pidFile, "utf8").trim()) || null;
        if (pid && pid !== process.pid && processAlive(pid)) throw new AlreadyRunningError(pid, socket);
        rmSync(pidFile, { force: true }); // left by a daemon that died
      }
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
