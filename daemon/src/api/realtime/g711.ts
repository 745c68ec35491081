// G.711 (ITU-T, 8 kHz telephone audio), which Realtime clients may send as audio/pcmu (μ-law) or audio/pcma (A-law):
// one byte per sample, expanded to 16-bit samples as the standard's tables give them.

function muLaw(byte: number): number {
  const u = ~byte & 0xff;
  const magnitude = ((((u & 0x0f) << 3) + 0x84) << ((u >> 4) & 7)) - 0x84;
  return u & 0x80 ? -magnitude : magnitude;
}

function aLaw(byte: number): number {
  const a = byte ^ 0x55;
  const exponent = (a >> 4) & 7;
  const mantissa = (a & 0x0f) << 4;
  const magnitude = exponent === 0 ? mantissa + 8 : (mantissa + 0x108) << (exponent - 1);
  return a & 0x80 ? magnitude : -magnitude;
}

const tables = {
  pcmu: Int16Array.from({ length: 256 }, (_, byte) => muLaw(byte)),
  pcma: Int16Array.from({ length: 256 }, (_, byte) => aLaw(byte)),
};

/** The 16-bit samples of G.711 bytes, μ-law (pcmu) or A-law (pcma). */
export function decodeG711(bytes: Uint8Array, law: "pcmu" | "pcma"): Int16Array {
  const table = tables[law];
  return Int16Array.from(bytes, (byte) => table[byte]);
}
