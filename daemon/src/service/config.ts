// The daemon's settings: config.json in the config folder, created with the defaults on first start so it
// can be edited. Unknown keys are kept; invalid values are reported and replaced by the default.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { BACKENDS, type Backend } from "@verbatim/native";
import type { KeepRecordings } from "../dictation/manager";
import { DEFAULT_MODEL } from "../models";

export interface DaemonConfig {
  /** Model id, alias or local folder loaded at start. */
  model: string;
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
  /** Dictation recordings kept after their text was delivered: none, those whose recognition failed, or all. */
  keepRecordings: KeepRecordings;
}

export const DEFAULT_CONFIG: DaemonConfig = {
  model: DEFAULT_MODEL,
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
  keepRecordings: "failed",
};

const megabytesOrNull = (v: unknown) => v === null || (Number.isInteger(v) && (v as number) >= 0);

const validators: { [K in keyof DaemonConfig]: (value: unknown) => boolean } = {
  model: (v) => typeof v === "string" && v.length > 0,
  backend: (v) => BACKENDS.includes(v as Backend),
  threads: (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 256,
  idleUnloadMinutes: (v) => typeof v === "number" && v >= 0,
  readyTimeoutSeconds: (v) => typeof v === "number" && v > 0,
  keepResults: (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 1000,
  mlxCacheLimitMB: megabytesOrNull,
  mlxWiredLimitMB: megabytesOrNull,
  inputDevice: (v) => v === null || (typeof v === "string" && v.trim().length > 0),
  maxDictationSeconds: (v) => typeof v === "number" && v > 0,
  utteranceSilenceSeconds: (v) => typeof v === "number" && v >= 0 && v <= 10,
  keepRecordings: (v) => v === "never" || v === "failed" || v === "always",
};

/** The engine's MLX memory options from the config (absent where MLX's defaults apply). */
export function mlxLimits(config: DaemonConfig): { mlxCacheLimitBytes?: number; mlxWiredLimitBytes?: number } {
  const bytes = (mb: number | null) => (mb === null ? undefined : mb * 1024 * 1024);
  return { mlxCacheLimitBytes: bytes(config.mlxCacheLimitMB), mlxWiredLimitBytes: bytes(config.mlxWiredLimitMB) };
}

export interface LoadedConfig {
  config: DaemonConfig;
  /** Problems found in the file, each naming the key and what was used instead. */
  problems: string[];
}

export function loadConfig(file: string): LoadedConfig {
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, JSON.stringify(DEFAULT_CONFIG, null, 2) + "\n", { mode: 0o600 });
    return { config: { ...DEFAULT_CONFIG }, problems: [] };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { config: { ...DEFAULT_CONFIG }, problems: [`${file} is not valid JSON (${reason}); using the defaults`] };
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { config: { ...DEFAULT_CONFIG }, problems: [`${file} must hold a JSON object; using the defaults`] };
  }
  const values = raw as Record<string, unknown>;
  const config = { ...DEFAULT_CONFIG };
  const problems: string[] = [];
  for (const key of Object.keys(DEFAULT_CONFIG) as (keyof DaemonConfig)[]) {
    if (values[key] === undefined) continue;
    if (validators[key](values[key])) {
      (config as Record<string, unknown>)[key] = values[key];
    } else {
      problems.push(
        `${file}: "${key}" has an invalid value ${JSON.stringify(values[key])}; using ${JSON.stringify(DEFAULT_CONFIG[key])}`,
      );
    }
  }
  return { config, problems };
}
