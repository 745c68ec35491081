// Installs, removes and restarts verbatimd as a login service: a LaunchAgent on macOS, a systemd user unit on Linux.
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { runChecked, ServiceCommandError, type CommandRunner } from "./command-runner";
import { launchAgentPlist } from "./launch-agent-plist";
import { SERVICE_LABEL, SYSTEMD_UNIT, type ServiceSpec } from "./service-spec";
import { systemdUnit } from "./systemd-unit";

export const LAUNCHCTL = "/bin/launchctl";
export const SYSTEMCTL = "/usr/bin/systemctl";

export type InstallOutcome = "installed" | "upgraded" | "unchanged";
/**
 * "unmanaged": the definition was removed, but the service manager could not be reached to stop a daemon it
 * started, which may still run until it is stopped.
 */
export type UninstallOutcome = "removed" | "not-installed" | "unmanaged";

export interface ServiceManager {
  /** The file that defines the service. */
  readonly file: string;
  /**
   * Writes the service definition and starts it; run again, it upgrades an older definition in place.
   * `beforeInstall` runs once the service manager is known to be usable, before anything is written or started.
   */
  install(spec: ServiceSpec, beforeInstall?: () => Promise<void>): Promise<InstallOutcome>;
  /** Stops the service and removes its definition. */
  uninstall(): Promise<UninstallOutcome>;
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

/** A failed install, saying that the definition it wrote was taken back (removed, or the older one put back). */
function notInstalled(error: unknown, previous: string | null, kind: string, undone?: string): Error {
  undone ??= previous === null ? `the ${kind} it wrote was removed again` : `the previous ${kind} was put back`;
  return new Error(`verbatimd was not installed as a login service (${undone}): ${(error as Error).message}`, {
    cause: error,
  });
}

async function restoreFile(file: string, previous: string | null): Promise<void> {
  if (previous === null) await rm(file, { force: true });
  else await writeFile(file, previous, { mode: 0o644 });
}

/**
 * launchctl bootstrap's answers that pass: 5 (EIO, "Input/output error") while launchd still frees the label of a job
 * just booted out, for about 5 s (headroomlabs-ai/headroom#1289, openclaw/openclaw#136453), and 37 (EALREADY,
 * "Operation already in progress") when it races that job's exit.
 */
const TRANSIENT_BOOTSTRAP_CODES = new Set([5, 37]);

/** How long launchd is given to let go of a booted-out job, and how often it is asked. */
export interface LaunchdTiming {
  /** The most to wait for the label to go after a bootout, and for bootstrap's transient errors to pass. */
  settleMs: number;
  pollMs: number;
}

/**
 * 20 s: launchd gives a job 20 s to exit after SIGTERM (launchd.plist's ExitTimeOut default), and its label's release
 * has been measured at about 5 s; polled every half second.
 */
export const LAUNCHD_TIMING: LaunchdTiming = { settleMs: 20_000, pollMs: 500 };

/** What launchd holds of the agent: whether the job is loaded, and whether it is switched off (launchctl disable, or
 * Login Items → Allow in the Background turned off). */
export interface LaunchAgentState {
  loaded: boolean;
  disabled: boolean;
}

/** The agent is switched off in launchd, which then will not load it: the user's choice, to be undone by the user. */
export class AgentSwitchedOffError extends Error {
  constructor(target: string) {
    super(
      "verbatimd was not installed as a login service: it is switched off (System Settings → General → Login " +
        "Items & Extensions → Allow in the Background, or `launchctl disable`), and launchd will not load it. Switch " +
        `it on there (or run \`launchctl enable ${target}\`), then run \`verbatim daemon install\` again. Nothing was changed.`,
    );
    this.name = "AgentSwitchedOffError";
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class LaunchAgentManager implements ServiceManager {
  readonly file: string;
  private readonly domain: string;
  private readonly target: string;

  constructor(
    home: string,
    uid: number,
    private readonly run: CommandRunner,
    private readonly timing: LaunchdTiming = LAUNCHD_TIMING,
  ) {
    this.file = path.join(home, "Library", "LaunchAgents", `${SERVICE_LABEL}.plist`);
    this.domain = `gui/${uid}`;
    this.target = `${this.domain}/${SERVICE_LABEL}`;
  }

  async install(spec: ServiceSpec, beforeInstall?: () => Promise<void>): Promise<InstallOutcome> {
    // launchd refuses to load a job that is switched off, with the same error it gives while a label is freed.
    if (await this.isDisabled()) throw new AgentSwitchedOffError(this.target);
    await beforeInstall?.();
    await mkdir(spec.logDir, { recursive: true, mode: 0o700 });
    const previous = await readIfExists(this.file);
    const outcome = await writeDefinition(this.file, launchAgentPlist(spec));
    const loaded = await this.isLoaded();
    if (outcome === "unchanged" && loaded) return outcome;
    try {
      // launchd keeps the definition it loaded: an upgrade is a bootout of the old one and a bootstrap of the new.
      if (loaded) await this.bootout();
      await this.bootstrap();
      return outcome;
    } catch (error) {
      if (outcome === "unchanged") throw error;
      await restoreFile(this.file, previous);
      if (previous === null || !loaded) throw notInstalled(error, previous, "plist");
      // Never leave the agent unloaded: the daemon would stay down until the next login.
      const reloaded = await this.bootstrapIfUnloaded().then(
        () => "the previous plist was put back and is loaded",
        (reload: Error) =>
          `the previous plist was put back, but launchd did not load it either (${reload.message}): the daemon ` +
          "starts at the next login, or now with `verbatim daemon install`",
      );
      throw notInstalled(error, previous, "plist", reloaded);
    }
  }

  async uninstall(): Promise<UninstallOutcome> {
    const loaded = await this.isLoaded();
    if (loaded) await this.bootout();
    const existed = (await readIfExists(this.file)) !== null;
    await rm(this.file, { force: true });
    return loaded || existed ? "removed" : "not-installed";
  }

  /** kickstart -k when the agent is loaded; when it is not (booted out, switched off and on), bootstrap it. */
  async restart(): Promise<void> {
    if (await this.isLoaded()) await runChecked(this.run, LAUNCHCTL, ["kickstart", "-k", this.target]);
    else await this.bootstrap();
  }

  /** Whether launchd has the agent loaded, and whether it is switched off (`launchctl print-disabled`). */
  async state(): Promise<LaunchAgentState> {
    return { loaded: await this.isLoaded(), disabled: await this.isDisabled() };
  }

  private async isDisabled(): Promise<boolean> {
    const listing = await runChecked(this.run, LAUNCHCTL, ["print-disabled", this.domain]);
    // `"label" => disabled` (macOS 26), or `=> true` in older releases; no line: never switched off.
    const override = listing.stdout
      .split("\n")
      .map((line) => /^\s*"([^"]+)" => (\w+)/.exec(line))
      .find((match) => match?.[1] === SERVICE_LABEL);
    return override?.[2] === "disabled" || override?.[2] === "true";
  }

  private async isLoaded(): Promise<boolean> {
    return (await this.run(LAUNCHCTL, ["print", this.target])).code === 0;
  }

  /** Boots the agent out, then waits until launchd no longer lists it (bootout returns before the label is free). */
  private async bootout(): Promise<void> {
    await runChecked(this.run, LAUNCHCTL, ["bootout", this.target]);
    const deadline = Date.now() + this.timing.settleMs;
    while (await this.isLoaded()) {
      if (Date.now() >= deadline)
        throw new Error(`launchd still lists ${this.target} ${this.timing.settleMs / 1000} s after its bootout`);
      await pause(this.timing.pollMs);
    }
  }

  /** Loads the plist, asking again while launchd answers with a transient error, up to the settle time. */
  private async bootstrap(): Promise<void> {
    const args = ["bootstrap", this.domain, this.file];
    const deadline = Date.now() + this.timing.settleMs;
    for (;;) {
      const outcome = await this.run(LAUNCHCTL, args);
      if (outcome.code === 0) return;
      if (!TRANSIENT_BOOTSTRAP_CODES.has(outcome.code) || Date.now() >= deadline)
        throw new ServiceCommandError(LAUNCHCTL, args, outcome);
      await pause(this.timing.pollMs);
    }
  }

  private async bootstrapIfUnloaded(): Promise<void> {
    if (!(await this.isLoaded())) await this.bootstrap();
  }
}

/** systemctl --user cannot reach the user's service manager (no user D-Bus), so no unit can be started. */
export class UserManagerUnavailableError extends Error {
  constructor(detail: string) {
    super(
      `verbatimd was not installed as a login service: systemd's user manager cannot be reached here ` +
        `(${detail || "systemctl --user failed"}), as in a container or a shell opened with su or sudo. Nothing ` +
        `was left installed. Either start your user manager and keep it running without a login ` +
        `(\`loginctl enable-linger ${os.userInfo().username}\`, then log in again or set ` +
        `XDG_RUNTIME_DIR=/run/user/${os.userInfo().uid}) and run \`verbatim daemon install\` again, or run the ` +
        `daemon without a login service: \`verbatim daemon start\` (or \`verbatimd\` in the foreground).`,
    );
    this.name = "UserManagerUnavailableError";
  }
}

export class SystemdUserManager implements ServiceManager {
  readonly file: string;
  /** Where `systemctl --user enable` links the unit (its WantedBy=default.target). */
  private readonly enablementLink: string;

  constructor(
    configHome: string,
    private readonly run: CommandRunner,
  ) {
    const unitFolder = path.join(configHome, "systemd", "user");
    this.file = path.join(unitFolder, SYSTEMD_UNIT);
    this.enablementLink = path.join(unitFolder, "default.target.wants", SYSTEMD_UNIT);
  }

  async install(spec: ServiceSpec, beforeInstall?: () => Promise<void>): Promise<InstallOutcome> {
    const unreachable = await this.managerProblem();
    if (unreachable !== undefined) throw new UserManagerUnavailableError(unreachable);
    await beforeInstall?.();
    const previous = await readIfExists(this.file);
    const outcome = await writeDefinition(this.file, systemdUnit(spec));
    if (outcome === "unchanged") {
      await this.systemctl("enable", "--now", SYSTEMD_UNIT);
      return outcome;
    }
    try {
      await this.systemctl("daemon-reload");
      await this.systemctl("enable", SYSTEMD_UNIT);
      // restart starts a stopped unit, and replaces a daemon running the older definition.
      await this.systemctl("restart", SYSTEMD_UNIT);
      return outcome;
    } catch (error) {
      await this.restoreDefinition(previous);
      throw notInstalled(error, previous, "unit");
    }
  }

  async uninstall(): Promise<UninstallOutcome> {
    if ((await readIfExists(this.file)) === null) return "not-installed";
    if ((await this.managerProblem()) !== undefined) {
      await this.removeFiles();
      return "unmanaged";
    }
    await this.systemctl("disable", "--now", SYSTEMD_UNIT);
    await this.removeFiles();
    await this.systemctl("daemon-reload");
    return "removed";
  }

  async restart(): Promise<void> {
    await this.systemctl("restart", SYSTEMD_UNIT);
  }

  /** Why the user manager cannot be reached (systemctl's message), or undefined when it answers. */
  private async managerProblem(): Promise<string | undefined> {
    const outcome = await this.run(SYSTEMCTL, ["--user", "show-environment"]);
    return outcome.code === 0 ? undefined : (outcome.stderr || outcome.stdout).trim();
  }

  /** After a failed install: the unit as it was before (none, or the older one), and systemd told so. */
  private async restoreDefinition(previous: string | null): Promise<void> {
    if (previous === null) {
      await this.run(SYSTEMCTL, ["--user", "disable", SYSTEMD_UNIT]);
      await rm(this.enablementLink, { force: true });
    }
    await restoreFile(this.file, previous);
    await this.run(SYSTEMCTL, ["--user", "daemon-reload"]);
  }

  private async removeFiles(): Promise<void> {
    await rm(this.file, { force: true });
    await rm(this.enablementLink, { force: true });
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
