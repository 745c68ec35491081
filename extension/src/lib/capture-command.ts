// Before the extension spawns the capture process the daemon's status names, it checks that the command is the
// daemon's own: its Node binary and the `verbatim` CLI of the Verbatim package, asked to `capture`, nothing else.
// A socket that some other program answers cannot make Raycast run an arbitrary command.
import { accessSync, constants, readFileSync, statSync } from "node:fs";
import path from "node:path";

/** The names Verbatim's package has: as published (not "verbatim", another package on npm), and as a workspace. */
const PACKAGE_NAMES = new Set(["verbatim-dictation", "@verbatim/daemon"]);
const CLI = path.join("bin", "verbatim.js");

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Whether `script` is the `verbatim` bin of a package named as Verbatim's (its package.json two folders up). */
function isVerbatimCli(script: string): boolean {
  if (!script.endsWith(path.sep + CLI)) return false;
  try {
    if (!statSync(script).isFile()) return false;
    const folder = path.dirname(path.dirname(script));
    const manifest = JSON.parse(readFileSync(path.join(folder, "package.json"), "utf8")) as {
      name?: unknown;
      bin?: Record<string, unknown>;
    };
    const bin = manifest.bin?.verbatim;
    return (
      typeof manifest.name === "string" &&
      PACKAGE_NAMES.has(manifest.name) &&
      typeof bin === "string" &&
      path.normalize(bin) === CLI
    );
  } catch {
    return false;
  }
}

/**
 * Why `command` (status.capture.command) is not Verbatim's own capture command, or null when it is: an absolute Node
 * binary, the absolute path of Verbatim's `bin/verbatim.js`, then `capture`.
 */
export function captureCommandProblem(command: readonly string[]): string | null {
  const fix =
    "reinstall Verbatim (npm install -g verbatim-dictation) and restart the daemon, or check the Socket Path preference";
  const [node, script, subcommand, ...rest] = command;
  const shown = command.join(" ") || "nothing";
  if (!node || !script || subcommand !== "capture" || rest.length > 0) {
    return `the daemon named "${shown}" as its capture command, which is not Verbatim's (node, verbatim.js, capture): ${fix}`;
  }
  if (!path.isAbsolute(node) || !/^node(\.exe)?$/.test(path.basename(node)) || !isExecutableFile(node)) {
    return `the daemon named ${node} to run its capture command, which is not an executable Node binary: ${fix}`;
  }
  if (!path.isAbsolute(script) || !isVerbatimCli(script)) {
    return `the daemon named ${script} as its capture command, which is not the verbatim command of Verbatim's package: ${fix}`;
  }
  return null;
}
