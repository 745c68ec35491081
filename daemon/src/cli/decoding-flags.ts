// The decoding flags `verbatim transcribe` and `verbatim dictate` share: openai's beam search, best-of and fallback
// thresholds (the protocol's options of the same names), and --accuracy, a shorthand for the first two.
import {
  ACCURACY_PRESETS,
  DECODING_OPTION_RULES,
  decodingOptionExpected,
  type Accuracy,
  type DecodingOptionName,
  type TranscriptionOptions,
} from "../protocol";
import { UsageError } from "./exit-codes";

/** Each decoding option's flag. */
const FLAGS: Record<DecodingOptionName, string> = {
  beamSize: "beam-size",
  bestOf: "best-of",
  patience: "patience",
  lengthPenalty: "length-penalty",
  compressionRatioThreshold: "compression-ratio-threshold",
  logprobThreshold: "logprob-threshold",
  noSpeechThreshold: "no-speech-threshold",
};

/** The flags for node:util's parseArgs. */
export const DECODING_FLAG_OPTIONS = {
  accuracy: { type: "string" },
  "beam-size": { type: "string" },
  "best-of": { type: "string" },
  patience: { type: "string" },
  "length-penalty": { type: "string" },
  "compression-ratio-threshold": { type: "string" },
  "logprob-threshold": { type: "string" },
  "no-speech-threshold": { type: "string" },
} as const;

export const DECODING_USAGE = `      --accuracy fast|best   fast: greedy decoding (the default, unless the config says otherwise); best: beam search
                             with 5 beams, and the best of 5 samples at each fallback temperature, as openai's
                             command line does (slower)
      --beam-size N          openai's beam_size: beams searched at temperature 0 (1: greedy); wins over --accuracy
      --best-of N            openai's best_of: samples at each fallback temperature above 0; wins over --accuracy
      --patience P           openai's patience: a beam search ends once N × P candidates have finished (default 1)
      --length-penalty ALPHA|none
                             openai's length_penalty (0 to 1); none: plain length normalization (the default)
      --compression-ratio-threshold X|none
      --logprob-threshold X|none
      --no-speech-threshold X|none
                             openai's fallback and no-speech rules (defaults 2.4, -1, 0.6, or the config's); none
                             switches one off. Negative numbers need "=": --logprob-threshold=-0.5
`;

/** A plain decimal number ("5", "-1", "2.5", ".5"), or null for text that is not one. */
function decimal(text: string): number | null {
  const trimmed = text.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(trimmed)) return null;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : null;
}

/** The decoding options the flags ask for (only those given): --beam-size and --best-of win over --accuracy. */
export function decodingOptionsFromFlags(values: Partial<Record<keyof typeof DECODING_FLAG_OPTIONS, string>>) {
  const options: Pick<TranscriptionOptions, DecodingOptionName> = {};
  if (values.accuracy !== undefined) {
    if (values.accuracy !== "fast" && values.accuracy !== "best")
      throw new UsageError("--accuracy must be fast or best");
    Object.assign(options, ACCURACY_PRESETS[values.accuracy as Accuracy]);
  }
  for (const [name, flag] of Object.entries(FLAGS) as [DecodingOptionName, keyof typeof DECODING_FLAG_OPTIONS][]) {
    const text = values[flag];
    if (text === undefined) continue;
    const rule = DECODING_OPTION_RULES[name];
    const value = decimal(text);
    const off = rule.nullable !== undefined && text.trim() === "none";
    if (!off && (value === null || !rule.valid(value))) {
      throw new UsageError(`--${flag} must be ${decodingOptionExpected(name, "none")}`);
    }
    (options as Record<DecodingOptionName, number | null>)[name] = off ? null : value;
  }
  return options;
}
