#!/usr/bin/env node
// The `verbatim` command (compiled from daemon/src/cli by `npm run build`).
require("../dist/cli/main")
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
