// Where the capture process's own entry point is: the microphone and the daemon connection, without the rest of the
// CLI (see cli/capture-command.ts).
import path from "node:path";

export const CAPTURE_ENTRY = path.join(__dirname, "..", "..", "bin", "verbatim-capture.js");
