/**
 * A cheap check that a cached weights file is whole, without hashing it: a safetensors file declares its own
 * length (an 8-byte header size, a JSON header, then the tensors up to the largest end offset it lists), so a
 * truncated or overlong blob shows without reading the tensors.
 */
import { open } from "node:fs/promises";

/** Why the weights file is not whole, or undefined when it looks whole (or its format declares no length). */
export async function weightsLengthProblem(path: string): Promise<string | undefined> {
  if (!path.endsWith(".safetensors")) return undefined;
  const file = await open(path, "r");
  try {
    const { size } = await file.stat();
    if (size < 8) return `${size} bytes, shorter than a safetensors header`;
    const lengthField = Buffer.alloc(8);
    await file.read(lengthField, 0, 8, 0);
    const headerLength = lengthField.readBigUInt64LE(0);
    if (headerLength > BigInt(size - 8)) return `its header claims ${headerLength} bytes of ${size - 8} left`;
    const header = Buffer.alloc(Number(headerLength));
    await file.read(header, 0, header.length, 8);
    const dataEnd = largestDataOffset(header);
    if (dataEnd === undefined) return "its header is not a safetensors header";
    const declared = 8 + header.length + dataEnd;
    return declared === size ? undefined : `${size} bytes where its header declares ${declared}`;
  } finally {
    await file.close();
  }
}

function largestDataOffset(header: Buffer): number | undefined {
  let tensors: unknown;
  try {
    tensors = JSON.parse(header.toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof tensors !== "object" || tensors === null) return undefined;
  let end = 0;
  for (const [name, tensor] of Object.entries(tensors)) {
    if (name === "__metadata__") continue;
    const offsets = (tensor as { data_offsets?: unknown } | null)?.data_offsets;
    if (!Array.isArray(offsets) || typeof offsets[1] !== "number") return undefined;
    end = Math.max(end, offsets[1]);
  }
  return end;
}
