// Copies of model folders with some tensors' values changed in place (the safetensors layout: an 8-byte header
// length, a JSON header naming each tensor's dtype, shape and byte range, then the data), for tests of damaged or
// degenerate weights: NaN, infinities, all zeros, the largest value.
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export interface TensorInfo {
  name: string;
  dtype: string;
  shape: number[];
}

interface Entry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** What to store in a tensor: null keeps it; else its new bytes, the same length (`values` fills them). */
export type TensorEdit = (tensor: TensorInfo, bytes: Buffer) => Buffer | null;

/** A copy of `folder` in a new temporary folder, its `file` (a .safetensors) with `edit` applied to every tensor. */
export function editedModel(folder: string, file: string, edit: TensorEdit): string {
  const out = mkdtempSync(path.join(os.tmpdir(), "verbatim-edited-model-"));
  for (const name of readdirSync(folder)) {
    if (name !== file) copyFileSync(path.join(folder, name), path.join(out, name));
  }
  const bytes = readFileSync(path.join(folder, file));
  const headerBytes = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerBytes).toString("utf8")) as Record<string, Entry>;
  const dataStart = 8 + headerBytes;
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const [from, to] = entry.data_offsets;
    const data = bytes.subarray(dataStart + from, dataStart + to);
    const changed = edit({ name, dtype: entry.dtype, shape: entry.shape }, Buffer.from(data));
    if (changed === null) continue;
    if (changed.length !== data.length) throw new Error(`the edit of ${name} changed its size`);
    changed.copy(data);
  }
  writeFileSync(path.join(out, file), bytes);
  return out;
}

/** Bytes of `count` values of a float dtype (F32, F16, BF16), each `value` (NaN, ±Infinity, 0, the dtype's largest). */
export function filled(dtype: string, count: number, value: number | "largest"): Buffer {
  const size = dtype === "F32" ? 4 : 2;
  const out = Buffer.alloc(count * size);
  for (let i = 0; i < count; i++) {
    if (dtype === "F32") out.writeFloatLE(value === "largest" ? 3.4028234663852886e38 : value, i * 4);
    else out.writeUInt16LE(sixteenBits(dtype, value), i * 2);
  }
  return out;
}

/** An F16 or BF16 value's bits: NaN, the infinities, 0 or the largest finite value. */
function sixteenBits(dtype: string, value: number | "largest"): number {
  const f16 = dtype === "F16";
  if (dtype !== "F16" && dtype !== "BF16") throw new Error(`${dtype} is not a float dtype`);
  if (value === "largest") return f16 ? 0x7bff : 0x7f7f;
  if (Number.isNaN(value)) return f16 ? 0x7e00 : 0x7fc0;
  if (value === Infinity) return f16 ? 0x7c00 : 0x7f80;
  if (value === -Infinity) return f16 ? 0xfc00 : 0xff80;
  if (value === 0) return 0;
  throw new Error(`only NaN, the infinities, 0 and "largest" are written, not ${value}`);
}

/** Whether a tensor holds float values (not packed weights or integer indices). */
export const isFloat = (tensor: TensorInfo) => ["F32", "F16", "BF16"].includes(tensor.dtype);

/** A tensor's element count. */
export const elements = (tensor: TensorInfo) => tensor.shape.reduce((n, d) => n * d, 1);
