// How a client starts the microphone capture process: this install's own node and the capture entry point, so a
// client needs no PATH to find them (Raycast has none), named through paths that outlive an upgrade of either, as
// clients may keep it.
import { upgradeProofPath } from "@verbatim/launchd";
import { CAPTURE_ENTRY } from "./capture-entry";

/** The capture process: spawned with `--session ID`, or `--session -` and the session on its standard input. */
export function captureCommand(): string[] {
  return [upgradeProofPath(process.execPath), upgradeProofPath(CAPTURE_ENTRY)];
}
