// verbatimd's entry point (what the LaunchAgent / systemd unit runs).
import os from "node:os";
import { Daemon } from "./server/daemon";
import { loadConfig } from "./service/config";
import { LOGIN_SERVICE_VARIABLE } from "@verbatim/launchd";
import { AlreadyRunningError } from "./service/instance-lock";
import { boundCapturedOutput, isCapturedToFile } from "./service/captured-output";
import { Logger } from "./service/logger";
import { verbatimPaths } from "./paths";
import { VERSION } from "./version";

export async function runDaemon(): Promise<number> {
  const paths = verbatimPaths();
  // A file capturing stderr (launchd's, or `verbatim daemon start`'s verbatimd.out.log) would only repeat the log.
  const log = new Logger(paths.logDir, isCapturedToFile(2) ? { echo: null } : {});
  boundCapturedOutput(paths.logDir);
  const { config, problems, created } = loadConfig(paths.configFile);
  for (const problem of problems) log.warn(problem);
  // Set by a CLI that starts the daemon for a job naming its own model: that model is loaded first, not made the
  // default (jobs without a model of their own run on the configured one).
  const warmModel = process.env.VERBATIM_MODEL || undefined;
  const daemon = new Daemon({
    paths,
    config,
    configProblems: problems,
    firstRun: created === true,
    warmModel,
    log,
    version: VERSION,
  });
  try {
    await daemon.start();
  } catch (error) {
    if (error instanceof AlreadyRunningError) {
      if (process.env[LOGIN_SERVICE_VARIABLE] !== "1") {
        process.stderr.write(`${error.message}\n`);
        return 3;
      }
      // The login service's copy, beside a daemon started by hand: a clean exit, or launchd and systemd (restart on
      // failure) would start it again every 10 s for as long as the other one runs.
      process.stderr.write(`${error.message}\nThe login service leaves it running and stops here.\n`);
      return 0;
    }
    throw error;
  }
  // A bug in one request must not take the warm model away from every other client.
  process.on("uncaughtException", (error) => log.error("uncaught exception", { error: error.stack ?? String(error) }));
  process.on("unhandledRejection", (reason) => log.error("unhandled rejection", { error: String(reason) }));
  // The first stop signal shuts down in order (within a bound); a second one stops at once, still leaving no socket
  // or pid file behind.
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      if (!daemon.shuttingDown) {
        void daemon.shutdown(`received ${signal}`).then(() => resolve(0));
        return;
      }
      daemon.abandon(`received ${signal} again`);
      resolve(128 + os.constants.signals[signal]);
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
}
