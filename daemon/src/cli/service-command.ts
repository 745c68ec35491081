// `verbatim daemon install|uninstall|restart`: verbatimd as a login service (LaunchAgent or systemd user unit).
import { existsSync } from "node:fs";
import os from "node:os";
import {
  execRunner,
  serviceEnvironment,
  serviceManagerFor,
  upgradeProofPath,
  type ServiceManager,
} from "@verbatim/launchd";
import type { VerbatimPaths } from "../paths";
import { daemonEntry, startDaemon, stopDaemon } from "../daemon-control";

export function loginService(): ServiceManager {
  return serviceManagerFor({
    platform: process.platform,
    home: os.homedir(),
    uid: os.userInfo().uid,
    env: process.env,
    run: execRunner,
  });
}

/**
 * Installs the login service, or rewrites an older definition (one naming a node or verbatim that an upgrade has
 * since deleted is repaired this way): node and the daemon through paths that outlive upgrades.
 */
export async function installService(paths: VerbatimPaths): Promise<string> {
  const service = loginService();
  const nodePath = upgradeProofPath(process.execPath);
  const spec = {
    nodePath,
    daemonEntry: upgradeProofPath(daemonEntry),
    logDir: paths.logDir,
    environment: serviceEnvironment(nodePath, process.env),
  };
  // A daemon started by hand would hold the socket and make the service's daemon exit at once.
  const stopHandStartedDaemon = async () => {
    if (!existsSync(service.file)) await stopDaemon(paths);
  };
  const outcome = await service.install(spec, stopHandStartedDaemon);
  const what = { installed: "installed", upgraded: "upgraded", unchanged: "already installed" }[outcome];
  return `verbatimd ${what} as a login service (${service.file}); it starts at login and after a crash\n`;
}

export async function uninstallService(): Promise<string> {
  const service = loginService();
  switch (await service.uninstall()) {
    case "removed":
      return `verbatimd login service removed (${service.file})\n`;
    case "not-installed":
      return "verbatimd was not installed as a login service\n";
    case "unmanaged":
      return (
        `verbatimd login service removed (${service.file}), but the service manager could not be reached to ` +
        `stop a verbatimd it started: if one is running, stop it with \`verbatim daemon stop\`\n`
      );
  }
}

/** Restarts the login service, or a daemon started by hand when none is installed. */
export async function restartService(paths: VerbatimPaths): Promise<string> {
  const service = loginService();
  if (existsSync(service.file)) {
    await service.restart();
    return "verbatimd restarted\n";
  }
  await stopDaemon(paths);
  (await startDaemon(paths)).close();
  return `verbatimd restarted (socket ${paths.socket})\n`;
}
