// Starting and restarting the daemon from the menu bar through its LaunchAgent (launchctl by absolute path:
// Raycast runs extensions without the shell's PATH). Stopping goes through the socket instead.
import { runChecked, type CommandRunner } from "../../../launchd/src/command-runner";
import { LAUNCHCTL } from "../../../launchd/src/service-manager";
import { SERVICE_LABEL } from "../../../launchd/src/service-spec";
import { connect } from "./daemon-connection";

export { execRunner } from "../../../launchd/src/command-runner";

export class ServiceNotInstalledError extends Error {
  constructor() {
    super("Verbatim's LaunchAgent is not installed. Run `verbatim daemon install` in Terminal, then try again.");
    this.name = "ServiceNotInstalledError";
  }
}

export class DaemonService {
  private readonly target: string;

  constructor(
    uid: number,
    private readonly run: CommandRunner,
  ) {
    this.target = `gui/${uid}/${SERVICE_LABEL}`;
  }

  /** Starts the daemon if it is not running. */
  async start(): Promise<void> {
    await this.requireInstalled();
    await runChecked(this.run, LAUNCHCTL, ["kickstart", this.target]);
  }

  /** Stops the running daemon and starts it again. */
  async restart(): Promise<void> {
    await this.requireInstalled();
    await runChecked(this.run, LAUNCHCTL, ["kickstart", "-k", this.target]);
  }

  private async requireInstalled(): Promise<void> {
    if ((await this.run(LAUNCHCTL, ["print", this.target])).code !== 0) throw new ServiceNotInstalledError();
  }
}

/** Asks the daemon to shut down; a clean exit, so its LaunchAgent leaves it stopped. */
export async function stopDaemon(socket: string): Promise<void> {
  const client = await connect(socket);
  try {
    await client.request({ type: "shutdown" });
  } finally {
    client.close();
  }
}

/** Switches the daemon's warm model; resolves once the new model is ready. */
export async function switchModel(socket: string, model: string): Promise<void> {
  const client = await connect(socket);
  try {
    await client.request({ type: "model.switch", model });
  } finally {
    client.close();
  }
}
