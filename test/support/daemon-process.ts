// Runs the real verbatimd as a child process on a temporary socket, for end-to-end tests.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DaemonClient } from "../../daemon/src/client";
import type { DaemonStatus } from "../../daemon/src/protocol";
import { repoRoot } from "./fixtures";

export const daemonEntry = path.join(repoRoot, "daemon", "bin", "verbatimd.js");
export const cliEntry = path.join(repoRoot, "daemon", "bin", "verbatim.js");

export interface DaemonProcessOptions {
  /** Added to (or overriding) the daemon's and the CLI's environment, such as a test hub's HF_ENDPOINT. */
  env?: NodeJS.ProcessEnv;
  /** The largest file the daemon may write, in 512-byte blocks (RLIMIT_FSIZE): writes past it fail with EFBIG. */
  fileSizeLimitBlocks?: number;
  /** The most files the daemon may have open (RLIMIT_NOFILE): sockets count, so past it connections are refused. */
  openFileLimit?: number;
}

export class DaemonProcess {
  readonly home: string;
  readonly socket: string;
  child: ChildProcess | null = null;
  output = "";

  constructor(
    config: Record<string, unknown>,
    private readonly options: DaemonProcessOptions = {},
  ) {
    this.home = mkdtempSync(path.join(os.tmpdir(), "vd-"));
    this.socket = path.join(this.home, "verbatimd.sock");
    writeFileSync(path.join(this.home, "config.json"), JSON.stringify(config));
  }

  /** A daemon with `config`, started, its model loaded. */
  static async ready(config: Record<string, unknown>, options: DaemonProcessOptions = {}): Promise<DaemonProcess> {
    const daemon = new DaemonProcess(config, options);
    try {
      await daemon.start();
      await daemon.waitForModel();
    } catch (error) {
      await daemon.dispose();
      throw error;
    }
    return daemon;
  }

  get env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      VERBATIM_HOME: this.home,
      VERBATIM_SOCKET: this.socket,
      HF_HUB_OFFLINE: "1",
      ...this.options.env,
    };
  }

  /** The `verbatim` command against this daemon: its exit code and output. */
  cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) =>
      execFile(process.execPath, [cliEntry, ...args], { env: this.env }, (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
      ),
    );
  }

  /** Starts the daemon and resolves once it answers on its socket. */
  async start(): Promise<void> {
    const { fileSizeLimitBlocks, openFileLimit } = this.options;
    // bash's `ulimit -f` counts 512-byte blocks; the daemon is exec'd, so the limits are its own.
    const limits = [
      ...(fileSizeLimitBlocks === undefined ? [] : [`ulimit -f ${fileSizeLimitBlocks}`]),
      ...(openFileLimit === undefined ? [] : [`ulimit -n ${openFileLimit}`]),
    ];
    const [command, args] =
      limits.length === 0
        ? [process.execPath, [daemonEntry]]
        : ["bash", ["-c", `${limits.join(" && ")} && exec "$0" "$@"`, process.execPath, daemonEntry]];
    const child = spawn(command, args, { env: this.env, stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    child.stdout?.on("data", (chunk) => (this.output += chunk));
    child.stderr?.on("data", (chunk) => (this.output += chunk));
    for (let attempt = 0; attempt < 200; attempt++) {
      if (child.exitCode !== null) throw new Error(`verbatimd exited with ${child.exitCode}: ${this.output}`);
      try {
        (await this.connect()).close();
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    throw new Error(`verbatimd did not answer: ${this.output}`);
  }

  connect(): Promise<DaemonClient> {
    return DaemonClient.connect(this.socket, { client: "e2e-test" });
  }

  async status(): Promise<DaemonStatus> {
    const client = await this.connect();
    try {
      return await client.status();
    } finally {
      client.close();
    }
  }

  /** Waits until the model is ready (or fails, which throws). */
  async waitForModel(): Promise<DaemonStatus> {
    for (;;) {
      const status = await this.status();
      if (status.model.state === "ready") return status;
      if (status.model.state === "failed") throw new Error(`the model failed to load: ${status.model.error}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  exited(): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child?.exitCode ?? null);
    return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  }

  async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill("SIGTERM");
      await this.exited();
    }
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.home, { recursive: true, force: true });
  }
}
