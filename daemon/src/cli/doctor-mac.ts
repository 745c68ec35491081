// `verbatim doctor`'s checks of what only a Mac has: its macOS against the engine's minimum, why the engine computes
// on the CPU of a Mac whose GPU it should use (Rosetta, an old macOS, MLX's own reason), and whether launchd holds
// the LaunchAgent (it may be installed but not loaded, or switched off in Login Items).
import { LaunchAgentManager, SERVICE_LABEL, type ServiceManager } from "@verbatim/launchd";
import { compareVersions, gpuAbsence, MINIMUM_MACOS, type BuildInfo, type MacHost } from "@verbatim/native";
import { ok, problem, warning, type Finding } from "./doctor-finding";

export function checkMacos(host: MacHost): Finding | null {
  if (host.platform !== "darwin") return null;
  if (host.macos === null)
    return warning(
      "macOS",
      "sw_vers did not say which macOS this is",
      `Verbatim needs macOS ${MINIMUM_MACOS} or later`,
    );
  if (compareVersions(host.macos, MINIMUM_MACOS) < 0)
    return problem(
      "macOS",
      `${host.macos} is older than ${MINIMUM_MACOS}, the oldest macOS Verbatim's engine runs on`,
      "update macOS (System Settings → General → Software Update)",
    );
  return ok("macOS", `${host.macos} (Verbatim needs ${MINIMUM_MACOS} or later)`);
}

/** The engine's finding where it computes on the CPU of a Mac whose GPU it should use; null elsewhere. */
export function engineOnCpu(detail: string, build: BuildInfo, host: MacHost): Finding | null {
  const absence = gpuAbsence(build, host);
  return absence && warning("engine", `${detail}; it computes on the CPU: ${absence.reason}`, absence.fix);
}

/** An installed LaunchAgent as launchd holds it: one switched off or not loaded does not start at login. */
export async function launchAgentState(installed: Finding, service: ServiceManager): Promise<Finding> {
  if (installed.verdict !== "ok" || !(service instanceof LaunchAgentManager)) return installed;
  const state = await service.state().catch((error: Error) => error);
  if (state instanceof Error)
    return warning(
      "login service",
      `${installed.detail}, but launchd did not answer: ${state.message}`,
      "verbatim daemon install",
    );
  if (state.disabled)
    return warning(
      "login service",
      `${service.file} is switched off, so launchd does not start it at login`,
      "switch it on in System Settings → General → Login Items & Extensions → Allow in the Background (or " +
        `launchctl enable gui/$(id -u)/${SERVICE_LABEL}), then verbatim daemon install`,
    );
  if (!state.loaded)
    return warning(
      "login service",
      `${service.file} is installed but launchd has not loaded it: the daemon does not start at login or after a crash`,
      "verbatim daemon install",
    );
  return ok("login service", `${installed.detail}; launchd has it loaded`);
}

/** Terminal apps by the TERM_PROGRAM they set: macOS asks for microphone access as the app that runs verbatim. */
const TERMINAL_APPS: Record<string, string> = {
  Apple_Terminal: "Terminal",
  "iTerm.app": "iTerm",
  vscode: "Visual Studio Code",
  WarpTerminal: "Warp",
  ghostty: "Ghostty",
  WezTerm: "WezTerm",
};

/** The app macOS asks microphone access of when verbatim runs in this terminal. */
export function terminalApp(env: NodeJS.ProcessEnv = process.env): string {
  return TERMINAL_APPS[env.TERM_PROGRAM ?? ""] ?? "the terminal app you run verbatim in";
}
