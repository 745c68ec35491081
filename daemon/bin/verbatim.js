#!/usr/bin/env node
// The `verbatim` command (compiled from daemon/src/cli by `npm run build`). The Node check comes before anything else
// loads, and this file stays in ES5, so that an old Node says which Node Verbatim needs instead of a stack trace.
var args = process.argv.slice(2);
require("@verbatim/native/scripts/node-floor.cjs").exitIfNodeTooOld(
  "npx verbatim" + (args.length > 0 ? " " + args[0] + (args.length > 1 ? " …" : "") : "")
);
require("../dist/cli/main")
  .main(args)
  .then(function (code) {
    process.exitCode = code;
  });
