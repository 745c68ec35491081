// How a client starts the microphone capture process: this install's own node and CLI, so a client needs no PATH to
// find them (Raycast has none), named through paths that outlive an upgrade of either, as clients may keep it.
import path from "node:path";
import { upgradeProofPath } from "@verbatim/launchd";

/** The capture process's own entry point: the microphone and the daemon connection, without the rest of the CLI. */
export const CAPTURE_ENTRY = path.join(__dirname, "..", "..", "bin", "verbatim-capture.js");

export function captureCommand(): string[] {
  const cli = path.join(__dirname, "..", "..", "bin", "verbatim.js");
  return [upgradeProofPath(process.execPath), upgradeProofPath(cli), "capture"];
}
