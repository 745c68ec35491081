#!/usr/bin/env node
// The daemon's entry point for launchd / systemd (compiled from daemon/src by `npm run build`). The Node check comes
// first, and this file stays in ES5, so that an old Node says which Node Verbatim needs instead of a stack trace.
require("@verbatim/native/scripts/node-floor.cjs").exitIfNodeTooOld("npx verbatimd");
require("../dist/service/shared-malloc-arenas").shareMallocArenas();
require("../dist/verbatimd")
  .runDaemon()
  .then(
    function (code) {
      process.exit(code);
    },
    function (error) {
      process.stderr.write(
        "verbatimd could not start: " + (error instanceof Error ? error.message : String(error)) + "\n"
      );
      process.exit(1);
    }
  );
