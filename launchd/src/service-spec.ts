// What the login service runs, independent of the service manager that runs it.
import path from "node:path";

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

/**
 * Set in the service's environment: this verbatimd is the login service's. When another verbatimd already holds the
 * socket (one started by hand), it then exits 0 instead of 3, which launchd (KeepAlive: restart on failure) and systemd
 * (Restart=on-failure) would otherwise answer by starting it again every 10 s for as long as the other one runs.
 */
export const LOGIN_SERVICE_VARIABLE = "VERBATIM_LOGIN_SERVICE";

/** Verbatim's own location overrides. */
const VERBATIM_VARIABLES = ["VERBATIM_HOME", "VERBATIM_SOCKET"];
/** What decides the Hugging Face model cache and hub, as huggingface_hub and the daemon's model store read them. */
const MODEL_CACHE_VARIABLES = ["HF_HOME", "HF_HUB_CACHE", "XDG_CACHE_HOME", "HF_HUB_OFFLINE", "HF_ENDPOINT"];
/** Folders the service must see as the installing shell did: it runs from another working directory. */
const FOLDER_VARIABLES = new Set(["HF_HOME", "HF_HUB_CACHE", "XDG_CACHE_HOME"]);

/**
 * The environment of the service: PATH, the login-service marker, plus the Verbatim locations and the model cache settings set where it is
 * installed, so the service finds the same models as the shell that installed it (relative folders made absolute).
 */
export function serviceEnvironment(
  nodePath: string,
  env: Record<string, string | undefined>,
  cwd: string = process.cwd(),
): Record<string, string> {
  const environment: Record<string, string> = { PATH: servicePath(nodePath), [LOGIN_SERVICE_VARIABLE]: "1" };
  for (const name of [...VERBATIM_VARIABLES, ...MODEL_CACHE_VARIABLES]) {
    const value = env[name];
    if (value) environment[name] = FOLDER_VARIABLES.has(name) ? path.resolve(cwd, value) : value;
  }
  return environment;
}
