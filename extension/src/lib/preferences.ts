// The extension's preferences (declared in package.json) and what they mean for a transcription request.
import type { TranscriptionOptions } from "./daemon-connection";
import type { FinishedTextAction } from "./outputs";

export interface VerbatimPreferences {
  model?: string;
  language?: string;
  finishedText: FinishedTextAction;
  socketPath?: string;
}

/** Options for the daemon: a per-run override first, then the preference; empty means the daemon's default. */
export function transcriptionOptions(
  preferences: VerbatimPreferences,
  overrides: { model?: string; language?: string } = {},
): TranscriptionOptions {
  const options: TranscriptionOptions = {};
  const model = (overrides.model ?? preferences.model)?.trim();
  const language = (overrides.language ?? preferences.language)?.trim();
  if (model) options.model = model;
  if (language && language !== "auto") options.language = language;
  return options;
}
