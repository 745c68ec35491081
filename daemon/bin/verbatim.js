#!/usr/bin/env node
// The `verbatim` command (compiled from daemon/src/cli by `npm run build`). The Node check comes before anything else
// loads, and this file stays in ES5, so that an old Node says which Node Verbatim needs instead of a stack trace.
// `verbatim dictate` then opens the microphone before the CLI loads, so that a sentence begun at the keypress is
// recorded from its first word (capture/microphone-first.ts).
var args = process.argv.slice(2);
require("@verbatim/native/scripts/node-floor.cjs").exitIfNodeTooOld(
  "npx verbatim" + (args.length > 0 ? " " + args[0] + (args.length > 1 ? " …" : "") : "")
);
if (args[0] === "dictate") require("../dist/capture/microphone-first").openMicrophoneFirst(args.slice(1));
require("../dist/cli/main")
  .main(args)
  .then(function (code) {
    process.exitCode = code;
  });
