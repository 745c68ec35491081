// `npm install` entry point: checks prerequisites, then builds the addon with cmake-js.
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { checkPrerequisites } from "./prerequisites.mjs";

const nativeDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const cmakeJs = createRequire(import.meta.url).resolve("cmake-js/bin/cmake-js");

checkPrerequisites();
const jobs = String(Math.max(1, os.availableParallelism()));
execFileSync(process.execPath, [cmakeJs, "compile", "--parallel", jobs, ...process.argv.slice(2)], {
  cwd: nativeDir,
  stdio: "inherit",
});
