// `ray build -e dist` (the extension's `npm run build`) type-checks with ./node_modules/.bin/tsc and nothing else:
// it stops with "please install the TypeScript compiler" when that file is missing. In this repository's workspace npm
// hoists the extension's TypeScript to the root's node_modules, so this links the extension's .bin/tsc to it. The
// repository's `npm install` runs it (the root's postinstall); the extension alone (a Store pull request's folder)
// installs TypeScript in its own node_modules and never needs it.
//   node extension/scripts/link-typescript.mjs
import { existsSync, mkdirSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const extension = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = path.join(extension, "node_modules", ".bin");
const link = path.join(bin, "tsc");

let typescript;
try {
  typescript = path.dirname(createRequire(path.join(extension, "package.json")).resolve("typescript/package.json"));
} catch {
  throw new Error(`TypeScript is not installed where ${extension} finds it: run npm install at the repository's root`);
}
const target = path.relative(bin, path.join(typescript, "bin", "tsc"));

// npm links .bin/tsc itself where it installed TypeScript inside the extension; otherwise link it once.
const inside = !path.relative(path.join(extension, "node_modules"), typescript).startsWith("..");
if (!inside && !(existsSync(link) && readlinkSync(link) === target)) {
  mkdirSync(bin, { recursive: true });
  rmSync(link, { force: true });
  symlinkSync(target, link);
  console.log(`linked extension/node_modules/.bin/tsc to ${path.join(bin, target)} for ray build`);
}
