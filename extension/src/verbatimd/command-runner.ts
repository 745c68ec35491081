// Copied from launchd/src/command-runner.ts by `npm run sync:extension` (extension/scripts/daemon-copy.mjs): edit the original.
// Runs the service manager's command-line tools; injected so tests can check the exact invocations.
import { execFile } from "node:child_process";

export interface CommandOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

export type CommandRunner = (file: string, args: string[]) => Promise<CommandOutcome>;

/** Runs a program by absolute path, without a shell, and reports how it exited (never throws for an exit code). */
export const execRunner: CommandRunner = (file, args) =>
  new Promise((resolve, reject) => {
    execFile(file, args, { encoding: "utf8" }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") {
        reject(new Error(`could not run ${file}: ${error.message}`));
        return;
      }
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });

/** A command that had to succeed did not. */
export class ServiceCommandError extends Error {
  constructor(file: string, args: string[], outcome: CommandOutcome) {
    const detail = (outcome.stderr || outcome.stdout).trim();
    super(`${[file, ...args].join(" ")} failed (exit ${outcome.code})${detail ? `: ${detail}` : ""}`);
    this.name = "ServiceCommandError";
  }
}

/** Runs a command and throws ServiceCommandError unless it exits 0. */
export async function runChecked(run: CommandRunner, file: string, args: string[]): Promise<CommandOutcome> {
  const outcome = await run(file, args);
  if (outcome.code !== 0) throw new ServiceCommandError(file, args, outcome);
  return outcome;
}
