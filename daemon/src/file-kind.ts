// What a path that is not a regular file is, in words. Opening or reading a named pipe (or a device) blocks until a
// writer comes, so the daemon reads only regular files and says what it found instead.
import type { Stats } from "node:fs";

/** "a folder", "a named pipe (FIFO)", "a socket" or "a device"; null for a regular file. */
export function irregularKind(stats: Stats): string | null {
  if (stats.isFile()) return null;
  if (stats.isDirectory()) return "a folder";
  if (stats.isFIFO()) return "a named pipe (FIFO)";
  if (stats.isSocket()) return "a socket";
  return "a device";
}
