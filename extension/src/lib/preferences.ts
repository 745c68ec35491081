// The extension's preferences (declared in package.json) and what they mean for a transcription request.
import { ACCURACY_PRESETS } from "../verbatimd/protocol";
import type { TranscriptionOptions } from "./daemon-connection";
import { DAEMON_MODEL } from "./model-choices";
import { speakersOption } from "./speaker-choices";
import type { FinishedTextAction } from "./outputs";

export interface VerbatimPreferences {
  /** A catalog model's name, or DAEMON_MODEL ("default"): the daemon's current model. */
  model?: string;
  language?: string;
  /** Translate to English (Whisper's translate task) whatever language is spoken. */
  translate?: boolean;
  /** "fast" (greedy: beam 1, best of 1) or "best" (beam 5, best of 5): files and dictations' final text. */
  accuracy?: string;
  finishedText: FinishedTextAction;
  /** After a paste: milliseconds before the clipboard is put back, or "never" to leave the pasted text on it. */
  restoreClipboard?: string;
  socketPath?: string;
  /** Files: transcribe only what the voice activity detector takes for speech. */
  skipSilence?: boolean;
  /** Toggle Dictation: seconds without speech, after speech, that end the dictation ("0": never). */
  autoStop?: string;
  /** Minutes the microphone stays ready after a dictation ("0": off), or "" to leave config.json's setting. */
  keepMicrophoneReady?: string;
  /** Record Meeting: the input that carries the system's audio (a loopback device such as "BlackHole 2ch"). */
  systemAudioDevice?: string;
}

/**
 * Options for the daemon: a per-run override first, then the preference; empty means the daemon's default. Accuracy is
 * always sent (beamSize and bestOf 1 and 1 for Fast, the default, 5 and 5 for Best), so the preference says it.
 */
export function transcriptionOptions(
  preferences: VerbatimPreferences,
  overrides: { model?: string; language?: string } = {},
): TranscriptionOptions {
  const options: TranscriptionOptions = {};
  const model = (overrides.model ?? preferences.model)?.trim();
  const language = (overrides.language ?? preferences.language)?.trim();
  if (model && model !== DAEMON_MODEL) options.model = model;
  if (language && language !== "auto") options.language = language;
  if (preferences.translate) options.task = "translate";
  Object.assign(options, ACCURACY_PRESETS[preferences.accuracy === "best" ? "best" : "fast"]);
  return options;
}

/**
 * A file job's options: as transcriptionOptions, whether to skip what is not speech (Skip Silence, default on), and
 * the speakers Transcribe File's form asks for.
 */
export function fileTranscriptionOptions(
  preferences: VerbatimPreferences,
  overrides: { model?: string; language?: string; speakers?: string } = {},
): TranscriptionOptions {
  const speakers = speakersOption(overrides.speakers);
  return {
    ...transcriptionOptions(preferences, overrides),
    vad: preferences.skipSilence ?? true,
    ...(speakers !== undefined && { speakers }),
  };
}

/** Toggle Dictation's Auto-Stop preference as seconds; 0: it stops only when pressed again. */
export function autoStopSeconds(preferences: VerbatimPreferences): number {
  const seconds = Number(preferences.autoStop ?? "0");
  return Number.isFinite(seconds) && seconds > 0 ? seconds : 0;
}

export const DEFAULT_RESTORE_DELAY_MS = 1000;

/** The Clipboard After Paste preference: how long to wait before putting the clipboard back, null for never. */
export function restoreDelayMs(preferences: VerbatimPreferences): number | null {
  const value = preferences.restoreClipboard;
  if (value === "never") return null;
  const ms = Number(value);
  return Number.isFinite(ms) && ms >= 0 ? ms : DEFAULT_RESTORE_DELAY_MS;
}
