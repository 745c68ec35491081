// Before the extension spawns the capture process the daemon's status names, it checks that the command is the
// daemon's own: its Node binary and the capture entry point of the Verbatim package (`bin/verbatim-capture.js`; a
// daemon before it names the `verbatim` CLI asked to `capture`), nothing else. A socket that some other program
// answers cannot make Raycast run an arbitrary command.
import { accessSync, constants, readFileSync, statSync } from "node:fs";
import path from "node:path";

/** The names Verbatim's package has: as published (not "verbatim", another package on npm), and as a workspace. */
const PACKAGE_NAMES = new Set(["verbatim-dictation", "@verbatim/daemon"]);
const CLI = path.join("bin", "verbatim.js");
const CAPTURE_ENTRY = path.join("bin", "verbatim-capture.js");

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Whether `script` is `file` (the `verbatim` bin or the capture entry point beside it) of a package named as
 * Verbatim's whose `verbatim` bin is bin/verbatim.js (its package.json two folders up).
 */
function isVerbatimScript(script: string, file: string): boolean {
  if (!script.endsWith(path.sep + file)) return false;
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
 * Whether `command` (status.capture.command) is the capture entry point, which opens the microphone before its session
 * exists and takes the session on its standard input; a daemon before it names `verbatim capture`, which must be
 * started once the session exists.
 */
export function opensBeforeTheSession(command: readonly string[]): boolean {
  return command.length === 2 && path.basename(command[1]) === path.basename(CAPTURE_ENTRY);
}

/**
 * Why `command` (status.capture.command) is not Verbatim's own capture command, or null when it is: an absolute Node
 * binary, then the absolute path of Verbatim's `bin/verbatim-capture.js` (or of `bin/verbatim.js`, then `capture`).
 */
export function captureCommandProblem(command: readonly string[]): string | null {
  const fix =
    "reinstall Verbatim (npm install -g verbatim-dictation) and restart the daemon, or check the Socket Path preference";
  const [node, script, ...rest] = command;
  const shown = command.join(" ") || "nothing";
  const entry = opensBeforeTheSession(command);
  if (!node || !script || !(entry || (rest.length === 1 && rest[0] === "capture"))) {
    return `the daemon named "${shown}" as its capture command, which is not Verbatim's (node, verbatim-capture.js): ${fix}`;
  }
  if (!path.isAbsolute(node) || !/^node(\.exe)?$/.test(path.basename(node)) || !isExecutableFile(node)) {
    return `the daemon named ${node} to run its capture command, which is not an executable Node binary: ${fix}`;
  }
  if (!path.isAbsolute(script) || !isVerbatimScript(script, entry ? CAPTURE_ENTRY : CLI)) {
    return `the daemon named ${script} as its capture command, which is not the capture command of Verbatim's package: ${fix}`;
  }
  return null;
}
