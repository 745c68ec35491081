// The release's check that every shipped Mach-O binary (the addon of each CPU level, any library beside it) was linked
// for Verbatim's minimum macOS, MINIMUM_MACOS in native/lib/macos.ts: a binary that names a newer one would not load
// where the docs say Verbatim runs, and MLX's metallib is built for the same target. Reads `otool -l` (Xcode's
// command line tools). Usage, after `tsc -b`: node native/scripts/check-macos-minimum.mjs FOLDER
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const { MINIMUM_MACOS, machOMinimumMacos } = require("../dist/macos.js");

const folder = process.argv[2];
if (!folder) {
  console.error("usage: node native/scripts/check-macos-minimum.mjs FOLDER");
  process.exit(64);
}
const binaries = readdirSync(folder).filter((name) => /\.(node|dylib)$/.test(name));
if (binaries.length === 0) {
  console.error(`no .node or .dylib in ${folder}`);
  process.exit(1);
}
let wrong = 0;
for (const name of binaries) {
  const minimum = machOMinimumMacos(execFileSync("otool", ["-l", path.join(folder, name)], { encoding: "utf8" }));
  const fine = minimum === MINIMUM_MACOS;
  if (!fine) wrong++;
  console.log(`${fine ? "ok " : "BAD"} ${name}: macOS ${minimum ?? "(none named)"}, wanted ${MINIMUM_MACOS}`);
}
process.exit(wrong === 0 ? 0 : 1);
