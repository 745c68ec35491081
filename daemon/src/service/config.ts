// The daemon's settings: config.json in the config folder, created with the defaults on first start so it
// can be edited. Unknown keys are kept (a newer version's settings survive) and reported, with the setting meant
// where one is close; invalid values are reported and replaced by the default.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { BACKENDS, type Backend } from "@verbatim/native";
import { closest, distance } from "fastest-levenshtein";
import {
  API_SETTINGS_EXPECTED,
  apiSettingsOf,
  DEFAULT_API_SETTINGS,
  validApiSettings,
  type ApiSettings,
} from "./api-settings";
import type { DecodingDefaults } from "../families";
import type { KeptRecordings } from "../history/history-store";
import { BUILT_IN_MODES, readModes } from "../modes/modes";
import { DEFAULT_MODEL } from "../models";
import { DEFAULT_SPEAKER_MODEL } from "../models/speaker-catalog";
import {
  ACCURACY_PRESETS,
  decodingOptionExpected,
  MAX_AUTO_STOP_SECONDS,
  MAX_KEEP_MICROPHONE_READY_MINUTES,
  validDecodingOption,
  type Accuracy,
  type DecodingOptionName,
  type DictationMode,
} from "../protocol";
import { EMPTY_VOCABULARY, readVocabulary, type Vocabulary } from "../vocabulary/vocabulary";
import { ConfigReadError, readConfigTextSync } from "../config-file/config-file-read";

/** Dictation recordings kept after their text was delivered: none, those whose recognition failed, or all. */
export type KeepRecordings = "never" | "failed" | "always";

export interface DaemonConfig {
  /** Model id, alias or local folder loaded at start. */
  model: string;
  /** The speaker model jobs with speakers use (speaker-catalog.ts name, hub repo id or local folder), loaded on demand. */
  speakerModel: string;
  /** "auto": MLX on the GPU when built in and available, else the portable CPU backend. */
  backend: Backend;
  /** Engine threads; 0: one per core. */
  threads: number;
  /** Unload the model after this many idle minutes (0: keep it warm). */
  idleUnloadMinutes: number;
  /** How long a request waits for the model to become ready. */
  readyTimeoutSeconds: number;
  /** Finished transcripts kept for clients that reconnect. */
  keepResults: number;
  /** MLX only: freed memory MLX keeps for reuse, and memory kept resident on the GPU (macOS 15+); null: MLX's default. */
  mlxCacheLimitMB: number | null;
  mlxWiredLimitMB: number | null;
  /** The microphone `verbatim capture` records (a name, part of one, or an index); null: the system's default input. */
  inputDevice: string | null;
  /** A live dictation stops by itself after this many seconds. */
  maxDictationSeconds: number;
  /** Non-speech after speech that ends an utterance in a live dictation (its final pass runs then); 0: only stop. */
  utteranceSilenceSeconds: number;
  /** After speech, this long without speech stops a dictation as if the user had (0: never); a client may ask otherwise. */
  autoStopSeconds: number;
  /**
   * A natively streaming model's chunk (Nemotron): live text comes a chunk at a time, the chunk's last frames looked
   * ahead: 80, 160, 560 or 1120 ms (its right contexts 0, 1, 6, 13).
   */
  streamingChunkMs: number;
  /** File jobs transcribe only the speech the voice activity detector finds, unless a job asks otherwise. */
  fileVad: boolean;
  /**
   * Decoding for file jobs and dictations' final text (live dictation text is always greedy), unless a request says:
   * "fast" is greedy (beamSize 1, bestOf 1), "best" openai's command line's beam search (beamSize 5, bestOf 5).
   */
  accuracy: Accuracy;
  /** openai's beam_size and best_of; null: as `accuracy` says. */
  beamSize: number | null;
  bestOf: number | null;
  /** openai's patience and length_penalty (null: plain length normalisation), for beam search. */
  patience: number;
  lengthPenalty: number | null;
  /** openai's temperature fallback and no-speech rules (null switches a rule off). */
  compressionRatioThreshold: number | null;
  logprobThreshold: number | null;
  noSpeechThreshold: number | null;
  /** Dictation recordings kept after their text was delivered: none, those whose recognition failed, or all. */
  keepRecordings: KeepRecordings;
  /** The user's words: terms for the decoder prompt, replacements for final text (edited with `verbatim vocabulary`). */
  vocabulary: Vocabulary;
  /** Client connections open at once; more are refused. */
  maxConnections: number;
  /** A connection with no request, job, upload or dictation in progress is closed after this many seconds without a message. */
  idleConnectionSeconds: number;
  /** Uploads being received at once (announced, not all bytes in yet), across all clients. */
  maxUnfinishedUploads: number;
  /** Announced bytes of the uploads being received at once, across all clients, in MiB. */
  maxUnfinishedUploadMB: number;
  /** Every finished transcript is kept in the history (history.sqlite in the state folder). */
  history: boolean;
  /** History entries older than this many days are deleted; 0: kept until deleted by hand. */
  historyDays: number;
  /**
   * Whose audio is kept with its history entry (deleted with it): "dictations" (each dictation's recording,
   * compressed to FLAC), "all" (uploaded files too) or "none". true and false, as earlier versions wrote, mean "all"
   * and "none".
   */
  historyKeepsRecordings: KeptRecordings;
  /** The OpenAI-compatible HTTP API (edited with `verbatim api on|off`). */
  api: ApiSettings;
  /** Per-app dictation settings and how their text is finished (edited with `verbatim modes`). */
  modes: DictationMode[];
  /** How long a local model may take to finish a dictation's text; past it the spoken text is delivered. */
  finishingTimeoutSeconds: number;
  /**
   * After a dictation, its capture process keeps the microphone open this many minutes, holding its last 4 s, so the
   * next dictation loses nothing at its start (0: off; the macOS microphone indicator stays on meanwhile).
   */
  keepMicrophoneReadyMinutes: number;
}

export const DEFAULT_CONFIG: DaemonConfig = {
  model: DEFAULT_MODEL,
  speakerModel: DEFAULT_SPEAKER_MODEL,
  backend: "auto",
  threads: 0,
  idleUnloadMinutes: 0,
  readyTimeoutSeconds: 600,
  keepResults: 20,
  mlxCacheLimitMB: null,
  mlxWiredLimitMB: null,
  inputDevice: null,
  maxDictationSeconds: 900,
  utteranceSilenceSeconds: 0.6,
  autoStopSeconds: 0,
  streamingChunkMs: 160,
  fileVad: true,
  accuracy: "fast",
  beamSize: null,
  bestOf: null,
  patience: 1,
  lengthPenalty: null,
  compressionRatioThreshold: 2.4,
  logprobThreshold: -1,
  noSpeechThreshold: 0.6,
  keepRecordings: "failed",
  vocabulary: EMPTY_VOCABULARY,
  maxConnections: 64,
  idleConnectionSeconds: 600,
  maxUnfinishedUploads: 8,
  maxUnfinishedUploadMB: 4096,
  history: true,
  historyDays: 90,
  historyKeepsRecordings: "dictations",
  api: DEFAULT_API_SETTINGS,
  modes: [...BUILT_IN_MODES],
  finishingTimeoutSeconds: 8,
  keepMicrophoneReadyMinutes: 0,
};

/** Node's timers fire at once past 2^31-1 ms (about 24.8 days): every value that feeds one stays below. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const MAX_TIMER_SECONDS = Math.floor(MAX_TIMER_MS / 1000);
const MAX_TIMER_MINUTES = Math.floor(MAX_TIMER_MS / 60_000);

interface Rule {
  valid(value: unknown): boolean;
  /** What a valid value is, for the message that names an invalid one. */
  expected: string;
}

const isNumberIn = (v: unknown, min: number, max: number) => typeof v === "number" && v >= min && v <= max;
const megabytesOrNull: Rule = {
  valid: (v) => v === null || (Number.isInteger(v) && (v as number) >= 0),
  expected: "a whole number of MB, 0 or more, or null for MLX's default",
};

const timerSeconds: Rule = {
  valid: (v) => isNumberIn(v, 0, MAX_TIMER_SECONDS) && v !== 0,
  expected: `seconds above 0 and up to ${MAX_TIMER_SECONDS}, the longest a timer can wait`,
};

const wholeNumberIn = (min: number, max: number): Rule => ({
  valid: (v) => Number.isInteger(v) && isNumberIn(v, min, max),
  expected: `a whole number from ${min} to ${max}`,
});

/** A decoding option as the protocol takes it; `orNull`: null (as `accuracy` says) is allowed too. */
const decodingRule = (name: DecodingOptionName, orNull?: string): Rule => ({
  valid: (v) => (orNull !== undefined && v === null) || validDecodingOption(name, v),
  expected: orNull === undefined ? decodingOptionExpected(name) : `${decodingOptionExpected(name)}, or null ${orNull}`,
});

const rules: { [K in keyof DaemonConfig]: Rule } = {
  model: { valid: (v) => typeof v === "string" && v.length > 0, expected: "a model alias, hub repo id or folder" },
  speakerModel: {
    valid: (v) => typeof v === "string" && v.trim().length > 0,
    expected: `a speaker model name (${DEFAULT_SPEAKER_MODEL}), hub repo id or folder`,
  },
  backend: { valid: (v) => BACKENDS.includes(v as Backend), expected: `one of ${BACKENDS.join(", ")}` },
  threads: {
    valid: (v) => Number.isInteger(v) && isNumberIn(v, 0, 256),
    expected: "a whole number from 0 (one per core) to 256",
  },
  idleUnloadMinutes: {
    valid: (v) => isNumberIn(v, 0, MAX_TIMER_MINUTES),
    expected: `minutes from 0 (keep the model loaded) to ${MAX_TIMER_MINUTES}, the longest a timer can wait`,
  },
  readyTimeoutSeconds: timerSeconds,
  keepResults: {
    valid: (v) => Number.isInteger(v) && isNumberIn(v, 0, 1000),
    expected: "a whole number from 0 to 1000",
  },
  mlxCacheLimitMB: megabytesOrNull,
  mlxWiredLimitMB: megabytesOrNull,
  inputDevice: {
    valid: (v) => v === null || (typeof v === "string" && v.trim().length > 0),
    expected: "a microphone's name, part of one or index, or null for the system's input",
  },
  maxDictationSeconds: timerSeconds,
  utteranceSilenceSeconds: {
    valid: (v) => isNumberIn(v, 0, 10),
    expected: "seconds from 0 (end utterances only on stop) to 10",
  },
  autoStopSeconds: {
    valid: (v) => isNumberIn(v, 0, MAX_AUTO_STOP_SECONDS),
    expected: `seconds from 0 (never) to ${MAX_AUTO_STOP_SECONDS}`,
  },
  streamingChunkMs: {
    valid: (v) => v === 80 || v === 160 || v === 560 || v === 1120,
    expected: "milliseconds: 80, 160, 560 or 1120",
  },
  fileVad: { valid: (v) => typeof v === "boolean", expected: "true or false" },
  accuracy: { valid: (v) => v === "fast" || v === "best", expected: '"fast" or "best"' },
  beamSize: decodingRule("beamSize", "for what accuracy says"),
  bestOf: decodingRule("bestOf", "for what accuracy says"),
  patience: decodingRule("patience"),
  lengthPenalty: decodingRule("lengthPenalty"),
  compressionRatioThreshold: decodingRule("compressionRatioThreshold"),
  logprobThreshold: decodingRule("logprobThreshold"),
  noSpeechThreshold: decodingRule("noSpeechThreshold"),
  keepRecordings: {
    valid: (v) => v === "never" || v === "failed" || v === "always",
    expected: '"never", "failed" or "always"',
  },
  // Each entry is checked on its own (readVocabulary): one bad entry leaves the others in use.
  vocabulary: {
    valid: (v) => typeof v === "object" && v !== null && !Array.isArray(v),
    expected: 'an object {"terms": [...], "replacements": [...]}',
  },
  maxConnections: wholeNumberIn(1, 10_000),
  idleConnectionSeconds: timerSeconds,
  maxUnfinishedUploads: wholeNumberIn(1, 1000),
  maxUnfinishedUploadMB: wholeNumberIn(1, 1024 * 1024),
  history: { valid: (v) => typeof v === "boolean", expected: "true or false" },
  historyDays: {
    valid: (v) => Number.isInteger(v) && isNumberIn(v, 0, 36_500),
    expected: "a whole number of days from 0 (keep entries until deleted) to 36500",
  },
  historyKeepsRecordings: {
    valid: (v) => typeof v === "boolean" || v === "dictations" || v === "all" || v === "none",
    expected: '"dictations", "all" or "none"',
  },
  api: { valid: validApiSettings, expected: API_SETTINGS_EXPECTED },
  // Each mode is checked on its own (readModes): one bad mode leaves the others in use.
  modes: { valid: Array.isArray, expected: "a list of modes [{name, apps, finishing, deliver, …}]" },
  keepMicrophoneReadyMinutes: {
    valid: (v) => isNumberIn(v, 0, MAX_KEEP_MICROPHONE_READY_MINUTES),
    expected: `minutes from 0 (off) to ${MAX_KEEP_MICROPHONE_READY_MINUTES}`,
  },
  finishingTimeoutSeconds: {
    valid: (v) => isNumberIn(v, 0, 600) && v !== 0,
    expected: "seconds above 0 and up to 600",
  },
};

/** The problem of a config file that was not used at all. */
function ignoredFile(file: string, reason: string): string {
  return (
    `${file} was ignored (${reason}), so every setting is its default. Fix it, or remove it to have the defaults ` +
    "written there, then restart the daemon: verbatim daemon restart"
  );
}

/** The engine's MLX memory options from the config (absent where MLX's defaults apply). */
export function mlxLimits(config: DaemonConfig): { mlxCacheLimitBytes?: number; mlxWiredLimitBytes?: number } {
  const bytes = (mb: number | null) => (mb === null ? undefined : mb * 1024 * 1024);
  return { mlxCacheLimitBytes: bytes(config.mlxCacheLimitMB), mlxWiredLimitBytes: bytes(config.mlxWiredLimitMB) };
}

export type { DecodingDefaults };

/** The config's decoding defaults: beamSize and bestOf as set, else as `accuracy` says. */
export function decodingDefaults(config: DaemonConfig): DecodingDefaults {
  const preset = ACCURACY_PRESETS[config.accuracy];
  return {
    beamSize: config.beamSize ?? preset.beamSize,
    bestOf: config.bestOf ?? preset.bestOf,
    patience: config.patience,
    lengthPenalty: config.lengthPenalty,
    compressionRatioThreshold: config.compressionRatioThreshold,
    logprobThreshold: config.logprobThreshold,
    noSpeechThreshold: config.noSpeechThreshold,
  };
}

export interface LoadedConfig {
  config: DaemonConfig;
  /** Problems found in the file, each naming the key and what was used instead. */
  problems: string[];
  /** There was no file: it was written now, with the defaults. */
  created?: boolean;
}

export function loadConfig(file: string): LoadedConfig {
  let text: string | null;
  try {
    text = readConfigTextSync(file);
  } catch (error) {
    if (!(error instanceof ConfigReadError)) throw error;
    return { config: { ...DEFAULT_CONFIG }, problems: [ignoredFile(file, error.reason)] };
  }
  if (text === null) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, JSON.stringify(DEFAULT_CONFIG, null, 2) + "\n", { mode: 0o600 });
    return { config: { ...DEFAULT_CONFIG }, problems: [], created: true };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { config: { ...DEFAULT_CONFIG }, problems: [ignoredFile(file, `it is not valid JSON: ${reason}`)] };
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { config: { ...DEFAULT_CONFIG }, problems: [ignoredFile(file, "it does not hold a JSON object")] };
  }
  const values = raw as Record<string, unknown>;
  const config = { ...DEFAULT_CONFIG };
  const problems: string[] = [];
  for (const key of Object.keys(DEFAULT_CONFIG) as (keyof DaemonConfig)[]) {
    if (values[key] === undefined) continue;
    if (rules[key].valid(values[key])) {
      (config as Record<string, unknown>)[key] = values[key];
    } else {
      problems.push(
        `${file}: "${key}" has an invalid value ${JSON.stringify(values[key])} (it must be ${rules[key].expected}); using ${JSON.stringify(DEFAULT_CONFIG[key])}`,
      );
    }
  }
  for (const key of Object.keys(values)) if (!(key in DEFAULT_CONFIG)) problems.push(unknownKey(file, key));
  const keeps: unknown = config.historyKeepsRecordings;
  if (typeof keeps === "boolean") config.historyKeepsRecordings = keeps ? "all" : "none";
  config.api = apiSettingsOf(config.api);
  const vocabulary = readVocabulary(config.vocabulary);
  config.vocabulary = vocabulary.vocabulary;
  problems.push(...vocabulary.problems.map((problem) => `${file}: ${problem}`));
  const modes = readModes(config.modes);
  config.modes = modes.modes;
  problems.push(...modes.problems.map((problem) => `${file}: ${problem}`));
  return { config, problems };
}

function unknownKey(file: string, key: string): string {
  const known = Object.keys(DEFAULT_CONFIG);
  const nearest = closest(key, known);
  const close = key.toLowerCase() === nearest.toLowerCase() || distance(key, nearest) <= Math.max(2, key.length / 3);
  return `${file}: "${key}" is not a setting Verbatim knows${close ? ` (did you mean "${nearest}"?)` : ""}; it is kept in the file but not used`;
}
