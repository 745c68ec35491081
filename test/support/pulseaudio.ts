// A private PulseAudio server for capture tests: a null sink whose monitor is the default source, so sound played
// into the sink is what a microphone process records. Debian's `pulseaudio` and `pulseaudio-utils` (paplay).
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const SINK = "verbatim_test";

export class PulseAudioServer {
  readonly runtimeDir = mkdtempSync(path.join(os.tmpdir(), "pulse-"));
  private players = new Set<ChildProcess>();

  /** PulseAudio is installed (the capture tests need it; CI installs it). */
  static available(): boolean {
    return spawnSync("pulseaudio", ["--version"]).status === 0 && spawnSync("paplay", ["--version"]).status === 0;
  }

  /** The environment that points PulseAudio clients (PvRecorder among them) at this server. */
  get env(): NodeJS.ProcessEnv {
    return { ...process.env, PULSE_SERVER: `unix:${this.socket}`, XDG_RUNTIME_DIR: this.runtimeDir };
  }

  private get socket(): string {
    return path.join(this.runtimeDir, "native");
  }

  start(): void {
    execFileSync(
      "pulseaudio",
      [
        "--daemonize=yes",
        "--exit-idle-time=-1",
        "--disallow-exit",
        "-n",
        `--load=module-native-protocol-unix socket=${this.socket} auth-anonymous=1`,
        `--load=module-null-sink sink_name=${SINK}`,
        `--load=module-always-sink`,
        "--log-target=stderr",
        "--log-level=error",
      ],
      { env: { ...process.env, XDG_RUNTIME_DIR: this.runtimeDir }, stdio: "pipe" },
    );
    for (let attempt = 0; attempt < 100 && !existsSync(this.socket); attempt++) {
      execFileSync("sleep", ["0.05"]);
    }
    execFileSync("pactl", ["set-default-source", `${SINK}.monitor`], { env: this.env });
  }

  /** Another null sink; its monitor is the input "Monitor of `description`". */
  addSink(name: string, description: string): void {
    execFileSync(
      "pactl",
      ["load-module", "module-null-sink", `sink_name=${name}`, `sink_properties=device.description=${description}`],
      { env: this.env },
    );
  }

  /**
   * Keeps a sink on the clock with a silent stream until stop(): an idle null sink renders about 2 s ahead of it, which
   * would put a capture process's first audio at the wrong time.
   */
  keepOnClock(sink: string): void {
    const player = spawn("pacat", ["--playback", `--device=${sink}`, "--latency-msec=20", "/dev/zero"], {
      env: this.env,
      stdio: "ignore",
    });
    this.players.add(player);
  }

  /**
   * Plays a sound file into the sink (by default the first, whose monitor is the default input) at real-time pace;
   * resolves when it has played, or stopped as `until` aborts.
   */
  play(file: string, until?: AbortSignal, sink = SINK): Promise<void> {
    const player = spawn("paplay", [`--device=${sink}`, file], { env: this.env, stdio: "ignore" });
    this.players.add(player);
    until?.addEventListener("abort", () => player.kill());
    return new Promise((resolve, reject) =>
      player.on("exit", (code) => {
        this.players.delete(player);
        if (code === 0 || until?.aborted) resolve();
        else reject(new Error(`paplay exited with ${code}`));
      }),
    );
  }

  stop(): void {
    for (const player of this.players) player.kill();
    spawnSync("pulseaudio", ["--kill"], { env: { ...process.env, XDG_RUNTIME_DIR: this.runtimeDir } });
    rmSync(this.runtimeDir, { recursive: true, force: true });
  }
}
