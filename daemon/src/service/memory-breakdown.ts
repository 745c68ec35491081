// Where the daemon's memory goes, for `verbatim status`: the model's weight files mapped into memory, the C heap in
// use (the engine's buffers, weights it copied at load, Node's own buffers), V8's JavaScript heap, and the rest of
// the resident set (code, libraries, stacks, freed heap the allocator keeps).
import { engineMemory, type EngineMemory } from "@verbatim/native";
import type { MemoryBreakdown } from "../protocol";

/** The engine's figures; null before the engine was used, or where it cannot be loaded here. */
function engineFigures(): EngineMemory | null {
  try {
    return engineMemory();
  } catch {
    return null;
  }
}

/** The breakdown of `rssBytes`, the daemon's RSS now. */
export function memoryBreakdown(rssBytes: number): MemoryBreakdown {
  const engine = engineFigures();
  const mappedWeightsBytes = engine?.mappedFilesBytes ?? null;
  const nativeHeapBytes = engine?.heapInUseBytes ?? null;
  const jsHeapBytes = process.memoryUsage().heapTotal;
  return {
    mappedWeightsBytes,
    nativeHeapBytes,
    jsHeapBytes,
    otherBytes: Math.max(0, rssBytes - (mappedWeightsBytes ?? 0) - (nativeHeapBytes ?? 0) - jsHeapBytes),
  };
}
