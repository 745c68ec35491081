// Starting and restarting the daemon through its LaunchAgent (launchctl by absolute path: Raycast runs extensions
// without the shell's PATH). Stopping and switching models go through the socket instead.
import { existsSync } from "node:fs";
import { runChecked, type CommandRunner } from "../verbatimd/command-runner";
import { SERVICE_LABEL } from "../verbatimd/service-spec";
import { connect, DaemonUnreachableError, withConnection } from "./daemon-connection";

export { execRunner } from "../verbatimd/command-runner";

const LAUNCHCTL = "/bin/launchctl";

export class ServiceNotInstalledError extends Error {
  constructor() {
    super("Verbatim's LaunchAgent is not installed. Run `verbatim daemon install` in Terminal, then try again.");
    this.name = "ServiceNotInstalledError";
  }
}

export class DaemonService {
  private readonly domain: string;
  private readonly target: string;

  /** `plist`: the LaunchAgent's file (daemon-setup's serviceDefinitionFile). */
  constructor(
    uid: number,
    private readonly plist: string,
    private readonly run: CommandRunner,
  ) {
    this.domain = `gui/${uid}`;
    this.target = `${this.domain}/${SERVICE_LABEL}`;
  }

  /**
   * Starts the daemon if it is not running: kickstart when launchd has the agent loaded, else load it from its plist
   * (it starts at load), as after `launchctl bootout` or when it was installed outside a login session.
   */
  async start(): Promise<void> {
    if (!existsSync(this.plist)) throw new ServiceNotInstalledError();
    if (await this.loaded()) await runChecked(this.run, LAUNCHCTL, ["kickstart", this.target]);
    else await runChecked(this.run, LAUNCHCTL, ["bootstrap", this.domain, this.plist]);
  }

  /** Stops the running daemon and starts it again (on the code installed now). */
  async restart(): Promise<void> {
    if (!existsSync(this.plist)) throw new ServiceNotInstalledError();
    if (await this.loaded()) await runChecked(this.run, LAUNCHCTL, ["kickstart", "-k", this.target]);
    else await runChecked(this.run, LAUNCHCTL, ["bootstrap", this.domain, this.plist]);
  }

  private async loaded(): Promise<boolean> {
    return (await this.run(LAUNCHCTL, ["print", this.target])).code === 0;
  }
}

/** True once something answers on `socket` (a started daemon takes a moment to listen); false after `timeoutMs`. */
export async function waitUntilAnswering(socket: string, timeoutMs = 15_000, pollMs = 250): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      (await connect(socket, { timeoutMs: 2000 })).close();
      return true;
    } catch (error) {
      if (!(error instanceof DaemonUnreachableError)) return true; // it answers, if not as hoped (another protocol)
      if (Date.now() >= deadline) return false;
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** Asks the daemon to shut down; a clean exit, so its LaunchAgent leaves it stopped. */
export async function stopDaemon(socket: string): Promise<void> {
  await withConnection(socket, (client) => client.request({ type: "shutdown" }));
}

/**
 * Starts switching the daemon's model and resolves once the daemon has taken the switch up (its first progress event,
 * or done when the model is here already); rejects when it refuses it. A download can take minutes: the daemon goes
 * on after this connection closes, saves the choice in config.json once the model is loaded, and its status shows the
 * progress meanwhile.
 */
export async function startModelSwitch(socket: string, model: string): Promise<void> {
  const client = await connect(socket);
  try {
    await new Promise<void>((resolve, reject) => {
      client.request({ type: "model.switch", model }, () => resolve()).then(() => resolve(), reject);
    });
  } finally {
    client.close();
  }
}

/** Unloads the model after `minutes` idle (0: keeps it loaded); the daemon saves it in its config.json. */
export async function setIdleUnload(socket: string, minutes: number): Promise<void> {
  await withConnection(socket, (client) => client.request({ type: "idleUnload.set", minutes }), { timeoutMs: 5000 });
}

/** Switches the daemon's warm model (or loads it again after a failure); resolves once it is ready. */
export async function switchModel(socket: string, model: string): Promise<void> {
  await withConnection(socket, (client) => client.request({ type: "model.switch", model }), { timeoutMs: 5000 });
}
