// Copied from daemon/src/protocol.ts by `npm run sync:extension` (extension/scripts/daemon-copy.mjs): edit the original.
// The wire protocol between verbatimd and its clients (CLI, Raycast extension, other local apps): JSON text
// frames for requests and events, binary frames for audio. Shared by every side; see daemon/PROTOCOL.md.
// This module is pure data and validation: no Node APIs, no native code, so the extension can bundle it.
export const PROTOCOL_VERSION = 1;

/** Largest JSON message the daemon accepts. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
/** Largest uploaded audio file. */
export const MAX_UPLOAD_BYTES = 2 * 1024 * 1024 * 1024;
/** Largest single WebSocket frame (binary upload chunks included). */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;
/** Longest silence after speech a dictation may wait for before it stops by itself. */
export const MAX_AUTO_STOP_SECONDS = 600;
/** Most times a job's clipTimestamps may list. */
export const MAX_CLIP_TIMESTAMPS = 1000;
/** The most speakers the speaker model tells apart (NVIDIA's Nemotron 3 Diarization: 8). */
export const MAX_SPEAKERS = 8;
/** Most terms a job may bring (options.terms), and the longest. */
export const MAX_JOB_TERMS = 100;
export const MAX_JOB_TERM_CHARS = 100;
/** Longest selected text a dictation may bring to edit (dictation.start's selection). */
export const MAX_SELECTION_CHARS = 20_000;
/** Most beams (beamSize) and samples per temperature (bestOf) a job may ask for. */
export const MAX_BEAM_SIZE = 16;
export const MAX_BEST_OF = 16;

export type Priority = "interactive" | "batch";
export type OutputTask = "transcribe" | "translate";

export interface TranscriptionOptions {
  /** Model id, alias or local folder; absent: the daemon's current model. */
  model?: string;
  /** Language code; absent: detected. */
  language?: string;
  task?: OutputTask;
  wordTimestamps?: boolean;
  /** Text that conditions the first window (names, spelling, style). */
  prompt?: string;
  /**
   * Vocabulary terms for this job alone (Dictate's selected text as context), the most useful first: used as the
   * vocabulary's own terms are, by a model that uses terms, and ahead of them (as if added last). At most
   * MAX_JOB_TERMS, each a word or phrase of at most MAX_JOB_TERM_CHARS on one line.
   */
  terms?: string[];
  /** The app that was frontmost when the client asked (kept in the history as the transcript's source). */
  app?: string;
  /** Files: transcribe only the speech the voice activity detector finds (absent: config fileVad). Dictation always does. */
  vad?: boolean;
  /** The first decoding temperature (0-1); the fallback goes up from it in steps of 0.2. Default 0. */
  temperature?: number;
  /**
   * Files: tell speakers apart with the speaker model (config speakerModel) after transcribing: "auto" keeps every
   * speaker it finds (at most MAX_SPEAKERS), a number keeps at most that many (the ones who speak longest; the words of
   * the others go to the kept speaker nearest in time). Words are timed then, and every segment and word has a speaker.
   */
  speakers?: number | "auto";
  /**
   * Files: decode only these clips, as openai's transcribe(clip_timestamps=...): seconds start, end, start, end, …
   * (a last start without an end runs to the end of the file). The voice activity detector is not used then; `vad`
   * true with clips is refused. Absent or empty: the whole file.
   */
  clipTimestamps?: number[];
  /**
   * Files: openai's hallucination_silence_threshold (seconds): a segment of doubtful words (improbable, very short or
   * very long) with more silence than this around it is dropped and decoding goes on after it, and silence before a
   * doubtful first segment is skipped. The rules judge words, so words are timed for it (as openai needs
   * word_timestamps); they are in the output only with `wordTimestamps`.
   */
  hallucinationSilenceThreshold?: number;
  /**
   * openai's beam_size: beams searched at temperature 0 (1: greedy, exactly). Absent: config beamSize (or its
   * accuracy), else 1. Dictations use it for their final text only; live text is always greedy.
   */
  beamSize?: number;
  /** openai's best_of: samples drawn at each fallback temperature above 0, the likeliest kept. Absent: config. */
  bestOf?: number;
  /** openai's patience: a beam search ends once beamSize × patience candidates have finished. Absent: config (1). */
  patience?: number;
  /**
   * openai's length_penalty (alpha, as Google's NMT: candidates ranked by sum of log probabilities / ((5 + length) /
   * 6)^alpha); null: plain length normalisation (sum / length), openai's default. Absent: config.
   */
  lengthPenalty?: number | null;
  /** A decode more repetitive than this gzip compression ratio is done again at the next temperature; null: never. */
  compressionRatioThreshold?: number | null;
  /** A decode whose average log probability is below this is done again at the next temperature; null: never. */
  logprobThreshold?: number | null;
  /** A window whose no-speech probability is above this (and logprob below logprobThreshold) is silence; null: never. */
  noSpeechThreshold?: number | null;
}

/** The decoding options of TranscriptionOptions: openai's beam search, best-of and fallback thresholds. */
export type DecodingOptionName =
  | "beamSize"
  | "bestOf"
  | "patience"
  | "lengthPenalty"
  | "compressionRatioThreshold"
  | "logprobThreshold"
  | "noSpeechThreshold";

export interface DecodingOptionRule {
  /** Whether `value` (a number; null is judged by `nullable`) is in range. */
  valid(value: number): boolean;
  /** The valid numbers, in words. */
  range: string;
  /** What null does, when it is allowed ("to switch the rule off"). */
  nullable?: string;
}

const wholeFrom1 = (max: number) => (v: number) => Number.isSafeInteger(v) && v >= 1 && v <= max;
const numberIn = (min: number, max: number) => (v: number) => Number.isFinite(v) && v >= min && v <= max;

/** What each decoding option takes; shared by the protocol, the config file and the CLI. */
export const DECODING_OPTION_RULES: Record<DecodingOptionName, DecodingOptionRule> = {
  beamSize: { valid: wholeFrom1(MAX_BEAM_SIZE), range: `a whole number from 1 (greedy) to ${MAX_BEAM_SIZE}` },
  bestOf: { valid: wholeFrom1(MAX_BEST_OF), range: `a whole number from 1 to ${MAX_BEST_OF}` },
  // Below 0.5 a search of 2 beams would keep no finished candidate (round(2 × 0.25) is 0), which the engine refuses.
  patience: { valid: numberIn(0.5, 10), range: "a number from 0.5 to 10" },
  // openai's DecodingTask allows 0 to 1, and so does the addon.
  lengthPenalty: { valid: numberIn(0, 1), range: "a number from 0 to 1", nullable: "for plain length normalization" },
  compressionRatioThreshold: {
    valid: numberIn(0, 1000),
    range: "a number from 0 to 1000",
    nullable: "to switch the rule off",
  },
  logprobThreshold: {
    valid: numberIn(-1000, 0),
    range: "a number from -1000 to 0",
    nullable: "to switch the rule off",
  },
  noSpeechThreshold: { valid: numberIn(0, 1), range: "a probability from 0 to 1", nullable: "to switch the rule off" },
};

export const DECODING_OPTION_NAMES = Object.keys(DECODING_OPTION_RULES) as DecodingOptionName[];

/** Whether `value` is what decoding option `name` takes (a number in range, or null where null is allowed). */
export function validDecodingOption(name: DecodingOptionName, value: unknown): value is number | null {
  const rule = DECODING_OPTION_RULES[name];
  if (value === null) return rule.nullable !== undefined;
  return typeof value === "number" && rule.valid(value);
}

/** What decoding option `name` takes, in words; `none` is how null is written (null in JSON, none on a command line). */
export function decodingOptionExpected(name: DecodingOptionName, none = "null"): string {
  const rule = DECODING_OPTION_RULES[name];
  return rule.nullable ? `${rule.range}, or ${none} ${rule.nullable}` : rule.range;
}

/** Accuracy presets: "fast" is greedy (openai's transcribe() default), "best" openai's command line's beam 5, best of 5. */
export type Accuracy = "fast" | "best";
export const ACCURACY_PRESETS: Record<Accuracy, { beamSize: number; bestOf: number }> = {
  fast: { beamSize: 1, bestOf: 1 },
  best: { beamSize: 5, bestOf: 5 },
};

/**
 * How a vocabulary replacement treats case. Absent: `from` matches in any case and `to` is written as given; "keep":
 * `to` takes the matched text's capitalisation (all capitals, a capital first letter, or lower case); "exact": `from`
 * matches only as written.
 */
export type ReplacementCase = "keep" | "exact";

/** A replacement in the user's vocabulary: the whole words `from` become `to` in final text. */
export interface VocabularyReplacement {
  from: string;
  to: string;
  case?: ReplacementCase;
}

/** How a model uses the vocabulary's terms: in its decoder prompt, or boosted while it decodes. */
export type TermsUse = "prompt" | "boosting";

/** The user's vocabulary (config key "vocabulary"), as vocabulary.* requests answer it. */
export interface VocabularyData {
  /** Oldest first: the decoder prompt takes the most recently added (the end of the list) first. */
  terms: string[];
  replacements: VocabularyReplacement[];
  /**
   * The terms a job without a prompt of its own gives the decoder (the decoder prompt's, or those boosted), with the
   * loaded model; null while none is loaded.
   */
  promptTerms: string[] | null;
  /**
   * How the loaded model uses the terms: in its decoder prompt (Whisper), boosted while decoding (Parakeet, Nemotron); absent
   * while none is loaded, or when it uses none (termsNotice).
   */
  termsUse?: TermsUse;
  /** Present when the loaded model takes no vocabulary terms, saying so; replacements apply to every model. */
  termsNotice?: string;
  /** Entries of config.json's vocabulary that are not used, each saying why. */
  problems: string[];
  /**
   * How strongly a model that boosts terms favours them (config "vocabulary.boostStrength", 0 to MAX_BOOST_STRENGTH;
   * 0: not at all); null: not set, so the model's own default (defaultBoostStrength).
   */
  boostStrength: number | null;
  /** The loaded model's strength when none is set (its family's own); present with termsUse "boosting". */
  defaultBoostStrength?: number;
}

/** The most boostStrength may be (the engine's limit). */
export const MAX_BOOST_STRENGTH = 50;

/** Whether `value` is a boosting strength: a number from 0 to MAX_BOOST_STRENGTH. */
export function isBoostStrength(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 && value <= MAX_BOOST_STRENGTH;
}

/** Who finishes a dictation's text: nobody, Raycast AI (the extension), or a local model the daemon asks. */
export type FinishingEngine = "none" | "raycast" | "local";
export const FINISHING_ENGINES: readonly FinishingEngine[] = ["none", "raycast", "local"];
/** What a client does with a dictation's text: paste it, copy it, or paste it and press Return. */
export type Delivery = "paste" | "copy" | "paste-return";
export const DELIVERIES: readonly Delivery[] = ["paste", "copy", "paste-return"];
/** Where local finishing goes when a mode names no endpoint: Ollama's OpenAI-compatible API on this machine. */
export const DEFAULT_FINISHING_ENDPOINT = "http://127.0.0.1:11434/v1";
/** Longest mode name, instruction, and most apps a mode lists. */
export const MAX_MODE_NAME_CHARS = 40;
export const MAX_INSTRUCTION_CHARS = 4000;
export const MAX_MODE_APPS = 100;
/** Longest finished text a client may send back (dictation.finished). */
export const MAX_FINISHED_CHARS = 100_000;

/** A mode (config key "modes"): the settings of dictations in some apps, and how their text is finished. */
export interface DictationMode {
  name: string;
  /** Bundle ids (macOS) of the apps it applies to: a dictation started in one of them uses it. */
  apps: string[];
  /** The model and language of its dictations (absent: the daemon's). */
  model?: string;
  language?: string;
  finishing: FinishingEngine;
  /** What finishing makes of the text (for "raycast" and "local"). */
  instruction?: string;
  /** "local": the OpenAI-compatible endpoint (absent: DEFAULT_FINISHING_ENDPOINT) and the model it runs. */
  endpoint?: string;
  modelName?: string;
  deliver: Delivery;
  /**
   * What its dictations do with the text selected in the frontmost app (absent: it is not read): "context" makes its
   * words this dictation's vocabulary terms; "edit" also has the finishing model edit it as the spoken instruction
   * says, and the result replaces it.
   */
  selection?: SelectionUse;
}

/** What a mode does with the selected text: its words as the dictation's terms, or edited by voice. */
export type SelectionUse = "context" | "edit";
export const SELECTION_USES: readonly SelectionUse[] = ["context", "edit"];

/** The fields `modes.edit` may change; null clears an optional one. */
export type ModeChanges = {
  [K in Exclude<keyof DictationMode, "name">]?: undefined extends DictationMode[K]
    ? DictationMode[K] | null
    : DictationMode[K];
};
const MODE_CHANGE_KEYS = [
  "apps",
  "model",
  "language",
  "finishing",
  "instruction",
  "endpoint",
  "modelName",
  "deliver",
  "selection",
];
/** Every field of a mode. */
export const MODE_FIELDS: readonly string[] = ["name", ...MODE_CHANGE_KEYS];

/** The modes, as modes.* requests answer them. */
export interface ModesData {
  /** In order: a dictation started in an app takes the first mode that lists the app. */
  modes: DictationMode[];
  /** The mode of a dictation that names none and whose app no mode lists. */
  defaultMode: string;
  /** Entries of config.json's modes that are not used, each saying why. */
  problems: string[];
}

/**
 * How a dictation's text was finished (dictation.done's transcript, dictation.finished's answer). "off": its mode does
 * not finish; "finished": `finishedText` is the transcript's text; "failed": the spoken text was delivered instead
 * (`notice` says why); "client": finishing is the client's (Raycast AI): it finishes `spokenText` with `instruction`
 * within `timeoutSeconds` and sends the result back with dictation.finished.
 */
export interface FinishingData {
  mode: string;
  engine: FinishingEngine;
  deliver: Delivery;
  status: "off" | "finished" | "failed" | "client";
  /** What was said (replacements applied): always kept, always one action away. */
  spokenText: string;
  finishedText: string | null;
  notice?: string;
  instruction?: string;
  timeoutSeconds?: number;
  /**
   * An edit (mode selection "edit"): the selected text the spoken instruction edits, as it was before (a client can
   * put it back); `finishedText` is the edited text. The client finishing it (status "client") edits this.
   */
  selection?: string;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]|(?![\u200c\u200d])\p{Cf}/u;
const BUNDLE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
const LANGUAGE = /^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})?$/;

/** Why `value` cannot be a mode (null: it can), naming the field; fields it does not know are not looked at. */
export function modeProblem(value: unknown): string | null {
  if (!isObject(value)) return "a mode must be an object {name, apps, finishing, deliver, …}";
  const mode = value as Record<string, unknown>;
  const name = mode.name;
  if (typeof name !== "string" || name.trim().length === 0 || name.length > MAX_MODE_NAME_CHARS || CONTROL.test(name))
    return `"name" must be 1 to ${MAX_MODE_NAME_CHARS} characters on one line, without control or invisible characters`;
  const apps = mode.apps;
  if (!Array.isArray(apps) || apps.length > MAX_MODE_APPS || !apps.every((app) => BUNDLE_ID.test(String(app))))
    return `"apps" must be a list of at most ${MAX_MODE_APPS} bundle ids (com.apple.mail)`;
  if (mode.model !== undefined && !isPath(mode.model)) return '"model" must be a model alias, hub repo id or folder';
  if (mode.language !== undefined && !(typeof mode.language === "string" && LANGUAGE.test(mode.language)))
    return '"language" must be a language code (en, de, yue)';
  if (!FINISHING_ENGINES.includes(mode.finishing as FinishingEngine))
    return `"finishing" must be one of ${FINISHING_ENGINES.join(", ")}`;
  if (!DELIVERIES.includes(mode.deliver as Delivery)) return `"deliver" must be one of ${DELIVERIES.join(", ")}`;
  const instruction = mode.instruction;
  if (instruction !== undefined && (typeof instruction !== "string" || instruction.length > MAX_INSTRUCTION_CHARS))
    return `"instruction" must be text of at most ${MAX_INSTRUCTION_CHARS} characters`;
  if (mode.finishing !== "none" && (typeof instruction !== "string" || instruction.trim().length === 0))
    return `"instruction" must say what finishing makes of the text (finishing "${String(mode.finishing)}")`;
  if (mode.endpoint !== undefined && !isHttpUrl(mode.endpoint))
    return '"endpoint" must be an http:// or https:// URL (an OpenAI-compatible API, such as http://127.0.0.1:11434/v1)';
  const modelName = mode.modelName;
  if (
    modelName !== undefined &&
    !(
      typeof modelName === "string" &&
      modelName.trim().length > 0 &&
      modelName.length <= 200 &&
      !CONTROL.test(modelName)
    )
  )
    return '"modelName" must be the local server\'s model name (llama3.2), 1 to 200 characters';
  if (mode.finishing === "local" && modelName === undefined)
    return '"modelName" must name the model the local server runs (finishing "local"), such as llama3.2';
  if (mode.selection !== undefined && !SELECTION_USES.includes(mode.selection as SelectionUse))
    return `"selection" must be one of ${SELECTION_USES.join(", ")} (or absent: the selected text is not read)`;
  if (mode.selection === "edit" && mode.finishing === "none")
    return '"selection" must be "context" (or absent) without a finishing engine: an edit by voice needs "raycast" or "local" to edit the text';
  return null;
}

/**
 * Whether a mode's finishing sends the text off this machine: Raycast AI (Raycast's cloud service), or a local
 * finishing endpoint on another host than this machine's loopback (127.0.0.0/8, ::1, localhost).
 */
export function finishingLeavesMachine(mode: Pick<DictationMode, "finishing" | "endpoint">): boolean {
  if (mode.finishing === "raycast") return true;
  if (mode.finishing !== "local") return false;
  const host = new URL(mode.endpoint ?? DEFAULT_FINISHING_ENDPOINT).hostname.toLowerCase();
  return !(host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host));
}

/** The longest a microphone may be kept ready after a dictation (keepMicrophoneReadyMinutes, dictation.keepReady). */
export const MAX_KEEP_MICROPHONE_READY_MINUTES = 240;

function isKeepReadyMinutes(value: unknown): value is number {
  return typeof value === "number" && value >= 0 && value <= MAX_KEEP_MICROPHONE_READY_MINUTES;
}

function isEpochMs(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

function isStartMs(value: unknown): value is number {
  return typeof value === "number" && value >= 0 && value <= 60_000;
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== "string" || value.length > 2000) return false;
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.username === "" && url.password === "";
  } catch {
    return false;
  }
}

export type AudioSource =
  | { kind: "file"; path: string }
  /** The file's bytes follow as binary frames tagged with the request id (see encodeAudioFrame). */
  | { kind: "upload"; bytes: number; name?: string };

/** "capture": a capture process (`verbatim capture`) sends the microphone's audio; "stream": the client sends its own. */
export type DictationSource = "capture" | "stream";

/**
 * Why a dictation stopped taking audio: a client asked, silence after speech, maxDictationSeconds, its capture ended,
 * or every source of its audio disconnected and none sent more.
 */
export type DictationStopReason = "requested" | "auto_stop" | "max_duration" | "capture_ended" | "source_gone";

/** A finished transcript in the history (history.list, history.search). */
export interface HistoryEntry {
  id: number;
  kind: "file" | "dictation" | "meeting";
  /** ISO 8601: when the transcript was finished. */
  createdAt: string;
  /** The transcribe request's id, the dictation's session id or the meeting's id. */
  job: string;
  text: string;
  language: string | null;
  model: string;
  backend: string;
  durationSeconds: number;
  /** The audio file transcribed (an upload's name), a meeting's folder, null for a dictation. */
  sourceFile: string | null;
  /** The frontmost app the client named (options.app), if any. */
  app: string | null;
  /** The kept recording (config historyKeepsRecordings), null when none was kept. */
  recording: string | null;
  /** A dictation's finished text (`text` is what was said), null when it was not finished. */
  finishedText: string | null;
  /** The dictation's mode, and the finishing engine that made `finishedText` (null: none, or before modes). */
  mode: string | null;
  finishing: FinishingEngine | null;
  /** A transcript with speakers only: how many, and the names the user gave them (history.speakers). */
  speakers?: number;
  speakerNames?: SpeakerNames;
  /** history.search only: the text around the matches; `highlights` are UTF-16 offsets into `text`. */
  snippet?: HistorySnippet;
}

export interface HistorySnippet {
  text: string;
  highlights: { start: number; end: number }[];
}

/** history.get: the entry with its timed segments. */
export interface HistoryEntryDetail extends HistoryEntry {
  segments: SegmentData[];
}

/** Newest first; `nextBeforeId`: pass it as `beforeId` for the next page (null: no more). */
export interface HistoryPage {
  entries: HistoryEntry[];
  nextBeforeId: number | null;
}

export type HistoryExportFormat = "json" | "markdown";

/** history.speakers: the name a speaker (0-based) is to have; null gives back "Speaker N". */
export interface SpeakerNaming {
  speaker: number;
  name: string | null;
}

/** The longest name a speaker is given, in UTF-16 units. */
export const MAX_SPEAKER_NAME = 100;

/** Largest page of history.list and history.search. */
export const MAX_HISTORY_PAGE = 500;

export type Request =
  | { type: "hello"; id: string; protocol: number; client?: string }
  | { type: "status"; id: string }
  | {
      type: "transcribe";
      id: string;
      source: AudioSource;
      options?: TranscriptionOptions;
      priority?: Priority;
      /** Keep running when this client disconnects; fetch the outcome later with a "result" request. */
      detached?: boolean;
    }
  | { type: "cancel"; id: string; job: string }
  | { type: "result"; id: string; job: string }
  | { type: "model.switch"; id: string; model: string }
  | { type: "models.list"; id: string }
  | { type: "models.pull"; id: string; model: string }
  | { type: "models.remove"; id: string; model: string }
  | { type: "shutdown"; id: string }
  /** Unloads the model after this many idle minutes (0: keeps it loaded); saved in config.json as idleUnloadMinutes. */
  | { type: "idleUnload.set"; id: string; minutes: number }
  /** Audio follows as binary frames tagged with the session id: 16-bit little-endian mono PCM at 16 kHz. */
  /** `autoStopSeconds`: after speech, this long without speech stops the dictation (0: never; absent: config). */
  | {
      type: "dictation.start";
      id: string;
      source: DictationSource;
      options?: TranscriptionOptions;
      device?: string;
      autoStopSeconds?: number;
      /** The mode by name; absent: the mode that lists `appBundleId`, else the default mode. */
      mode?: string;
      /** The bundle id of the app the text is for (the frontmost one when the user asked). */
      appBundleId?: string;
      /** The text selected in that app, for a mode that edits it (selection "edit"); other modes ignore it. */
      selection?: string;
      /**
       * When the user asked for the dictation (epoch ms; its starter's launch): a microphone kept ready
       * (dictation.ready) gives it the audio it recorded from then on. Only a starter that sends it is handed one
       * (it then drops the microphone it opened, as dictation.started's readyMicrophone says).
       */
      pressedAt?: number;
    }
  | { type: "dictation.stop"; id: string; session: string }
  /**
   * Switches a dictation's mode: before its final text is finished, the new mode finishes it; after, its spoken text
   * is finished again by the new mode (the answer's transcript says how). Its model and language stay as they began.
   */
  | { type: "dictation.mode"; id: string; session: string; mode: string }
  /** The client's finished text of a dictation whose finishing is the client's (status "client"), to keep. */
  | { type: "dictation.finished"; id: string; session: string; text: string }
  | { type: "dictation.cancel"; id: string; session: string }
  | { type: "dictation.attach"; id: string; session: string }
  /**
   * From whoever records a dictation's microphone (the capture process, `verbatim dictate`): the device's own start,
   * milliseconds from its opening to its first audio (CoreAudio, a Bluetooth microphone), to log and to list.
   */
  | { type: "dictation.microphone"; id: string; session: string; startMs: number }
  /**
   * From a capture process whose dictation ended, its microphone still open (keepMicrophoneReadyMinutes): it records
   * `device` (absent: the configured one) and is ready for the next dictation of that device. The daemon answers
   * `done` at once when the setting is off, and later when the minutes pass unused or the setting goes off (the
   * microphone then closes); or it hands it a dictation: capture.take, then the session's events (capture.flush: end
   * the audio where it is, then send dictation.stop), until dictation.done or dictation.error.
   */
  | { type: "dictation.ready"; id: string; device?: string }
  /** Keeps the microphone ready this many minutes after a dictation (0: off); saved as keepMicrophoneReadyMinutes. */
  | { type: "dictation.keepReady"; id: string; minutes: number }
  | { type: "dictation.list"; id: string }
  | { type: "dictations.list"; id: string }
  | { type: "dictations.retry"; id: string; recording: string }
  /** Starts a meeting (one at a time); its two capture processes then send each track's audio under its track id. */
  | { type: "meeting.start"; id: string }
  /**
   * From a track's capture process: follows the meeting, answered `done` when the track takes no more audio.
   * `recordedFrom`: when its first sample was recorded (epoch ms), where its audio goes on the meeting's clock (else
   * where its first frame arrives).
   */
  | { type: "meeting.attach"; id: string; track: string; recordedFrom?: number }
  /**
   * Stops the running meeting and makes its final transcript (answered with meetingTranscript); with `mode`, that
   * mode's local model also writes its notes from the transcript.
   */
  | { type: "meeting.stop"; id: string; mode?: string }
  /** The running meeting (answered with `meeting`, absent when none runs). */
  | { type: "meeting.status"; id: string }
  /** The meetings on disk, oldest first (answered with `meetings`). */
  | { type: "meetings.list"; id: string }
  /** Makes the transcript of a meeting that is not recording from its tracks (one a daemon's end interrupted). */
  | { type: "meetings.transcribe"; id: string; meeting: string; mode?: string }
  | { type: "vocabulary.list"; id: string }
  | { type: "vocabulary.add"; id: string; term: string }
  | { type: "vocabulary.add"; id: string; replacement: VocabularyReplacement }
  | { type: "vocabulary.remove"; id: string; term: string }
  /** Removes the replacement whose `from` is this (in any case). */
  | { type: "vocabulary.remove"; id: string; from: string }
  /** Sets how strongly terms are boosted (null: back to the default). */
  | { type: "vocabulary.strength"; id: string; boostStrength: number | null }
  | { type: "modes.list"; id: string }
  | { type: "modes.add"; id: string; mode: DictationMode }
  | { type: "modes.edit"; id: string; name: string; changes: ModeChanges }
  | { type: "modes.remove"; id: string; name: string }
  | { type: "history.list"; id: string; limit?: number; beforeId?: number }
  | { type: "history.search"; id: string; query: string; limit?: number; beforeId?: number }
  | { type: "history.get"; id: string; entry: number }
  | { type: "history.delete"; id: string; entry: number }
  /** Deletes every entry finished before this date (ISO 8601 date or date and time, one that exists). */
  | { type: "history.delete"; id: string; before: string }
  /** How many entries finished before this date (what history.delete with it would delete); deletes nothing. */
  | { type: "history.count"; id: string; before: string }
  | { type: "history.export"; id: string; format: HistoryExportFormat }
  /** Names speakers of an entry with speakers; answered with the entry (historyEntry). */
  | { type: "history.speakers"; id: string; entry: number; names: SpeakerNaming[] }
  /** Turns the OpenAI-compatible HTTP API on or off; absent fields keep their current setting. */
  | {
      type: "api.set";
      id: string;
      enabled: boolean;
      port?: number;
      host?: string;
      tls?: boolean;
      /** The HTTPS port (with tls); by default the plain port + 1. */
      tlsPort?: number;
      /** Origins allowed to read answers (CORS), such as app://obsidian.md; [] for none. */
      allowOrigins?: string[];
    };

export type RequestType = Request["type"];

export type ModelState = "unloaded" | "loading" | "ready" | "failed";

/** The model families the engine runs. */
export type ModelFamily = "whisper" | "parakeet" | "nemotron";

/**
 * What a loaded model can do, as its family says: what a job may ask of it. A job that asks for more is refused with
 * `unsupported`, never quietly done otherwise.
 */
export interface ModelCapabilities {
  family: ModelFamily;
  /**
   * The language codes a job's `language` may name (["en"] for an English-only model); null when the model does not
   * say which it knows (a Parakeet folder outside the catalog): no language may be named then.
   */
  languages: string[] | null;
  /** Task "translate" (into English). */
  translate: boolean;
  /** A job's `prompt`, and the vocabulary's terms, condition the decoder (Whisper's decoder prompt). */
  prompt: boolean;
  /**
   * The vocabulary's terms, and a job's `prompt` read as terms (separated by commas or new lines), are boosted while
   * decoding (a transducer's phrase boosting: Parakeet, Nemotron).
   */
  boosting: boolean;
  /**
   * Whisper's decoding options: temperature, beamSize, bestOf, patience, lengthPenalty, the fallback thresholds,
   * clipTimestamps and hallucinationSilenceThreshold.
   */
  decodingOptions: boolean;
  /** Live dictation (a dictation session's live text). */
  streaming: boolean;
}

export interface DaemonStatus {
  version: string;
  protocol: number;
  pid: number;
  uptimeSeconds: number;
  model: {
    /**
     * The model jobs asking for none run on (the configured one, or the one a client's switch made the default); while
     * a model loads, that model (a switch's, or a job's own).
     */
    id: string;
    /** `id`'s: "failed" while its load's failure stands (jobs asking for none then fail at once, saying why). */
    state: ModelState;
    backend: string | null;
    /** Where the engine computes: "gpu" or "cpu". */
    device: string | null;
    folder: string | null;
    loadSeconds: number | null;
    /**
     * Why `id` did not load (state "failed"); with another state, why the last client's switch failed (the default
     * stayed the model before it). Null when neither.
     */
    error: string | null;
    notice: string | null;
    /** While `state` is "loading": downloading (`fraction` of the current file, `detail` its name and bytes) or loading. */
    progress?: ModelLoadProgress | null;
    /**
     * The model loaded now (`backend`, `device`, `folder` and `capabilities` are its): `id`, the default before it
     * while a switch loads `id`, or the model the last job named for itself (jobs asking for none do not run on it);
     * null when none is loaded. Absent from daemons older than it.
     */
    inUse?: string | null;
    /** What the model in use can do; null when none is loaded. Absent from older daemons. */
    capabilities?: ModelCapabilities | null;
    /**
     * On a Mac whose GPU the engine should use (Apple silicon): why it computes on the CPU (Rosetta, a macOS older
     * than the engine's minimum, MLX's own reason) and what to do; null otherwise. Absent from older daemons.
     */
    gpuProblem?: string | null;
  };
  /**
   * The speaker model jobs with speakers use (config speakerModel), loaded on the first such job beside the speech
   * model and freed with it by the idle unload. Absent from older daemons.
   */
  speakerModel?: {
    id: string;
    state: "unloaded" | "loading" | "ready";
    folder: string | null;
    loadSeconds: number | null;
    /** Why its last load failed (the next job with speakers tries again); null when it did not. */
    error: string | null;
  };
  memory: {
    rssBytes: number;
    peakRssBytes: number | null;
    /** MLX's allocator when the model runs on MLX (on a Mac its buffers live in GPU memory, outside the RSS). */
    mlx: { activeBytes: number; peakBytes: number; cacheBytes: number } | null;
    /** Where the RSS goes (absent from older daemons). */
    breakdown?: MemoryBreakdown;
  };
  queue: { running: string | null; waiting: number };
  /**
   * How a client starts the microphone capture process for a dictation with source "capture": spawn `command` (an
   * absolute node binary, then the absolute path of the capture entry point) with `--session ID` appended; or, to
   * record from before the dictation starts, with `--session -` appended, then write the session's id and a newline
   * to its standard input once `dictation.started` names it (closing it without one closes the microphone).
   */
  capture: {
    command: string[];
    /** keepMicrophoneReadyMinutes (absent from older daemons), and whether a capture process is kept ready now. */
    keepReadyMinutes?: number;
    ready?: boolean;
  };
  history: HistoryStatus;
  /** The OpenAI-compatible HTTP API (absent from daemons older than it). */
  api?: ApiStatus;
  /** Whether the model is unloaded when idle, with what that would give and cost now (absent from older daemons). */
  idleUnload?: IdleUnloadStatus;
  /** The config file the daemon started with (absent from older daemons). */
  config?: ConfigStatus;
  /**
   * Where the daemon keeps models and whether it may download them, from the environment it was started in (which a
   * shell asking may not share). Absent from older daemons.
   */
  hub?: { cacheDir: string; offline: boolean };
}

/**
 * Where a daemon's resident memory goes. The parts are measured apart (the heap's figure counts what it allocated,
 * resident or not), so `otherBytes` is what is left of the RSS, at least 0: code and libraries, thread stacks, and
 * freed heap the allocator keeps (given back when the daemon has been idle a few seconds).
 */
export interface MemoryBreakdown {
  /** The pages of the model's weight files (mapped, not copied) that are in memory now; null before any model loaded. */
  mappedWeightsBytes: number | null;
  /**
   * The C heap in use: the engine's buffers for jobs and live sessions, weights it copied at load (a CPU's 4-bit
   * decoder blocks, a Parakeet packed at load), Node's own buffers. Null where the allocator does not say, or before
   * any model loaded.
   */
  nativeHeapBytes: number | null;
  /** V8's JavaScript heap. */
  jsHeapBytes: number;
  /** The rest of the RSS. */
  otherBytes: number;
}

/** The longest idle time before an unload, in minutes: the longest a timer can wait (2^31 - 1 ms). */
export const MAX_IDLE_UNLOAD_MINUTES = 35791;

/**
 * The idle unload (config idleUnloadMinutes) and its trade-off for the model loaded now: the memory an unload gives
 * back, and the wait it adds to the next job, which loads the model again.
 */
export interface IdleUnloadStatus {
  /** 0: the model stays loaded. */
  minutes: number;
  /** The daemon's RSS now less its RSS before it loaded any model; null while no model is loaded. */
  modelMemoryBytes: number | null;
  /** How long the model in use took to load (the wait an unload adds to the next job); null while none is loaded. */
  loadSeconds: number | null;
}

/** The config file as the daemon read it when it started. */
export interface ConfigStatus {
  file: string;
  /**
   * What in it was not used and why, each saying what was used instead: the whole file when it is not valid JSON or
   * not an object (then every setting is the default), else each invalid setting or vocabulary entry. Empty: none.
   */
  problems: string[];
  /**
   * No model has been chosen yet: the daemon wrote this config file with the defaults when it started, and no client
   * has switched the model since. Clients offer the first-run choice (the Whisper default or Parakeet) then; the
   * model loads when it is chosen or first used. Absent from older daemons.
   */
  firstRun?: boolean;
}

/** The transcript history: whether it is on, what went wrong with its database (if anything did), kept recordings. */
export interface HistoryStatus {
  enabled: boolean;
  /** The latest of `notices` (null: none). */
  notice: string | null;
  /**
   * What is wrong with the history now (its database locked, transcripts waiting to be written), or was and should be
   * known (a damaged file moved aside, and where), oldest first; each clears once resolved. Absent from older daemons.
   */
  notices?: string[];
  /** How many recordings are kept with history entries, and their size on disk (while the history is on). */
  recordings?: { count: number; bytes: number };
}

/** The OpenAI-compatible HTTP API: where it listens, or why it does not. */
export interface ApiStatus {
  enabled: boolean;
  /** The base URL clients are given (".../v1", plain HTTP); null while it is not listening. */
  url: string | null;
  tls: boolean;
  /** With TLS: the HTTPS base URL, on a port of its own beside `url`; else null (absent from older daemons). */
  tlsUrl?: string | null;
  /** With TLS: the self-signed certificate (PEM) clients are told to trust. */
  certificate: string | null;
  /** The bearer token's file (0600). */
  tokenFile: string;
  /** Origins allowed to read answers (CORS); empty: none, so no web page can. */
  allowOrigins: string[];
  /** Why it is not listening although enabled (a port in use), else null. */
  error: string | null;
}

export interface ModelLoadProgress {
  stage: "download" | "loading";
  fraction: number | null;
  detail?: string;
}

export interface WordTiming {
  word: string;
  start: number;
  end: number;
  probability: number;
  /** A transcript with speakers only: who said it (0-based, in the order the speakers first spoke). */
  speaker?: number;
  /** A transcript with speakers only: true when two speakers were speaking at once during the word. */
  overlap?: boolean;
}

export interface SegmentData {
  start: number;
  end: number;
  text: string;
  words?: WordTiming[];
  /** A transcript with speakers only: who said it (a segment is split where the speaker changes). */
  speaker?: number;
}

/** Consecutive segments of one speaker: what a transcript with speakers shows as one line. */
export interface SpeakerTurn {
  speaker: number;
  start: number;
  end: number;
  text: string;
}

/** Names a user gave a transcript's speakers: index = speaker; null or missing: "Speaker N" (N = speaker + 1). */
export type SpeakerNames = readonly (string | null)[];

export interface TranscriptData {
  text: string;
  language: string | null;
  durationSeconds: number;
  segments: SegmentData[];
  model: string;
  backend: string;
  /** A transcript with speakers only: how many speakers the speaker model told apart. */
  speakers?: number;
  /** Dictation only: true when it heard no speech (or its speech gave no words); its text is then empty. */
  noSpeech?: boolean;
  /** Dictation only: its mode and how its text was finished; `text` is the finished text when there is one. */
  finishing?: FinishingData;
}

/** A meeting's tracks: the microphone (the user, "You") and the system's audio (the others). */
export type MeetingTrackName = "microphone" | "system";

export interface MeetingTrackInfo {
  /** The id its capture process sends audio under (`verbatim capture --meeting-track ID`). */
  id: string;
  /** Its WAV on disk (16 kHz mono 16-bit), written as the audio arrives. */
  file: string;
  /** Seconds of audio recorded so far. */
  seconds: number;
  /** Whether a capture process is sending it audio now. */
  capturing: boolean;
}

/** A line of a meeting's live text: an utterance of a track, transcribed once it ended. */
export interface MeetingLiveLine {
  /**
   * "You" (the microphone's); the system's audio's "Speaker 2" and on, by the speaker model's stream (numbered as
   * they first speak live, which the final transcript's numbering may not follow), or "Others" where it is not there
   * (speakersProblem says why) or did not place the line.
   */
  speaker: string;
  /** Seconds on the meeting's clock. */
  start: number;
  end: number;
  text: string;
}

export interface MeetingInfo {
  meeting: string;
  startedAt: string;
  /** "recording" until meeting.stop; "transcribing" while its final transcript is made. */
  state: "recording" | "transcribing";
  /** Its folder: the tracks and meeting.json. */
  folder: string;
  tracks: Record<MeetingTrackName, MeetingTrackInfo>;
  /** The latest lines of live text (at most 20), oldest first. */
  live: MeetingLiveLine[];
  /** Why the system's live lines are "Others" rather than named speakers (no speaker model on disk, or it failed). */
  speakersProblem?: string;
}

/** A meeting on disk (meetings.list): one recording now, or ended (finished, or interrupted by the daemon's end). */
export interface MeetingRecord {
  meeting: string;
  startedAt: string;
  state: "recording" | "interrupted" | "finished" | "failed";
  folder: string;
  tracks: Record<MeetingTrackName, { file: string; seconds: number }>;
  /** Why it was interrupted or failed. */
  error?: string;
}

/** A meeting's notes by a mode's local model (a summary, action items): beside its transcript, never instead. */
export interface MeetingNotes {
  mode: string;
  /** null when the model gave none (the notice says why). */
  text: string | null;
  notice?: string;
}

/** A meeting's final transcript: speaker 0 is the microphone's ("You"), the others the system track's speakers. */
export interface MeetingTranscriptData {
  meeting: string;
  transcript: TranscriptData;
  /** Names by speaker: "You", then "Speaker 2" and on. */
  speakerNames: string[];
  /** The tracks' WAV files. */
  tracks: Record<MeetingTrackName, string>;
  /** Words of the microphone track dropped as the system's audio heard through the speakers (echo). */
  echoWords: number;
  /** The notes the request's mode wrote, when it named one. */
  notes?: MeetingNotes;
}

export interface CachedModelData {
  repoId: string;
  folder: string;
  sizeBytes: number;
  complete: boolean;
}

export type DictationState = "running" | "stopping" | "done" | "failed" | "cancelled";

export interface DictationInfo {
  session: string;
  source: DictationSource;
  state: DictationState;
  /** ISO 8601. */
  startedAt: string;
  audioSeconds: number;
  /** The recording's id (see RecordingInfo), null once it was deleted. */
  recording: string | null;
  device?: string;
  /** Its mode's name (absent from daemons before modes). */
  mode?: string;
  /** Its microphone's own start (ms from its opening to its first audio), once its recorder has said. */
  microphoneStartMs?: number;
}

/**
 * A dictation's recording on disk. "interrupted": the daemon stopped (or died) during the dictation; "failed": its
 * recognition failed; "undelivered": recognised, but no client received the text; "delivered": kept by keepRecordings.
 */
export interface RecordingInfo {
  id: string;
  file: string;
  startedAt: string;
  audioSeconds: number;
  state: "interrupted" | "failed" | "undelivered" | "delivered";
  error?: string;
}

export type ErrorCode =
  | "bad_message" // not JSON, not an object, a missing or mistyped field
  | "unknown_type" // a request type this daemon does not know
  | "too_large" // a message or upload over the limits
  | "protocol_version" // the client speaks a protocol this daemon does not
  | "not_found" // no such job, file or model
  | "audio" // the audio could not be read or decoded
  | "model" // the model could not be found, downloaded or loaded
  | "cancelled"
  | "timeout" // the model did not become ready in time
  | "engine" // the engine failed
  | "busy" // a dictation (or a meeting) is already running
  | "config" // the config file could not be read or written (the message says what to fix)
  | "history" // the history is off, or its database could not be used (the message says what to do)
  | "unsupported" // the model cannot do what the options ask (translate with an English-only model)
  | "disk" // the daemon could not write what the job needs (an upload, its decoded audio): a full disk
  | "shutting_down";

export type Event =
  | { type: "welcome"; id: string; protocol: number; version: string }
  | { type: "status"; id: string; status: DaemonStatus }
  | { type: "accepted"; id: string; position: number }
  | { type: "notice"; id: string; message: string }
  | {
      type: "progress";
      id: string;
      stage: "queued" | "download" | "loading" | "decoding" | "detecting" | "transcribing" | "speakers";
      fraction: number | null;
      detail?: string;
    }
  /** Provisional text; `restart`: first discard the provisional text received since the last segment. */
  | { type: "token"; id: string; text: string; restart?: boolean }
  | { type: "segment"; id: string; segment: SegmentData }
  /** `running`: the answer to a "result" request for a job that has not finished yet. */
  | {
      type: "done";
      id: string;
      transcript?: TranscriptData;
      models?: CachedModelData[];
      running?: boolean;
      dictations?: DictationInfo[];
      recordings?: RecordingInfo[];
      vocabulary?: VocabularyData;
      modes?: ModesData;
      history?: HistoryPage;
      historyEntry?: HistoryEntryDetail;
      /** history.delete: how many entries were deleted. */
      deleted?: number;
      /** history.count: how many entries finished before the date. */
      count?: number;
      /** history.export: the whole history in the format asked for. */
      exported?: string;
      /** api.set: the API as it now is. */
      api?: ApiStatus;
      /** idleUnload.set: the setting as it now is, with its figures. */
      idleUnload?: IdleUnloadStatus;
      /** dictation.keepReady: the setting as it now is. */
      keepMicrophoneReadyMinutes?: number;
      /** meeting.start and meeting.status: the meeting. */
      meeting?: MeetingInfo;
      /** meeting.stop and meetings.transcribe: the final transcript. */
      meetingTranscript?: MeetingTranscriptData;
      /** meetings.list: the meetings on disk. */
      meetings?: MeetingRecord[];
    }
  | { type: "error"; id: string | null; code: ErrorCode; message: string }
  // A dictation's events go to every client following it (its start or attach request's id); `at`: seconds of audio
  // the session had received. A following request ends with dictation.done or dictation.error.
  /** `mode`: the mode it runs in (which finishes its text unless dictation.mode switches it). */
  /**
   * `readyMicrophone`: a microphone kept ready records this dictation, from its pressedAt on (its starter drops the
   * microphone it opened); `keepMicrophoneReady`: keepMicrophoneReadyMinutes is on, so a starter that recorded in
   * its own process may leave a capture process ready behind it.
   */
  | {
      type: "dictation.started";
      id: string;
      session: string;
      recording: string;
      at: number;
      mode: DictationMode;
      readyMicrophone?: boolean;
      keepMicrophoneReady?: boolean;
    }
  /** To a ready capture process (dictation.ready's id): record into `session`, from `since` (epoch ms) on. */
  | { type: "capture.take"; id: string; session: string; since: number }
  /** To the ready capture recording `session`: a client asked it to stop; send what was read, then dictation.stop. */
  | { type: "capture.flush"; id: string; session: string }
  /** Newly committed text (never taken back until the utterance's final text replaces it) and the current guess. */
  | {
      type: "dictation.committed";
      id: string;
      session: string;
      utterance: number;
      text: string;
      tentativeText: string;
      at: number;
    }
  /** The final text of an utterance. */
  | {
      type: "dictation.utterance";
      id: string;
      session: string;
      index: number;
      text: string;
      start: number;
      end: number;
      segments: SegmentData[];
      at: number;
    }
  /** Input level (0-1) about ten times a second, for a meter. */
  | { type: "dictation.level"; id: string; session: string; rms: number; peak: number; at: number }
  | { type: "dictation.microphone_silent"; id: string; session: string; message: string; at: number }
  /** The dictation takes no more audio; its final pass runs and dictation.done (or dictation.error) follows. */
  | { type: "dictation.stopping"; id: string; session: string; reason: DictationStopReason; at: number }
  | { type: "dictation.done"; id: string; session: string; transcript: TranscriptData; at: number }
  | { type: "dictation.error"; id: string; session: string; code: ErrorCode; message: string; at: number };

export type EventType = Event["type"];

/** A failure to validate an incoming message, carrying the code the reply will have. */
export class ProtocolError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly requestId: string | null = null,
  ) {
    super(message);
    this.name = "ProtocolError";
  }
}

type Fields = Record<string, unknown>;

function field<T>(
  message: Fields,
  name: string,
  check: (value: unknown) => value is T,
  expected: string,
  optional: true,
): T | undefined;
function field<T>(
  message: Fields,
  name: string,
  check: (value: unknown) => value is T,
  expected: string,
  optional?: false,
): T;
function field<T>(
  message: Fields,
  name: string,
  check: (value: unknown) => value is T,
  expected: string,
  optional = false,
) {
  const value = message[name];
  if (value === undefined && optional) return undefined;
  if (!check(value)) {
    const id = typeof message.id === "string" ? message.id : null;
    throw new ProtocolError("bad_message", `"${name}" must be ${expected}`, id);
  }
  return value;
}

const isString = (v: unknown): v is string => typeof v === "string" && v.length > 0 && v.length <= 4096;
/** A path or model name: no file system takes a NUL character in one. */
const isPath = (v: unknown): v is string => isString(v) && !v.includes("\0");
const WITHOUT_NUL = "without NUL characters (\\u0000); send the path as it is on disk";
const isBoolean = (v: unknown): v is boolean => typeof v === "boolean";
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isAutoStop = (v: unknown): v is number => typeof v === "number" && v >= 0 && v <= MAX_AUTO_STOP_SECONDS;
const isTemperature = (v: unknown): v is number => typeof v === "number" && v >= 0 && v <= 1;
const isSeconds = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0;
const isJobTerm = (v: unknown): v is string =>
  typeof v === "string" && v.trim().length > 0 && v.length <= MAX_JOB_TERM_CHARS && !CONTROL.test(v);
const isTermList = (v: unknown): v is string[] => Array.isArray(v) && v.length <= MAX_JOB_TERMS && v.every(isJobTerm);
const isSelection = (v: unknown): v is string => typeof v === "string" && v.length <= MAX_SELECTION_CHARS;
const isSpeakerCount = (v: unknown): v is number | "auto" =>
  v === "auto" || (Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= MAX_SPEAKERS);
const isClipList = (v: unknown): v is number[] =>
  Array.isArray(v) && v.length <= MAX_CLIP_TIMESTAMPS && v.every(isSeconds);
const isObject = (v: unknown): v is Fields => typeof v === "object" && v !== null && !Array.isArray(v);
const oneOf =
  <T extends string>(...values: T[]) =>
  (v: unknown): v is T =>
    values.includes(v as T);

function parseOptions(message: Fields): TranscriptionOptions | undefined {
  const raw = field(message, "options", isObject, "an object", true);
  if (!raw) return undefined;
  const options: TranscriptionOptions = {};
  const model = field(raw, "model", isPath, `a model id or folder ${WITHOUT_NUL}`, true);
  const language = field(raw, "language", isString, "a language code", true);
  const task = field(raw, "task", oneOf("transcribe", "translate"), '"transcribe" or "translate"', true);
  const wordTimestamps = field(raw, "wordTimestamps", isBoolean, "true or false", true);
  const prompt = field(raw, "prompt", isString, "text", true);
  const terms = field(
    raw,
    "terms",
    isTermList,
    `a list of at most ${MAX_JOB_TERMS} terms, each 1 to ${MAX_JOB_TERM_CHARS} characters on one line`,
    true,
  );
  const app = field(raw, "app", isString, "the name of an app", true);
  const vad = field(raw, "vad", isBoolean, "true or false", true);
  const temperature = field(raw, "temperature", isTemperature, "a number from 0 to 1", true);
  const clipTimestamps = field(
    raw,
    "clipTimestamps",
    isClipList,
    `a list of at most ${MAX_CLIP_TIMESTAMPS} times in seconds (start, end, start, end, …), none negative`,
    true,
  );
  const speakers = field(raw, "speakers", isSpeakerCount, `"auto" or a whole number from 1 to ${MAX_SPEAKERS}`, true);
  const hallucinationSilenceThreshold = field(
    raw,
    "hallucinationSilenceThreshold",
    isSeconds,
    "seconds (a number, not negative)",
    true,
  );
  const decoding: Partial<Record<DecodingOptionName, number | null>> = {};
  for (const name of DECODING_OPTION_NAMES) {
    const value = field(
      raw,
      name,
      (v): v is number | null => validDecodingOption(name, v),
      decodingOptionExpected(name),
      true,
    );
    if (value !== undefined) decoding[name] = value;
  }
  if (vad === true && clipTimestamps !== undefined && clipTimestamps.length > 0) {
    const id = typeof message.id === "string" ? message.id : null;
    throw new ProtocolError("bad_message", '"clipTimestamps" choose what to decode: give them without "vad": true', id);
  }
  if (model !== undefined) options.model = model;
  if (language !== undefined) options.language = language;
  if (task !== undefined) options.task = task;
  if (wordTimestamps !== undefined) options.wordTimestamps = wordTimestamps;
  if (prompt !== undefined) options.prompt = prompt;
  if (terms !== undefined) options.terms = terms;
  if (app !== undefined) options.app = app;
  if (vad !== undefined) options.vad = vad;
  if (temperature !== undefined) options.temperature = temperature;
  if (clipTimestamps !== undefined) options.clipTimestamps = clipTimestamps;
  if (speakers !== undefined) options.speakers = speakers;
  if (hallucinationSilenceThreshold !== undefined)
    options.hallucinationSilenceThreshold = hallucinationSilenceThreshold;
  return { ...options, ...decoding } as TranscriptionOptions;
}

function parseSource(message: Fields): AudioSource {
  const source = field(message, "source", isObject, "an object", false);
  const kind = field(source, "kind", oneOf("file", "upload"), '"file" or "upload"');
  if (kind === "file") return { kind, path: field(source, "path", isPath, `an absolute file path ${WITHOUT_NUL}`) };
  const bytes = field(source, "bytes", isCount, "a byte count");
  if (bytes > MAX_UPLOAD_BYTES) {
    throw new ProtocolError("too_large", `uploads are limited to ${MAX_UPLOAD_BYTES} bytes`, message.id as string);
  }
  const name = field(source, "name", isString, "a file name", true);
  return name === undefined ? { kind, bytes } : { kind, bytes, name };
}

function parseVocabularyEdit(message: Fields, type: "vocabulary.add" | "vocabulary.remove", id: string): Request {
  if (message.term !== undefined) {
    const term = field(message, "term", isString, "a term (text)");
    return type === "vocabulary.add" ? { type, id, term } : { type, id, term };
  }
  if (type === "vocabulary.remove")
    return { type, id, from: field(message, "from", isString, 'the "from" of a replacement (or give "term")') };
  const raw = field(message, "replacement", isObject, 'an object {"from", "to", "case"?} (or give "term")');
  const replacement: VocabularyReplacement = {
    from: field(raw, "from", isString, "the text to replace"),
    to: field(raw, "to", isString, "the text to write instead"),
  };
  const rule = field(raw, "case", oneOf("keep", "exact"), '"keep" or "exact"', true);
  if (rule !== undefined) replacement.case = rule;
  return { type, id, replacement };
}

/** A web origin, scheme://host[:port], as CORS compares them. */
export function isOrigin(value: unknown): value is string {
  return typeof value === "string" && /^[a-z][a-z0-9+.-]*:\/\/[^/\s?#]+$/i.test(value);
}

const isOriginList = (v: unknown): v is string[] => Array.isArray(v) && v.length <= 64 && v.every(isOrigin);
const isPort = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535;
const isEntryId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
const isSpeakerNaming = (v: unknown): v is SpeakerNaming =>
  isObject(v) &&
  Number.isSafeInteger(v.speaker) &&
  (v.speaker as number) >= 0 &&
  (v.name === null || (typeof v.name === "string" && v.name.length <= MAX_SPEAKER_NAME));
const isSpeakerNamings = (v: unknown): v is SpeakerNaming[] =>
  Array.isArray(v) && v.length > 0 && v.length <= 64 && v.every(isSpeakerNaming);
const isPageSize = (v: unknown): v is number => isEntryId(v) && (v as number) <= MAX_HISTORY_PAGE;
const isDate = (v: unknown): v is string => typeof v === "string" && parseIsoDate(v) !== null;

/**
 * An ISO 8601 date (YYYY-MM-DD: midnight UTC) or date and time (YYYY-MM-DDTHH:MM[:SS[.fff]], then Z, ±HH:MM or
 * nothing for local time) as the moment it names; null unless every part exists: 2026-02-30, 2026-11-31, 2026-13-45
 * and 24:00 are null, never rolled over into another day.
 */
export function parseIsoDate(text: string): Date | null {
  const match =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):?(\d{2}))?)?$/.exec(
      text,
    );
  if (!match) return null;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(match[i] ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  if (monthDays === undefined || day < 1 || day > monthDays || hour > 23 || minute > 59 || second > 59) return null;
  const [offsetHours, offsetMinutes] = [Number(match[10] ?? 0), Number(match[11] ?? 0)];
  if (offsetHours > 23 || offsetMinutes > 59) return null;
  const milliseconds = Number((match[7] ?? "").padEnd(3, "0").slice(0, 3));
  const date = new Date(0);
  if (match[4] !== undefined && match[8] === undefined) {
    date.setFullYear(year, month - 1, day); // a date and time without an offset is local time, as Date.parse has it
    date.setHours(hour, minute, second, milliseconds);
    return date;
  }
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, milliseconds);
  const offset = (match[9] === "-" ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  return new Date(date.getTime() - offset);
}

/** The "before" of history.delete and history.count: a date that exists (2026-02-30 deletes nothing: bad_message). */
function beforeDate(message: Fields, id: string): string {
  const before = message.before;
  if (isDate(before)) return before;
  const given = typeof before === "string" ? `, not ${JSON.stringify(before.slice(0, 40))}` : "";
  throw new ProtocolError(
    "bad_message",
    `"before" must be an ISO 8601 date that exists, such as 2026-01-31 or 2026-01-31T18:30:00Z${given}`,
    id,
  );
}

function parseHistoryRequest(message: Fields, type: `history.${string}`, id: string): Request {
  const page = () => {
    const limit = field(message, "limit", isPageSize, `a whole number from 1 to ${MAX_HISTORY_PAGE}`, true);
    const beforeId = field(message, "beforeId", isEntryId, "an entry id (a page's nextBeforeId)", true);
    return { ...(limit !== undefined && { limit }), ...(beforeId !== undefined && { beforeId }) };
  };
  switch (type) {
    case "history.list":
      return { type, id, ...page() };
    case "history.search":
      return { type, id, query: field(message, "query", isString, "the text to search for"), ...page() };
    case "history.get":
      return { type, id, entry: field(message, "entry", isEntryId, "an entry id") };
    case "history.delete":
      if (message.before !== undefined && message.entry !== undefined)
        throw new ProtocolError("bad_message", 'give either "entry" or "before", not both', id);
      if (message.before !== undefined) return { type, id, before: beforeDate(message, id) };
      return { type, id, entry: field(message, "entry", isEntryId, 'an entry id (or give "before", a date)') };
    case "history.count":
      return { type, id, before: beforeDate(message, id) };
    case "history.export":
      return { type, id, format: field(message, "format", oneOf("json", "markdown"), '"json" or "markdown"') };
    case "history.speakers": {
      const entry = field(message, "entry", isEntryId, "an entry id");
      const namings = `a list of { "speaker": 0-based number, "name": up to ${MAX_SPEAKER_NAME} characters or null }`;
      return { type, id, entry, names: field(message, "names", isSpeakerNamings, namings) };
    }
    default:
      throw new ProtocolError("unknown_type", `unknown request type "${type}"`, id);
  }
}

/** Parses and validates one JSON text frame from a client. Throws ProtocolError. */
export function parseRequest(text: string): Request {
  if (text.length > MAX_MESSAGE_BYTES)
    throw new ProtocolError("too_large", `messages are limited to ${MAX_MESSAGE_BYTES} bytes`);
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    throw new ProtocolError("bad_message", "the message is not valid JSON");
  }
  if (!isObject(message)) throw new ProtocolError("bad_message", "the message must be a JSON object");
  const id = field(message, "id", isString, "a non-empty string");
  try {
    return parseRequestBody(message, id);
  } catch (error) {
    // Nested fields do not know the request's id: answer with it all the same.
    if (error instanceof ProtocolError && error.requestId === null)
      throw new ProtocolError(error.code, error.message, id);
    throw error;
  }
}

function parseRequestBody(message: Fields, id: string): Request {
  const type = field(message, "type", isString, "a request type");
  switch (type) {
    case "hello": {
      const client = field(message, "client", isString, "a client name", true);
      const protocol = field(message, "protocol", isCount, "a protocol version number");
      return client === undefined ? { type, id, protocol } : { type, id, protocol, client };
    }
    case "status":
    case "models.list":
    case "shutdown":
    case "dictation.list":
    case "dictations.list":
      return { type, id };
    case "dictation.start": {
      const source = field(message, "source", oneOf("capture", "stream"), '"capture" or "stream"');
      const device = field(message, "device", isString, "an input device name or index", true);
      const autoStopSeconds = field(
        message,
        "autoStopSeconds",
        isAutoStop,
        `seconds from 0 (never) to ${MAX_AUTO_STOP_SECONDS}`,
        true,
      );
      const mode = field(message, "mode", isString, "a mode's name", true);
      const appBundleId = field(message, "appBundleId", isString, "an app's bundle id", true);
      const selection = field(
        message,
        "selection",
        isSelection,
        `the selected text, at most ${MAX_SELECTION_CHARS} characters`,
        true,
      );
      const pressedAt = field(message, "pressedAt", isEpochMs, "a time in epoch milliseconds", true);
      const request: Request = { type, id, source };
      if (pressedAt !== undefined) request.pressedAt = pressedAt;
      const options = parseOptions(message);
      if (options) request.options = options;
      if (device !== undefined) request.device = device;
      if (autoStopSeconds !== undefined) request.autoStopSeconds = autoStopSeconds;
      if (mode !== undefined) request.mode = mode;
      if (appBundleId !== undefined) request.appBundleId = appBundleId;
      if (selection) request.selection = selection;
      return request;
    }
    case "dictation.finished": {
      const session = field(message, "session", isString, "a dictation session id");
      const text = message.text;
      if (typeof text !== "string" || text.length > MAX_FINISHED_CHARS)
        throw new ProtocolError(
          "bad_message",
          `"text" must be the finished text (at most ${MAX_FINISHED_CHARS} characters)`,
          id,
        );
      return { type, id, session, text };
    }
    case "dictation.mode":
      return {
        type,
        id,
        session: field(message, "session", isString, "a dictation session id"),
        mode: field(message, "mode", isString, "a mode's name"),
      };
    case "modes.list":
      return { type, id };
    case "modes.add": {
      const mode = field(message, "mode", isObject, "a mode {name, apps?, finishing?, deliver?, …}");
      const unknown = Object.keys(mode).find((key) => !MODE_FIELDS.includes(key));
      if (unknown !== undefined) throw new ProtocolError("bad_message", `"${unknown}" is not a field of a mode`, id);
      const full = { apps: [], finishing: "none", deliver: "paste", ...mode };
      const problem = modeProblem(full);
      if (problem) throw new ProtocolError("bad_message", `the mode cannot be used: ${problem}`, id);
      return { type, id, mode: full as unknown as DictationMode };
    }
    case "modes.edit": {
      const name = field(message, "name", isString, "a mode's name");
      const changes = field(message, "changes", isObject, "an object of the fields to change (null clears one)");
      const unknown = Object.keys(changes).find((key) => !MODE_CHANGE_KEYS.includes(key));
      if (unknown !== undefined)
        throw new ProtocolError("bad_message", `"${unknown}" is not a field a mode edit changes`, id);
      return { type, id, name, changes: changes as ModeChanges };
    }
    case "modes.remove":
      return { type, id, name: field(message, "name", isString, "a mode's name") };
    case "dictation.stop":
    case "dictation.cancel":
    case "dictation.attach":
      return { type, id, session: field(message, "session", isString, "a dictation session id") };
    case "dictation.ready": {
      const device = field(message, "device", isString, "an input device name or index", true);
      return device === undefined ? { type, id } : { type, id, device };
    }
    case "dictation.keepReady": {
      const expected = `minutes from 0 (off) to ${MAX_KEEP_MICROPHONE_READY_MINUTES}`;
      return { type, id, minutes: field(message, "minutes", isKeepReadyMinutes, expected) };
    }
    case "dictation.microphone": {
      const session = field(message, "session", isString, "a dictation session id");
      const startMs = field(message, "startMs", isStartMs, "milliseconds from 0 to 60000");
      return { type, id, session, startMs };
    }
    case "dictations.retry":
      return { type, id, recording: field(message, "recording", isString, "a recording id") };
    case "meeting.start":
    case "meeting.status":
    case "meetings.list":
      return { type, id };
    case "meeting.stop": {
      const mode = field(message, "mode", isString, "a mode's name", true);
      return mode === undefined ? { type, id } : { type, id, mode };
    }
    case "meetings.transcribe": {
      const meeting = field(message, "meeting", isString, "a meeting id");
      const mode = field(message, "mode", isString, "a mode's name", true);
      return mode === undefined ? { type, id, meeting } : { type, id, meeting, mode };
    }
    case "meeting.attach": {
      const track = field(message, "track", isString, "a meeting track id");
      const recordedFrom = field(
        message,
        "recordedFrom",
        isSeconds,
        "epoch milliseconds (a number of 0 or more)",
        true,
      );
      return recordedFrom === undefined ? { type, id, track } : { type, id, track, recordedFrom };
    }
    case "vocabulary.list":
      return { type, id };
    case "vocabulary.add":
    case "vocabulary.remove":
      return parseVocabularyEdit(message, type, id);
    case "vocabulary.strength": {
      const boostStrength = message.boostStrength;
      if (boostStrength !== null && !isBoostStrength(boostStrength)) {
        throw new ProtocolError(
          "bad_message",
          `"boostStrength" must be a number from 0 to ${MAX_BOOST_STRENGTH} (or null for the model's default), ` +
            `not ${JSON.stringify(boostStrength) ?? "nothing"}`,
          id,
        );
      }
      return { type, id, boostStrength };
    }
    case "history.list":
    case "history.search":
    case "history.get":
    case "history.delete":
    case "history.count":
    case "history.export":
    case "history.speakers":
      return parseHistoryRequest(message, type, id);
    case "transcribe": {
      const priority = field(message, "priority", oneOf("interactive", "batch"), '"interactive" or "batch"', true);
      const detached = field(message, "detached", isBoolean, "true or false", true);
      const request: Request = { type, id, source: parseSource(message) };
      const options = parseOptions(message);
      if (options) request.options = options;
      if (priority) request.priority = priority;
      if (detached !== undefined) request.detached = detached;
      return request;
    }
    case "cancel":
    case "result":
      return { type, id, job: field(message, "job", isString, "a job id") };
    case "api.set": {
      const request: Request = { type, id, enabled: field(message, "enabled", isBoolean, "true or false") };
      const port = field(message, "port", isPort, "a TCP port from 1 to 65535", true);
      const host = field(message, "host", isString, "an address to listen on", true);
      const tls = field(message, "tls", isBoolean, "true or false", true);
      const tlsPort = field(message, "tlsPort", isPort, "a TCP port from 1 to 65535", true);
      const origins = field(message, "allowOrigins", isOriginList, "a list of origins (scheme://host)", true);
      if (port !== undefined) request.port = port;
      if (host !== undefined) request.host = host;
      if (tls !== undefined) request.tls = tls;
      if (tlsPort !== undefined) request.tlsPort = tlsPort;
      if (origins !== undefined) request.allowOrigins = origins;
      return request;
    }
    case "idleUnload.set": {
      const minutes = field(
        message,
        "minutes",
        (v): v is number => typeof v === "number" && v >= 0 && v <= MAX_IDLE_UNLOAD_MINUTES,
        `minutes from 0 (keep the model loaded) to ${MAX_IDLE_UNLOAD_MINUTES}`,
      );
      return { type, id, minutes };
    }
    case "model.switch":
    case "models.pull":
    case "models.remove":
      return { type, id, model: field(message, "model", isPath, `a model id or folder ${WITHOUT_NUL}`) };
    default:
      throw new ProtocolError("unknown_type", `unknown request type "${type}"`, id);
  }
}

/** Parses one JSON text frame from the daemon. Clients trust the daemon, so this checks only the envelope. */
export function parseEvent(text: string): Event {
  const event: unknown = JSON.parse(text);
  if (!isObject(event) || typeof event.type !== "string") throw new Error("the daemon sent a message without a type");
  return event as Event;
}

// Binary frames: [1 byte: id length n][n bytes: request id, UTF-8][payload].
export function encodeAudioFrame(requestId: string, payload: Uint8Array): Uint8Array {
  const id = new TextEncoder().encode(requestId);
  if (id.length === 0 || id.length > 255) throw new Error("request ids in binary frames must be 1 to 255 bytes");
  const frame = new Uint8Array(1 + id.length + payload.length);
  frame[0] = id.length;
  frame.set(id, 1);
  frame.set(payload, 1 + id.length);
  return frame;
}

export function decodeAudioFrame(frame: Uint8Array): { requestId: string; payload: Uint8Array } {
  const length = frame[0] ?? 0;
  if (length === 0 || frame.length < 1 + length) {
    throw new ProtocolError("bad_message", "a binary frame must start with the length and id of its request");
  }
  const requestId = new TextDecoder("utf-8", { fatal: false }).decode(frame.subarray(1, 1 + length));
  return { requestId, payload: frame.subarray(1 + length) };
}
