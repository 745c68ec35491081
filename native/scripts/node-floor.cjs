// The Node.js that Verbatim needs (package.json's engines: ^22.16.0 || >=24.0.0; the transcript history's node:sqlite
// with FTS5 arrived in 22.16), checked first by every entry point (the verbatim and verbatimd commands, the capture
// process, the engine's install): on an older Node they say in one line which Node they found, which they need and
// the command that fixes it on this system, instead of failing later with a stack trace. Plain CommonJS in ES5, so
// that the Node it refuses can run it (ESLint holds it to ES5); it loads nothing but fs and path.
"use strict";
var fs = require("fs");
var path = require("path");

var RANGE = "^22.16.0 || >=24.0.0";

/** Whether `version` ("22.16.0", "v24.1.0") meets the floor. */
function meetsNodeFloor(version) {
  var parts = String(version).replace(/^v/, "").split(".");
  var major = Number(parts[0]);
  var minor = Number(parts[1]);
  return major >= 24 || (major === 22 && minor >= 16);
}

/** The repository's `.ci/with-node` when this file is in a checkout (not in an installed package), else null. */
function checkoutWithNode() {
  var script = path.join(__dirname, "..", "..", ".ci", "with-node");
  if (!fs.existsSync(script)) return null;
  // Relative to where the command was typed: npm runs scripts in the package's folder, and says where in INIT_CWD.
  var relative = path.relative(process.env.INIT_CWD || process.cwd(), script);
  return relative.indexOf("..") === 0 ? script : relative;
}

/** The system's /etc/os-release ID and ID_LIKE, lower case ("debian", "ubuntu debian"), or "". */
function linuxFamily() {
  if (!fs.existsSync("/etc/os-release")) return "";
  var ids = fs.readFileSync("/etc/os-release", "utf8").match(/^(ID|ID_LIKE)=.*$/gm) || [];
  return ids
    .join(" ")
    .replace(/ID(_LIKE)?=|"/g, "")
    .toLowerCase();
}

/**
 * What to run for a Node that meets the floor: Homebrew on macOS; in a checkout on Linux, `rerun` under the
 * repository's Node 24 (.ci/with-node); else the distribution's way to a current Node.
 */
function nodeFix(rerun) {
  if (process.platform === "darwin") return "install a current one with Homebrew: brew install node";
  var withNode = checkoutWithNode();
  if (withNode && rerun) return "run it under Node 24 from the npm registry: bash " + withNode + " " + rerun;
  var family = linuxFamily();
  if (/\b(debian|ubuntu)\b/.test(family)) {
    return (
      "install Node.js 24 from NodeSource: curl -fsSL https://deb.nodesource.com/setup_24.x | sudo -E bash - && " +
      "sudo apt-get install -y nodejs"
    );
  }
  if (/\bfedora\b/.test(family)) return "install Node.js 24: sudo dnf install nodejs24";
  if (/\barch\b/.test(family)) return "install the current Node.js: sudo pacman -S nodejs";
  return "install Node.js 24 from https://nodejs.org/en/download";
}

/** The one line an entry point prints on a Node below the floor (`rerun`: the command to run again in a checkout). */
function nodeFloorMessage(rerun) {
  var found = "Node.js " + process.versions.node + " (" + process.execPath + ")";
  return "Verbatim needs Node.js 22.16 or newer (" + RANGE + "); this is " + found + ". To fix, " + nodeFix(rerun);
}

/** Exits (status 1) with that line when this Node is below the floor; returns otherwise. */
function exitIfNodeTooOld(rerun) {
  if (meetsNodeFloor(process.versions.node)) return;
  process.stderr.write("verbatim: " + nodeFloorMessage(rerun) + "\n");
  process.exit(1);
}

module.exports = {
  NODE_RANGE: RANGE,
  meetsNodeFloor: meetsNodeFloor,
  nodeFix: nodeFix,
  nodeFloorMessage: nodeFloorMessage,
  exitIfNodeTooOld: exitIfNodeTooOld,
};
