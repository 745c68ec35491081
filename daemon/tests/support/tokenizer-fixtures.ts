// openai's .tiktoken rank files (base64 token, rank per line), read independently of the product's parser.
import { readFileSync } from "node:fs";

/** Token bytes by rank from a .tiktoken file. */
export function readTiktokenFile(file: string): Buffer[] {
  const ranks: Buffer[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line) continue;
    const [base64, rank] = line.split(" ");
    ranks[Number(rank)] = Buffer.from(base64, "base64");
  }
  return ranks;
}
