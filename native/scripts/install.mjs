// `npm install` entry point: this platform's prebuilt engine when one loads here (tested in a child process), else a
// build from source (build.mjs, which first names any build tool that is missing). VERBATIM_BUILD_FROM_SOURCE=1
// builds from source regardless (a build tuned for this very CPU).
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
// First, alone: on a Node that is too old, the one line that says what to do is all npm shows at its end.
require("./node-floor.cjs").exitIfNodeTooOld("npm install");

function loadablePrebuilt() {
  if (process.env.VERBATIM_BUILD_FROM_SOURCE) return null;
  let prebuilt;
  try {
    prebuilt = require("../dist/prebuilt.js");
  } catch {
    return null; // a checkout before its TypeScript is compiled: no platform package to look in
  }
  const found = prebuilt.findPrebuilt();
  if (!found.found) {
    console.log(`verbatim: ${found.reason}; building the engine from source`);
    return null;
  }
  const probe = prebuilt.probeAddon(found.file);
  if (probe.ok) return found;
  console.log(`verbatim: the prebuilt engine ${found.file} does not load here (${probe.reason}); building from source`);
  return null;
}

const prebuilt = loadablePrebuilt();
if (prebuilt) console.log(`verbatim: using the prebuilt engine ${prebuilt.packageName} (${prebuilt.variant})`);
else await import("./build.mjs");
