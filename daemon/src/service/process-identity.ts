// Telling one process from every other, however its pid is reused: its start time and its exact command line
// (executable and arguments), as the system reports them. Two reads of the same live process give the same text;
// another process that got the pid since, or a program whose arguments merely mention verbatimd, gives another.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** The process's identity, or null when it is gone or cannot be read. */
export function processIdentity(pid: number): string | null {
  try {
    if (process.platform === "linux") {
      // Field 22 of stat is the start time in clock ticks since boot; the name before it may hold spaces and ")".
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const startTime = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
      const commandLine = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      return startTime && commandLine ? `${startTime} ${JSON.stringify(commandLine.split("\0"))}` : null;
    }
    const described = execFileSync("ps", ["-o", "lstart=", "-o", "args=", "-p", String(pid)], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    return described || null;
  } catch {
    return null;
  }
}
