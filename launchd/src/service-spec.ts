// What the login service runs, independent of the service manager that runs it.

/** launchd label and systemd unit name stem (reverse DNS, as launchd expects). */
export const SERVICE_LABEL = "app.verbatim.daemon";
export const SYSTEMD_UNIT = "verbatimd.service";

/** Seconds launchd waits before starting the daemon again after it stopped. */
export const RESTART_THROTTLE_SECONDS = 10;

export interface ServiceSpec {
  /** Absolute path of the node binary that runs the daemon. */
  nodePath: string;
  /** Absolute path of the daemon's entry script (daemon/bin/verbatimd.js). */
  daemonEntry: string;
  /** Folder for the daemon's stdout and stderr (macOS: ~/Library/Logs/Verbatim). */
  logDir: string;
  /** Environment of the daemon; PATH should list Homebrew's prefixes (launchd starts agents with a bare PATH). */
  environment: Record<string, string>;
}

const HOMEBREW_PATH = ["/opt/homebrew/bin", "/opt/homebrew/sbin", "/usr/local/bin", "/usr/local/sbin"];
const SYSTEM_PATH = ["/usr/bin", "/bin", "/usr/sbin", "/sbin"];

/**
 * The PATH the daemon runs with: Homebrew's prefixes (for ffmpeg), the folder of the node it runs on, then the
 * system folders. Login services do not inherit the shell's PATH.
 */
export function servicePath(nodePath: string): string {
  const nodeDir = nodePath.slice(0, nodePath.lastIndexOf("/")) || "/";
  return [...new Set([...HOMEBREW_PATH, nodeDir, ...SYSTEM_PATH])].join(":");
}

/** The environment of the service: PATH, plus the Verbatim location overrides set where it is installed. */
export function serviceEnvironment(nodePath: string, env: Record<string, string | undefined>): Record<string, string> {
  const environment: Record<string, string> = { PATH: servicePath(nodePath) };
  for (const name of ["VERBATIM_HOME", "VERBATIM_SOCKET"]) {
    const value = env[name];
    if (value) environment[name] = value;
  }
  return environment;
}
