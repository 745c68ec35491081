// Where the daemon's memory goes, for `verbatim status`: the model's weight files mapped into memory, the C heap in
// use (the engine's buffers, weights it copied at load, Node's own buffers), V8's JavaScript heap, and the rest of
// the resident set (code, libraries, stacks, freed heap the allocator keeps).
import { readdirSync, readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { nativeHeap, type NativeHeap } from "@verbatim/native";
import type { MemoryBreakdown } from "../protocol";

/**
 * The resident bytes of the mappings of `files` (real paths), from /proc/self/smaps; null where there is none
 * (macOS).
 */
function residentBytesOf(files: Set<string>): number | null {
  let smaps: string;
  try {
    smaps = readFileSync("/proc/self/smaps", "utf8");
  } catch {
    return null;
  }
  let total = 0;
  let counting = false;
  for (const line of smaps.split("\n")) {
    // A mapping's header: "start-end perms offset dev inode path"; its fields follow, one a line ("Rss:  12 kB").
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (header) counting = files.has(header[1]);
    else if (counting && line.startsWith("Rss:")) total += Number(line.split(/\s+/)[1]) * 1024;
  }
  return total;
}

/** The real paths of a model folder's files (a Hugging Face snapshot's are links into its blobs). */
function modelFiles(folder: string): Set<string> {
  const files = new Set<string>();
  try {
    for (const name of readdirSync(folder)) files.add(realpathSync(path.join(folder, name)));
  } catch {
    // a folder gone since it loaded: nothing of it is mapped any more either
  }
  return files;
}

/** The C allocator's figures; null where it has none, or the engine cannot be loaded here. */
function heapFigures(): NativeHeap | null {
  try {
    return nativeHeap();
  } catch {
    return null;
  }
}

/** The breakdown now; `modelFolder`: the loaded model's folder, or null when none is loaded. */
export function memoryBreakdown(rssBytes: number, modelFolder: string | null): MemoryBreakdown {
  const heap = heapFigures();
  const mappedWeightsBytes = modelFolder === null ? 0 : residentBytesOf(modelFiles(modelFolder));
  const jsHeapBytes = process.memoryUsage().heapTotal;
  const known = (mappedWeightsBytes ?? 0) + (heap?.inUseBytes ?? 0) + jsHeapBytes;
  return {
    mappedWeightsBytes,
    nativeHeapBytes: heap?.inUseBytes ?? null,
    jsHeapBytes,
    otherBytes: Math.max(0, rssBytes - known),
  };
}
