// Builds and runs the C++ engine tests (doctest) in their own CMake build tree.
import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { checkPrerequisites } from "./prerequisites.mjs";

const nativeDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const buildDir = path.join(nativeDir, "build-tests");
const run = (cmd, args) => execFileSync(cmd, args, { cwd: nativeDir, stdio: "inherit" });

checkPrerequisites();
run("cmake", ["-S", ".", "-B", buildDir, "-DVERBATIM_TESTS=ON", "-DCMAKE_BUILD_TYPE=Release"]);
run("cmake", ["--build", buildDir, "--parallel", String(os.availableParallelism())]);
run(path.join(buildDir, "engine_tests"), process.argv.slice(2));
