// `verbatim modes list|add|edit|rm`: per-app dictation settings and text finishing, edited in the running daemon
// (a stopped one stays stopped), so config.json keeps every other setting and edits from Raycast at the same time are
// not lost.
import { existsSync } from "node:fs";
import path from "node:path";
import type { DaemonClient } from "../client";
import type { VerbatimPaths } from "../paths";
import {
  DEFAULT_FINISHING_ENDPOINT,
  DELIVERIES,
  FINISHING_ENGINES,
  finishingLeavesMachine,
  SELECTION_USES,
  type Delivery,
  type DictationMode,
  type Event,
  type FinishingEngine,
  type SelectionUse,
  type ModeChanges,
  type ModesData,
} from "../protocol";
import { connectRunning } from "../daemon-control";
import { EXIT, UsageError } from "./exit-codes";
import { parseCommandLine } from "./command-line";
import { needsOneOf } from "./did-you-mean";

type RequestBody = Extract<Parameters<DaemonClient["request"]>[0], { type: `modes.${string}` }>;

export function parseModes(args: string[]): { request: RequestBody; json: boolean } {
  const { values, positionals } = parseCommandLine({
    args,
    allowPositionals: true,
    options: {
      json: { type: "boolean" },
      apps: { type: "string" },
      model: { type: "string" },
      language: { type: "string" },
      finishing: { type: "string" },
      endpoint: { type: "string" },
      "model-name": { type: "string" },
      instruction: { type: "string" },
      deliver: { type: "string" },
      selection: { type: "string" },
    },
  });
  const [action, ...words] = positionals;
  const name = words.join(" ").trim();
  const { json, ...flags } = values;
  const changes = changesOf(flags);
  if (json && action !== "list") throw new UsageError("--json goes with modes list");
  if (Object.keys(changes).length > 0 && action !== "add" && action !== "edit") {
    throw new UsageError(`--${Object.keys(flags)[0]} goes with modes add or modes edit`);
  }
  switch (action) {
    case "list":
      if (name) throw new UsageError("modes list takes no arguments");
      return { request: { type: "modes.list" }, json: Boolean(json) };
    case "add": {
      if (!name) throw new UsageError("modes add needs a NAME");
      const mode: Record<string, unknown> = { name, apps: [], finishing: "none", deliver: "paste" };
      for (const [key, value] of Object.entries(changes)) if (value !== null) mode[key] = value;
      return { request: { type: "modes.add", mode: mode as unknown as DictationMode }, json: false };
    }
    case "edit":
      if (!name) throw new UsageError("modes edit needs a NAME");
      if (Object.keys(changes).length === 0) throw new UsageError("modes edit needs something to change (see --help)");
      return { request: { type: "modes.edit", name, changes }, json: false };
    case "rm":
      if (!name) throw new UsageError("modes rm needs a NAME");
      return { request: { type: "modes.remove", name }, json: false };
    default:
      throw new UsageError(needsOneOf("modes", action, ["list", "add", "edit", "rm"]));
  }
}

/** The flags as a mode's fields; an empty value clears an optional field (null). */
function changesOf(flags: Record<string, string | boolean | undefined>): ModeChanges {
  const text = (flag: string) => {
    const value = flags[flag];
    return typeof value === "string" ? value.trim() : undefined;
  };
  const changes: ModeChanges = {};
  const optional = (value: string | undefined) => (value === undefined ? undefined : value === "" ? null : value);
  const apps = text("apps");
  if (apps !== undefined)
    changes.apps = apps
      .split(",")
      .map((id) => id.trim())
      .filter(Boolean);
  const model = optional(text("model"));
  if (model !== undefined) changes.model = model === null ? null : localModelFolder(model);
  const fields = { language: "language", endpoint: "endpoint", modelName: "model-name", instruction: "instruction" };
  for (const [key, flag] of Object.entries(fields) as [keyof typeof fields, string][]) {
    const value = optional(text(flag));
    if (value !== undefined) changes[key] = value;
  }
  const finishing = text("finishing");
  if (finishing !== undefined) {
    if (!FINISHING_ENGINES.includes(finishing as FinishingEngine))
      throw new UsageError(`--finishing must be one of ${FINISHING_ENGINES.join(", ")}`);
    changes.finishing = finishing as FinishingEngine;
  }
  const deliver = text("deliver");
  if (deliver !== undefined) {
    if (!DELIVERIES.includes(deliver as Delivery))
      throw new UsageError(`--deliver must be one of ${DELIVERIES.join(", ")}`);
    changes.deliver = deliver as Delivery;
  }
  const selection = optional(text("selection"));
  if (selection !== undefined) {
    if (selection !== null && !SELECTION_USES.includes(selection as SelectionUse))
      throw new UsageError(`--selection must be one of ${SELECTION_USES.join(", ")}, or "" (not read)`);
    changes.selection = selection as SelectionUse | null;
  }
  return changes;
}

// The daemon runs in another folder: a local model folder is sent as an absolute path.
function localModelFolder(model: string): string {
  const folder = path.resolve(model);
  return existsSync(path.join(folder, "config.json")) ? folder : model;
}

export async function runModes(command: ReturnType<typeof parseModes>, paths: VerbatimPaths): Promise<number> {
  const client = await connectRunning(paths);
  let event: Event;
  try {
    event = await client.request(command.request);
  } finally {
    client.close();
  }
  const modes = event.type === "done" ? event.modes : undefined;
  if (!modes) throw new Error("the daemon answered without the modes; update Verbatim so both match");
  const { request } = command;
  if (command.json) process.stdout.write(JSON.stringify(modes) + "\n");
  else if (request.type === "modes.add") process.stdout.write(`added the mode ${request.mode.name}\n`);
  else if (request.type === "modes.edit") process.stdout.write(`changed the mode ${request.name}\n`);
  else if (request.type === "modes.remove") process.stdout.write(`removed the mode ${request.name}\n`);
  else process.stdout.write(describeModes(modes));
  for (const problem of modes.problems) process.stderr.write(`verbatim: config.json: ${problem}\n`);
  const edited = request.type === "modes.add" ? request.mode.name : request.type === "modes.edit" ? request.name : null;
  const mode = edited === null ? undefined : modes.modes.find((m) => m.name.toLowerCase() === edited.toLowerCase());
  if (mode && finishingLeavesMachine(mode)) process.stderr.write(`verbatim: note: ${leaves(mode)}\n`);
  return EXIT.ok;
}

/** Where the text of a mode whose finishing leaves this machine goes. */
function leaves(mode: DictationMode): string {
  return mode.finishing === "raycast"
    ? `the mode ${mode.name}'s text goes to Raycast AI, Raycast's cloud service, to be finished`
    : `the mode ${mode.name}'s text leaves this machine: it goes to ${mode.endpoint} to be finished`;
}

export function describeModes(data: ModesData): string {
  if (data.modes.length === 0) return "No modes: every dictation is Plain. Add one with: verbatim modes add NAME\n";
  const lines: string[] = [];
  for (const mode of data.modes) {
    const isDefault = mode.name === data.defaultMode ? " (the default)" : "";
    lines.push(`${mode.name}${isDefault}`);
    if (mode.apps.length > 0) lines.push(`  apps:      ${mode.apps.join(", ")}`);
    if (mode.model || mode.language)
      lines.push(`  model:     ${mode.model ?? "the daemon's"}, language ${mode.language ?? "the daemon's"}`);
    lines.push(`  finishing: ${finishingOf(mode)}`);
    if (finishingLeavesMachine(mode)) lines.push(`  note:      ${leaves(mode)}`);
    if (mode.instruction && mode.finishing !== "none") lines.push(`  instruction: ${mode.instruction}`);
    lines.push(`  deliver:   ${mode.deliver}`);
    if (mode.selection) lines.push(`  selection: ${SELECTION_LINES[mode.selection]}`);
  }
  return lines.join("\n") + "\n";
}

const SELECTION_LINES: Record<SelectionUse, string> = {
  context: "context (Raycast reads the selected text: its words are expected)",
  edit: "edit (Raycast reads the selected text; finishing edits it as you say)",
};

function finishingOf(mode: DictationMode): string {
  if (mode.finishing === "none") return "none";
  if (mode.finishing === "raycast") return "Raycast AI (only Raycast runs it)";
  return `local model ${mode.modelName} at ${mode.endpoint ?? DEFAULT_FINISHING_ENDPOINT}`;
}
