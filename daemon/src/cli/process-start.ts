// When this process started (epoch ms): the keypress, as near as a command knows it (a microphone kept ready sends a
// dictation its audio from then on). Node's performance.timeOrigin is taken once Node itself has loaded: 64-211 ms
// after the spawn on a 2-core Linux machine at load 8, 20-40 ms on a quiet Mac. On Linux the kernel's own start time
// is nearer (13-119 ms after the spawn in the same runs): /proc/self/stat's starttime in clock ticks since boot
// (USER_HZ, 100 on every Linux that Node supports), against /proc/uptime's seconds since boot.
import { readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100;

export function processStartedAt(): number {
  const byNode = Math.round(performance.timeOrigin);
  if (process.platform !== "linux") return byNode;
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    // The fields after the command's name (which may hold spaces) in parentheses; starttime is the 22nd field.
    const startTicks = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
    const uptimeSeconds = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
    const byKernel = Date.now() - (uptimeSeconds - startTicks / TICKS_PER_SECOND) * 1000;
    return Number.isFinite(byKernel) ? Math.min(byNode, Math.round(byKernel)) : byNode;
  } catch {
    return byNode;
  }
}
