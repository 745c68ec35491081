// Copied from daemon/src/models/packing.ts by `npm run sync:extension` (extension/scripts/daemon-copy.mjs): edit the original.
/**
 * Packings the engine applies when it loads a model stored in 16 or 32 bits (MLX's affine 8 or 4 bits in groups of 64:
 * its `quantize` load option): Parakeet's and Nemotron's catalog names end in one, `parakeet-v3-8bit`,
 * `nemotron-3.5-4bit`, for the same repository packed when loaded. Whisper's packings are repositories of their own.
 */
export const PACKINGS = ["8bit", "4bit"] as const;
export type Packing = (typeof PACKINGS)[number];

/** Bits a packed weight takes in memory: its own, and a 16-bit scale and bias shared by 64 weights. */
const PACKED_BITS: Record<Packing, number> = { "8bit": 8.5, "4bit": 4.5 };

/** About how many bytes weights that take `sixteenBitBytes` in 16 bits hold once packed. */
export function packedBytes(sixteenBitBytes: number, packing: Packing): number {
  return (sixteenBitBytes * PACKED_BITS[packing]) / 16;
}

/** A name and the packing it ends in (`-8bit`, `-4bit`, any case), or none. */
export function splitPacking(name: string): { base: string; packing?: Packing } {
  const wanted = name.trim().toLowerCase();
  const match = /^(.+?)-(8bit|4bit)$/.exec(wanted);
  return match ? { base: match[1], packing: match[2] as Packing } : { base: wanted };
}
