/// <reference types="@raycast/api">

/* 🚧 🚧 🚧
 * This file is auto-generated from the extension's manifest.
 * Do not modify manually. Instead, update the `package.json` file.
 * 🚧 🚧 🚧 */

/* eslint-disable @typescript-eslint/ban-types */

type ExtensionPreferences = {
  /** Model - Model for transcriptions: an alias such as large-v3-turbo or base.en, a Hugging Face repo id, or a local folder. Empty: the daemon's current model. */
  "model"?: string,
  /** Language - The spoken language, or Detect Automatically */
  "language": "auto" | "en" | "de" | "fr" | "es" | "it" | "pt" | "nl" | "ja" | "zh",
  /** Finished Text - What to do with the text once a transcription or a dictation (Dictate's Enter) finishes; Toggle Dictation always pastes */
  "finishedText": "copy" | "paste" | "both" | "nothing",
  /** Skip Silence - Transcribe File and Transcribe Clipboard decode only the speech a voice activity detector finds, so silence and noise never become words */
  "skipSilence": boolean,
  /** Socket Path - Absolute path of the daemon's socket, when it is not the default (~/Library/Application Support/Verbatim/verbatimd.sock) */
  "socketPath"?: string
}

/** Preferences accessible in all the extension's commands */
declare type Preferences = ExtensionPreferences

declare namespace Preferences {
  /** Preferences accessible in the `transcribe-file` command */
  export type TranscribeFile = ExtensionPreferences & {}
  /** Preferences accessible in the `transcribe-clipboard` command */
  export type TranscribeClipboard = ExtensionPreferences & {}
  /** Preferences accessible in the `dictate` command */
  export type Dictate = ExtensionPreferences & {}
  /** Preferences accessible in the `toggle-dictation` command */
  export type ToggleDictation = ExtensionPreferences & {
  /** Auto-Stop - After you speak, this long without speech ends the dictation and inserts its text, hands-free */
  "autoStop": "0" | "1" | "1.5" | "2" | "3" | "5"
}
  /** Preferences accessible in the `manage-vocabulary` command */
  export type ManageVocabulary = ExtensionPreferences & {}
  /** Preferences accessible in the `search-transcripts` command */
  export type SearchTranscripts = ExtensionPreferences & {}
  /** Preferences accessible in the `verbatim` command */
  export type Verbatim = ExtensionPreferences & {}
}

declare namespace Arguments {
  /** Arguments passed to the `transcribe-file` command */
  export type TranscribeFile = {}
  /** Arguments passed to the `transcribe-clipboard` command */
  export type TranscribeClipboard = {}
  /** Arguments passed to the `dictate` command */
  export type Dictate = {}
  /** Arguments passed to the `toggle-dictation` command */
  export type ToggleDictation = {}
  /** Arguments passed to the `manage-vocabulary` command */
  export type ManageVocabulary = {}
  /** Arguments passed to the `search-transcripts` command */
  export type SearchTranscripts = {}
  /** Arguments passed to the `verbatim` command */
  export type Verbatim = {}
}

