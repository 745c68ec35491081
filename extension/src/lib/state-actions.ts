// The screens that are not setup problems (those are daemon-setup.ts's), each with the actions that move the user on;
// the first is Enter's. A view renders a state's actions from here, so no empty or error screen is a dead end.
export type StateAction =
  | "try-again"
  | "open-logs"
  | "open-preferences"
  | "pick-files"
  | "stop-dictation"
  | "cancel-dictation"
  | "open-microphone-settings"
  | "add-term"
  | "add-replacement"
  | "clear-search"
  | "dictate"
  | "transcribe-file";

export type ViewState =
  /** Dictate ended with an error (the capture process failed, the daemon stopped, the model failed mid-way). */
  | "dictation-failed"
  /** The microphone gives only silence: Raycast has no microphone access. */
  | "microphone-silent"
  /** Transcribe Clipboard: the clipboard holds no file. */
  | "no-clipboard-file"
  /** Transcribe File could not queue or follow its files. */
  | "transcription-failed"
  | "vocabulary-failed"
  | "vocabulary-empty"
  | "transcripts-failed"
  | "transcripts-empty"
  | "transcripts-no-match";

export const STATE_ACTIONS: Record<ViewState, readonly StateAction[]> = {
  "dictation-failed": ["try-again", "open-logs", "open-preferences"],
  "microphone-silent": ["open-microphone-settings", "stop-dictation", "cancel-dictation"],
  "no-clipboard-file": ["pick-files", "try-again"],
  "transcription-failed": ["try-again", "pick-files", "open-logs", "open-preferences"],
  "vocabulary-failed": ["try-again", "open-logs"],
  "vocabulary-empty": ["add-term", "add-replacement"],
  "transcripts-failed": ["try-again", "open-logs"],
  "transcripts-empty": ["dictate", "transcribe-file"],
  "transcripts-no-match": ["clear-search", "dictate", "transcribe-file"],
};

export const STATE_ACTION_TITLES: Record<StateAction, string> = {
  "try-again": "Try Again",
  "open-logs": "Open Logs",
  "open-preferences": "Open Extension Preferences",
  "pick-files": "Pick Files",
  "stop-dictation": "Stop Dictation",
  "cancel-dictation": "Cancel Dictation",
  "open-microphone-settings": "Open Microphone Settings",
  "add-term": "Add Term",
  "add-replacement": "Add Replacement",
  "clear-search": "Clear Search",
  dictate: "Dictate",
  "transcribe-file": "Transcribe File",
};

export interface FailureText {
  title: string;
  description: string;
}

/** What a list that could not load says: what failed, why, and what the actions do. */
export function loadFailure(what: string, error: unknown): FailureText {
  const reason = (error instanceof Error ? error.message : String(error)).replace(/\.?$/, ".");
  return {
    title: `Could Not Load ${what}`,
    description: `${reason} Try Again asks the daemon again; its log says more.`,
  };
}
