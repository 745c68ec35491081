// Test inputs shared by the TypeScript suites: random-weight models from the project's generator, the
// reference vocabularies, and real speech.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export const repoRoot = path.join(__dirname, "..", "..");
/** openai/whisper's reference data and real speech (test/fixtures/reference/README.md). */
export const referenceDir = path.join(repoRoot, "test", "fixtures", "reference");
/** A trained fixture model's folder (test/fixtures/models). */
export const fixtureModel = (name = "verbatim-tiny-en") => path.join(repoRoot, "test", "fixtures", "models", name);
const debianPython = "/usr/bin/python3";

/** Writes a random-weight model in the mlx-community layout with test/reference/make_random_model.py. */
export function makeRandomModel(dims: string | Record<string, number>, extraArgs: string[] = []): string {
  const out = mkdtempSync(path.join(os.tmpdir(), "verbatim-model-"));
  const dimsArg = typeof dims === "string" ? dims : JSON.stringify(dims);
  execFileSync(
    debianPython,
    [path.join(repoRoot, "test", "reference", "make_random_model.py"), "--dims", dimsArg, "--out", out, ...extraArgs],
    { stdio: "pipe" },
  );
  return out;
}

/**
 * A one-layer, 64-wide Whisper with the English-only vocabulary: quick to make and to run. Its short text context
 * (64) caps each window at 32 sampled tokens, which keeps random weights from rambling for 224.
 */
export const smallEnglishDims = {
  n_mels: 80,
  n_audio_ctx: 1500,
  n_audio_state: 64,
  n_audio_head: 2,
  n_audio_layer: 1,
  n_vocab: 51864,
  n_text_ctx: 64,
  n_text_state: 64,
  n_text_head: 2,
  n_text_layer: 1,
};

/** Token bytes by id from a .tiktoken rank file (base64 token, rank per line); specials stay empty. */
export function tokenBytesFromTiktoken(file: string, nVocab: number): Uint8Array[] {
  const table = Array.from({ length: nVocab }, () => new Uint8Array(0));
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const [token, rank] = line.split(" ");
    if (token && rank) table[Number(rank)] = new Uint8Array(Buffer.from(token, "base64"));
  }
  return table;
}

export function englishVocabulary(): Uint8Array[] {
  return tokenBytesFromTiktoken(path.join(referenceDir, "gpt2.tiktoken"), 51864);
}

/** 16 kHz mono float samples of a 16-bit PCM WAV with a plain 44-byte header (such as jfk.wav). */
export function readSimpleWav(file: string): Float32Array {
  const bytes = readFileSync(file);
  const pcm = new Int16Array(bytes.buffer, bytes.byteOffset + 44, (bytes.length - 44) / 2);
  return Float32Array.from(pcm, (sample) => sample / 32768);
}

export function jfkSpeech(): Float32Array {
  return readSimpleWav(path.join(referenceDir, "jfk.wav"));
}
