#!/usr/bin/env node
// The capture process (`verbatim capture` without the rest of the CLI): what clients spawn to record the microphone
// into a dictation. It prints the sound libraries' own messages (ALSA's "ALSA lib …") as they come; its callers keep
// only Verbatim's lines (capture-output.ts). The Node check comes first, and this file stays in ES5.
var args = process.argv.slice(2);
require("@verbatim/native/scripts/node-floor.cjs").exitIfNodeTooOld("npx verbatim capture …");
require("../dist/cli/capture-command")
  .captureProcessMain(args)
  .then(function (code) {
    process.exitCode = code;
  });
