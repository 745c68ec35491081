// verbatimd's entry point (what the LaunchAgent / systemd unit runs).
import { Daemon } from "./service/daemon";
import { loadConfig } from "./service/config";
import { AlreadyRunningError } from "./service/instance-lock";
import { Logger } from "./service/logger";
import { verbatimPaths } from "./paths";
import { VERSION } from "./version";

export async function runDaemon(): Promise<number> {
  const paths = verbatimPaths();
  const log = new Logger(paths.logDir);
  const { config, problems } = loadConfig(paths.configFile);
  for (const problem of problems) log.warn(problem);
  if (process.env.VERBATIM_MODEL) config.model = process.env.VERBATIM_MODEL; // set by a CLI that starts the daemon

  const daemon = new Daemon({ paths, config, log, version: VERSION });
  try {
    await daemon.start();
  } catch (error) {
    if (error instanceof AlreadyRunningError) {
      process.stderr.write(`${error.message}\n`);
      return 3;
    }
    throw error;
  }
  // A bug in one request must not take the warm model away from every other client.
  process.on("uncaughtException", (error) => log.error("uncaught exception", { error: error.stack ?? String(error) }));
  process.on("unhandledRejection", (reason) => log.error("unhandled rejection", { error: String(reason) }));
  return new Promise((resolve) => {
    const stop = (signal: string) => daemon.shutdown(`received ${signal}`).then(() => resolve(0));
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
}
