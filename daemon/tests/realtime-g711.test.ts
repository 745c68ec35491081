// G.711 input of Realtime sessions (api/realtime/g711.ts): every μ-law and A-law byte expands to the sample sox gives it.
import { execFileSync } from "node:child_process";
import { decodeG711 } from "../src/api/realtime/g711";

const allBytes = Uint8Array.from({ length: 256 }, (_, byte) => byte);

function soxDecodes(encoding: "mu-law" | "a-law"): Int16Array {
  const out = execFileSync(
    "sox",
    [
      "-t",
      "raw",
      "-r",
      "8000",
      "-e",
      encoding,
      "-b",
      "8",
      "-c",
      "1",
      "-",
      "-t",
      "raw",
      "-e",
      "signed",
      "-b",
      "16",
      "-",
    ],
    { input: allBytes },
  );
  return new Int16Array(out.buffer, out.byteOffset, out.length / 2);
}

test.each([
  ["pcmu", "mu-law"],
  ["pcma", "a-law"],
] as const)("%s: all 256 bytes decode as sox's %s does", (law, encoding) => {
  expect(Array.from(decodeG711(allBytes, law))).toEqual(Array.from(soxDecodes(encoding)));
});
