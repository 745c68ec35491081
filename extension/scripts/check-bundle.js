// After `ray build`: each command bundle must be pure JavaScript (no native `.node` addon, nothing from
// @verbatim/native) and must load under plain Node. Raycast provides @raycast/api at run time, so it is the one
// module replaced here, by a stand-in whose every member is another stand-in (Icon.Microphone and the like).
const { readdirSync, readFileSync } = require("node:fs");
const Module = require("node:module");
const path = require("node:path");

// The folder ray build wrote (standalone.sh passes its copy's), else this folder's dist/.
const dist = process.argv[2] ? path.resolve(process.argv[2]) : path.join(__dirname, "..", "dist");
const bundles = readdirSync(dist).filter((name) => name.endsWith(".js"));
if (bundles.length === 0) throw new Error(`no bundles in ${dist}: run ray build first`);

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === "@raycast/api") return "@raycast/api";
  return resolve.call(this, request, ...rest);
};
const standIn = new Proxy(function () {}, { get: (_, key) => (key === "__esModule" ? false : standIn) });
require.cache["@raycast/api"] = { id: "@raycast/api", loaded: true, exports: standIn };

for (const name of bundles) {
  const file = path.join(dist, name);
  const code = readFileSync(file, "utf8");
  const native = code.match(/require\(["'][^"']*(\.node|@verbatim\/native)["']\)/);
  if (native) throw new Error(`${name} requires native code: ${native[0]}`);
  const command = require(file);
  if (typeof command.default !== "function") throw new Error(`${name} does not export a command component`);
  console.log(`${name}: pure JavaScript, loads under node ${process.version}`);
}
