// Installs, removes and restarts verbatimd as a login service: a LaunchAgent on macOS, a systemd user unit on Linux.
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { runChecked, type CommandRunner } from "./command-runner";
import { launchAgentPlist } from "./launch-agent-plist";
import { SERVICE_LABEL, SYSTEMD_UNIT, type ServiceSpec } from "./service-spec";
import { systemdUnit } from "./systemd-unit";

export const LAUNCHCTL = "/bin/launchctl";
export const SYSTEMCTL = "/usr/bin/systemctl";

export type InstallOutcome = "installed" | "upgraded" | "unchanged";

export interface ServiceManager {
  /** The file that defines the service. */
  readonly file: string;
  /** Writes the service definition and starts it; run again, it upgrades an older definition in place. */
  install(spec: ServiceSpec): Promise<InstallOutcome>;
  /** Stops the service and removes its definition. Returns false if it was not installed. */
  uninstall(): Promise<boolean>;
  /** Stops the daemon (if running) and starts it again. */
  restart(): Promise<void>;
}

async function readIfExists(file: string): Promise<string | null> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

/** Writes the definition unless it already says the same; tells what changed. */
async function writeDefinition(file: string, content: string): Promise<InstallOutcome> {
  const previous = await readIfExists(file);
  if (previous === content) return "unchanged";
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content, { mode: 0o644 });
  return previous === null ? "installed" : "upgraded";
}

export class LaunchAgentManager implements ServiceManager {
  readonly file: string;
  private readonly domain: string;
  private readonly target: string;

  constructor(
    home: string,
    uid: number,
    private readonly run: CommandRunner,
  ) {
    this.file = path.join(home, "Library", "LaunchAgents", `${SERVICE_LABEL}.plist`);
    this.domain = `gui/${uid}`;
    this.target = `${this.domain}/${SERVICE_LABEL}`;
  }

  async install(spec: ServiceSpec): Promise<InstallOutcome> {
    await mkdir(spec.logDir, { recursive: true, mode: 0o700 });
    const outcome = await writeDefinition(this.file, launchAgentPlist(spec));
    const loaded = await this.isLoaded();
    if (outcome === "unchanged" && loaded) return outcome;
    // launchd keeps the definition it loaded: an upgrade is a bootout of the old one and a bootstrap of the new.
    if (loaded) await runChecked(this.run, LAUNCHCTL, ["bootout", this.target]);
    await runChecked(this.run, LAUNCHCTL, ["bootstrap", this.domain, this.file]);
    return outcome;
  }

  async uninstall(): Promise<boolean> {
    const loaded = await this.isLoaded();
    if (loaded) await runChecked(this.run, LAUNCHCTL, ["bootout", this.target]);
    const existed = (await readIfExists(this.file)) !== null;
    await rm(this.file, { force: true });
    return loaded || existed;
  }

  async restart(): Promise<void> {
    await runChecked(this.run, LAUNCHCTL, ["kickstart", "-k", this.target]);
  }

  private async isLoaded(): Promise<boolean> {
    return (await this.run(LAUNCHCTL, ["print", this.target])).code === 0;
  }
}

export class SystemdUserManager implements ServiceManager {
  readonly file: string;

  constructor(
    configHome: string,
    private readonly run: CommandRunner,
  ) {
    this.file = path.join(configHome, "systemd", "user", SYSTEMD_UNIT);
  }

  async install(spec: ServiceSpec): Promise<InstallOutcome> {
    const outcome = await writeDefinition(this.file, systemdUnit(spec));
    if (outcome === "unchanged") {
      await this.systemctl("enable", "--now", SYSTEMD_UNIT);
      return outcome;
    }
    await this.systemctl("daemon-reload");
    await this.systemctl("enable", SYSTEMD_UNIT);
    // restart starts a stopped unit, and replaces a daemon running the older definition.
    await this.systemctl("restart", SYSTEMD_UNIT);
    return outcome;
  }

  async uninstall(): Promise<boolean> {
    if ((await readIfExists(this.file)) === null) return false;
    await this.systemctl("disable", "--now", SYSTEMD_UNIT);
    await rm(this.file, { force: true });
    await this.systemctl("daemon-reload");
    return true;
  }

  async restart(): Promise<void> {
    await this.systemctl("restart", SYSTEMD_UNIT);
  }

  private async systemctl(...args: string[]): Promise<void> {
    await runChecked(this.run, SYSTEMCTL, ["--user", ...args]);
  }
}

export interface ServiceHost {
  platform: NodeJS.Platform;
  home: string;
  uid: number;
  env: Record<string, string | undefined>;
  run: CommandRunner;
}

/** The login service manager of this platform: launchd on macOS, systemd elsewhere. */
export function serviceManagerFor(host: ServiceHost): ServiceManager {
  if (host.platform === "darwin") return new LaunchAgentManager(host.home, host.uid, host.run);
  const configHome = host.env.XDG_CONFIG_HOME || path.join(host.home, ".config");
  return new SystemdUserManager(configHome, host.run);
}
