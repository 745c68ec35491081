export interface NoSpeechFile {
  name: string;
  file: string;
  seconds: number;
}
export function makeNoSpeechSet(folder: string): NoSpeechFile[];
export function surround(
  speech: string,
  out: string,
  options: { before: number; after: number; noiseDb?: number | null },
): void;
