// Reference vocabularies for tokenizer tests: openai's .tiktoken rank files, and a Hugging Face style vocab.json
// made from them with GPT-2's bytes_to_unicode (written here independently of the product's inverse).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sharedReference } from "../../../test/support/fixtures";

export const REFERENCE_DIR = sharedReference;

/** Token bytes by rank from a .tiktoken file. */
export function readTiktokenFile(name: string): Buffer[] {
  const ranks: Buffer[] = [];
  for (const line of readFileSync(join(REFERENCE_DIR, name), "utf8").split("\n")) {
    if (!line) continue;
    const [base64, rank] = line.split(" ");
    ranks[Number(rank)] = Buffer.from(base64, "base64");
  }
  return ranks;
}

/** openai/gpt-2 encoder.py bytes_to_unicode: byte → printable character. */
function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = "!".charCodeAt(0); b <= "~".charCodeAt(0); b++) bs.push(b);
  for (let b = "¡".charCodeAt(0); b <= "¬".charCodeAt(0); b++) bs.push(b);
  for (let b = "®".charCodeAt(0); b <= "ÿ".charCodeAt(0); b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const table: string[] = [];
  bs.forEach((b, i) => (table[b] = String.fromCharCode(cs[i])));
  return table;
}

/** vocab.json text as openai/whisper-* repositories hold it: byte-level token → id, plus special tokens. */
export function vocabJsonFrom(ranks: Buffer[], specials: Record<string, number>): string {
  const table = bytesToUnicode();
  const vocab: Record<string, number> = {};
  ranks.forEach((bytes, rank) => (vocab[Array.from(bytes, (b) => table[b]).join("")] = rank));
  return JSON.stringify({ ...vocab, ...specials });
}
