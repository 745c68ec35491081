// Copied from daemon/src/capture/system-tap-support.ts by `npm run sync:extension` (extension/scripts/daemon-copy.mjs): edit the original.
// Whether this machine can record the system's audio through a Core Audio process tap (system-audio-tap.ts): a Mac
// with macOS 14.2 or later. Raycast asks the same before it starts a meeting.
import os from "node:os";

/** Darwin's release with the first macOS that has Core Audio taps (14.2). */
const FIRST_TAP_DARWIN = [23, 2];

/** Why this machine cannot tap the system's audio, or null when it can. */
export function systemTapProblem(platform: string = process.platform, release: string = os.release()): string | null {
  if (platform !== "darwin") {
    return "the Core Audio tap records a Mac's system audio; elsewhere name the input that carries it (a monitor source)";
  }
  const [major = 0, minor = 0] = release.split(".").map(Number);
  if (major > FIRST_TAP_DARWIN[0] || (major === FIRST_TAP_DARWIN[0] && minor >= FIRST_TAP_DARWIN[1])) return null;
  return (
    "recording the system's audio without a loopback device needs macOS 14.2 or later; on this Mac route the call " +
    "through a loopback device (BlackHole or Loopback) and name it as the system's audio device"
  );
}
