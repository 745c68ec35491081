#!/usr/bin/env node
// The daemon's entry point for launchd / systemd (compiled from daemon/src by `npm run build`).
require("../dist/verbatimd")
  .runDaemon()
  .then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`verbatimd could not start: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
