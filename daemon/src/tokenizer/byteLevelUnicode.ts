// GPT-2's byte-level BPE stores each byte as a printable character (bytes_to_unicode in openai/gpt-2's
// encoder.py): printable Latin-1 bytes stand for themselves, the other 68 bytes map to U+0100 onwards.

function printableBytes(): number[] {
  const ranges: Array<[number, number]> = [
    [0x21, 0x7e],
    [0xa1, 0xac],
    [0xae, 0xff],
  ];
  return ranges.flatMap(([first, last]) => Array.from({ length: last - first + 1 }, (_, i) => first + i));
}

function buildUnicodeToByte(): Map<string, number> {
  const printable = printableBytes();
  const printableSet = new Set(printable);
  const map = new Map<string, number>(printable.map((byte) => [String.fromCodePoint(byte), byte]));
  let next = 0;
  for (let byte = 0; byte < 256; byte++) {
    if (!printableSet.has(byte)) map.set(String.fromCodePoint(256 + next++), byte);
  }
  return map;
}

const UNICODE_TO_BYTE = buildUnicodeToByte();

/** The bytes a byte-level BPE token string stands for, or undefined if it holds a character outside the mapping. */
export function byteLevelTokenBytes(token: string): Uint8Array | undefined {
  const bytes = new Uint8Array(token.length);
  let length = 0;
  for (const character of token) {
    const byte = UNICODE_TO_BYTE.get(character);
    if (byte === undefined) return undefined;
    bytes[length++] = byte;
  }
  return bytes.subarray(0, length);
}
