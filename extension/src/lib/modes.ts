// Modes as the extension uses them: which mode a dictation started in an app gets (the daemon's rule, so the
// extension knows it before the daemon answers), the options sent with it, what happens to its text (the mode's
// deliver), and Manage Modes' form: its values as a mode, each problem under its field, the edit to send.
import {
  DEFAULT_FINISHING_ENDPOINT,
  finishingLeavesMachine,
  modeProblem,
  type Delivery,
  type DictationMode,
  type FinishingEngine,
  type HistoryEntry,
  type ModeChanges,
  type ModesData,
  type SelectionUse,
  type TranscriptionOptions,
} from "../verbatimd/protocol";
import type { DaemonClient } from "./daemon-connection";
import { DAEMON_MODEL } from "./model-choices";
import type { FinishedTextAction } from "./outputs";
import { selectionFields, type ReadSelection } from "./selection";

export type { Delivery, DictationMode, FinishingEngine, ModesData };

/** The mode of a dictation whose app no mode lists (the daemon's default). */
export const DEFAULT_MODE = "Plain";

/** The daemon's choice for a dictation started in `bundleId`: the first mode listing it (any case), else the default. */
export function modeForApp(data: ModesData, bundleId: string | undefined): DictationMode | null {
  const app = bundleId?.toLowerCase();
  const listing = app ? data.modes.find((mode) => mode.apps.some((id) => id.toLowerCase() === app)) : undefined;
  if (listing) return listing;
  const wanted = (data.defaultMode || DEFAULT_MODE).trim().toLowerCase();
  return data.modes.find((mode) => mode.name.trim().toLowerCase() === wanted) ?? null;
}

/**
 * The fields of dictation.start for a dictation begun in `bundleId`: the preferences' options, less the model and
 * language the mode sets (a mode is for an app, so it is more particular than the preferences), and the app's bundle
 * id for the daemon to choose the mode by.
 */
export function dictationStartFields(
  options: TranscriptionOptions,
  mode: DictationMode | null,
  bundleId: string | undefined,
): { options: TranscriptionOptions; appBundleId?: string } {
  const fields: TranscriptionOptions = { ...options };
  if (mode?.model) delete fields.model;
  if (mode?.language) delete fields.language;
  return { options: fields, ...(bundleId && { appBundleId: bundleId }) };
}

/**
 * The start of a dictation in the app `bundleId`: the modes (none from a daemon that does not know them), the mode
 * the daemon will choose, and the fields to send: with the selected text's terms (and, for an edit, the text) when
 * the mode uses the selection, which is read then and only then (`readSelection`).
 */
export async function startInApp(
  client: DaemonClient,
  options: TranscriptionOptions,
  bundleId: string | undefined,
  readSelection?: ReadSelection,
): Promise<{ mode: DictationMode | null; options: TranscriptionOptions; appBundleId?: string; selection?: string }> {
  const modes = await loadModes(client).catch(() => null);
  const mode = modes ? modeForApp(modes, bundleId) : null;
  const fields = dictationStartFields(options, mode, modes ? bundleId : undefined);
  return { mode, ...fields, ...(await selectionFields(mode, fields.options, readSelection)) };
}

/** What a command does with a dictation's text: paste, copy, both, nothing, and whether Return follows the paste. */
export interface DeliveryPlan {
  action: FinishedTextAction;
  pressReturn: boolean;
}

/**
 * The delivery of a dictation's text. The mode's `copy` copies and `paste-return` pastes and presses Return, in every
 * command; its `paste` (every built-in mode's, and a daemon's without modes) does what the command does without modes:
 * Dictate what Finished Text says, Toggle Dictation and the menu bar paste (and copy, with Finished Text's Copy and
 * Paste).
 */
export function deliveryPlan(
  deliver: Delivery | undefined,
  finishedText: FinishedTextAction,
  command: "dictate" | "hotkey",
): DeliveryPlan {
  const alsoCopy = finishedText === "both";
  if (deliver === "copy") return { action: "copy", pressReturn: false };
  if (deliver === "paste-return") return { action: alsoCopy ? "both" : "paste", pressReturn: true };
  if (command === "dictate") return { action: finishedText, pressReturn: false };
  return { action: alsoCopy ? "both" : "paste", pressReturn: false };
}

/** Enter's title in Dictate while recording. */
export function stopTitle(plan: DeliveryPlan): string {
  if (plan.pressReturn) return plan.action === "both" ? "Stop, Send and Copy" : "Stop and Send";
  return { paste: "Stop and Insert", both: "Stop, Insert and Copy", copy: "Stop and Copy", nothing: "Stop" }[
    plan.action
  ];
}

export const ENGINE_TITLES: Record<FinishingEngine, string> = {
  none: "None",
  raycast: "Raycast AI",
  local: "Local Model",
};

/** What a mode does with the selected text (Manage Modes' "Selected Text"); "off": it is not read. */
export const SELECTION_TITLES: Record<SelectionUse | "off", string> = {
  off: "Not Read",
  context: "Use as Context (Its Words Are Expected)",
  edit: "Edit by Voice (Finishing Replaces It)",
};

export const DELIVERY_TITLES: Record<Delivery, string> = {
  paste: "Paste",
  copy: "Copy to Clipboard",
  "paste-return": "Paste and Press Return",
};

/** Manage Modes' form values (dropdowns hold strings; "default" and "auto" mean the daemon's). */
export interface ModeFormValues {
  name: string;
  apps: string[];
  model: string;
  language: string;
  finishing: string;
  instruction: string;
  endpoint: string;
  modelName: string;
  deliver: string;
  /** "off", "context" or "edit". */
  selection: string;
}

export type ModeFormField = keyof ModeFormValues;

export function modeFormValues(mode?: DictationMode): ModeFormValues {
  return {
    name: mode?.name ?? "",
    apps: mode?.apps ?? [],
    model: mode?.model ?? DAEMON_MODEL,
    language: mode?.language ?? "auto",
    finishing: mode?.finishing ?? "none",
    instruction: mode?.instruction ?? "",
    endpoint: mode?.endpoint ?? "",
    modelName: mode?.modelName ?? "",
    deliver: mode?.deliver ?? "paste",
    selection: mode?.selection ?? "off",
  };
}

/** The mode the form's values describe; empty optional fields (and those its finishing does not use) are left out. */
export function modeFromForm(values: ModeFormValues): DictationMode {
  const mode: DictationMode = {
    name: values.name.trim(),
    apps: values.apps,
    finishing: values.finishing as FinishingEngine,
    deliver: values.deliver as Delivery,
  };
  if (values.model && values.model !== DAEMON_MODEL) mode.model = values.model;
  if (values.language && values.language !== "auto") mode.language = values.language;
  if (values.instruction.trim()) mode.instruction = values.instruction.trim();
  if (values.selection !== "off") mode.selection = values.selection as SelectionUse;
  if (values.finishing === "local") {
    if (values.endpoint.trim()) mode.endpoint = values.endpoint.trim();
    if (values.modelName.trim()) mode.modelName = values.modelName.trim();
  }
  return mode;
}

const FIELD_OF = /^"(name|apps|model|language|finishing|instruction|endpoint|modelName|deliver|selection)"/;

/**
 * Why the form cannot be saved, under the field it is about (the daemon's own rule, modeProblem), or null. A new
 * mode's name may not be another mode's (any case); Raycast AI needs access to it (`raycastAI`).
 */
export function modeFormProblem(
  values: ModeFormValues,
  context: { otherNames: readonly string[]; raycastAI: boolean },
): { field: ModeFormField; message: string } | null {
  const mode = modeFromForm(values);
  const problem = modeProblem(mode);
  if (problem) {
    const field = (FIELD_OF.exec(problem)?.[1] ?? "name") as ModeFormField;
    return { field, message: sentence(problem.replace(FIELD_OF, "")) };
  }
  if (context.otherNames.some((name) => name.trim().toLowerCase() === mode.name.toLowerCase()))
    return { field: "name", message: "Another mode has this name" };
  if (mode.finishing === "raycast" && !context.raycastAI)
    return { field: "finishing", message: RAYCAST_AI_UNAVAILABLE };
  return null;
}

export const RAYCAST_AI_UNAVAILABLE =
  "Raycast AI needs a Raycast Pro subscription (or AI access for your team): without it, choose a local model";

function sentence(text: string): string {
  const trimmed = text.trim();
  return trimmed ? `Must ${trimmed.replace(/^must /, "")}` : "Not valid";
}

/** The modes.edit changes that turn `original` into `edited` (null clears an optional field). */
export function modeChanges(original: DictationMode, edited: DictationMode): ModeChanges {
  const changes: Record<string, unknown> = {};
  const keys = [
    "apps",
    "model",
    "language",
    "finishing",
    "instruction",
    "endpoint",
    "modelName",
    "deliver",
    "selection",
  ] as const;
  for (const key of keys) {
    const before = original[key];
    const after = edited[key];
    if (JSON.stringify(before) === JSON.stringify(after)) continue;
    changes[key] = after === undefined ? null : after;
  }
  return changes as ModeChanges;
}

/**
 * A line on where a mode's text goes: nowhere, Raycast's cloud service, or a named server off this Mac; and whether
 * the selected text is read, and where it goes.
 */
export function whereTextGoes(mode: Pick<DictationMode, "finishing" | "endpoint" | "selection">): string {
  return `${whereFinishingSends(mode)}${SELECTION_NOTES[mode.selection ?? "off"]}`;
}

const SELECTION_NOTES: Record<SelectionUse | "off", string> = {
  off: "",
  context: ". The text you have selected is read when a dictation starts: its words go to Verbatim on this Mac",
  edit: ". The text you have selected is read when a dictation starts and sent with what you say to be edited",
};

function whereFinishingSends(mode: Pick<DictationMode, "finishing" | "endpoint">): string {
  if (mode.finishing === "none") return "Nothing leaves this Mac";
  if (mode.finishing === "raycast") return "The text goes to Raycast AI, Raycast's cloud service, to be finished";
  let leaves = false;
  try {
    leaves = finishingLeavesMachine(mode);
  } catch {
    return "The endpoint is not a URL";
  }
  const endpoint = mode.endpoint ?? DEFAULT_FINISHING_ENDPOINT;
  return leaves
    ? `The text leaves this Mac: it is sent to ${endpoint} to be finished`
    : `The text stays on this Mac (${endpoint})`;
}

/** The modes, as the daemon lists them. */
export async function loadModes(client: DaemonClient): Promise<ModesData> {
  return modesOf(await client.request({ type: "modes.list" }));
}

export async function addMode(client: DaemonClient, mode: DictationMode): Promise<ModesData> {
  return modesOf(await client.request({ type: "modes.add", mode }));
}

export async function editMode(client: DaemonClient, name: string, changes: ModeChanges): Promise<ModesData> {
  return modesOf(await client.request({ type: "modes.edit", name, changes }));
}

export async function removeMode(client: DaemonClient, name: string): Promise<ModesData> {
  return modesOf(await client.request({ type: "modes.remove", name }));
}

function modesOf(event: { type: string; modes?: ModesData }): ModesData {
  if (event.type !== "done" || !event.modes) {
    throw new Error("This daemon does not know modes: update Verbatim (npm install -g verbatim-dictation)");
  }
  return event.modes;
}

/** What Paste Spoken Text pastes: what was said in the newest dictation (its spoken text, not its finished text). */
export function lastSpokenText(entries: readonly HistoryEntry[]): string | null {
  const dictation = entries.find((entry) => entry.kind === "dictation");
  return dictation?.text.trim() || null;
}

/**
 * What Paste Spoken Text pastes: the newest dictation's spoken text or, when it edited the selected text by voice, that
 * text as it was before the edit (`original`), which the daemon keeps with the dictation while it keeps the dictation
 * (dictation.attach answers with it). Null: no dictation in the history.
 */
export async function pasteBackText(client: DaemonClient): Promise<{ text: string; original: boolean } | null> {
  const event = await client.request({ type: "history.list", limit: 10 });
  const entries = event.type === "done" ? (event.history?.entries ?? []) : [];
  const newest = entries.find((entry) => entry.kind === "dictation");
  const original = newest?.finishedText ? await editedSelection(client, newest.job) : null;
  if (original) return { text: original, original: true };
  const spoken = lastSpokenText(entries);
  return spoken ? { text: spoken, original: false } : null;
}

/** The text a dictation's edit by voice replaced, if it was one and the daemon still keeps it. */
async function editedSelection(client: DaemonClient, session: string): Promise<string | null> {
  try {
    const outcome = await client.request({ type: "dictation.attach", session }, () => undefined);
    const finishing = outcome.type === "dictation.done" ? outcome.transcript.finishing : undefined;
    return finishing?.status === "finished" ? (finishing.selection ?? null) : null;
  } catch {
    return null; // no longer kept (the daemon restarted since): its spoken text is pasted
  }
}
