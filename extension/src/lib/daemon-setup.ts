// What stands between the user and a working Verbatim, told apart so each gets its own screen and actions: not
// installed, installed but not running, a daemon that speaks another protocol version, a model that failed to load,
// and (for Dictate) a model still downloading.
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { FIRST_RUN_OPTIONS, NEMOTRON_CHOICE, PARAKEET_CHOICE, WHISPER_CHOICE } from "../verbatimd/first-run-choice";
import { SERVICE_LABEL, SYSTEMD_UNIT } from "../verbatimd/service-spec";
import {
  DaemonTimeoutError,
  DaemonUnreachableError,
  ForeignSocketError,
  ProtocolMismatchError,
  type DaemonStatus,
} from "./daemon-connection";
import { modelName } from "./dictation-view";
import { escapeMarkdown } from "./transcript-view";

/** How Verbatim is installed (the package of the distribution, then its login service). */
export const INSTALL_COMMAND = "npm install -g verbatim-dictation && verbatim daemon install";
/** How an installed Verbatim is updated and its daemon restarted on the new code. */
export const UPDATE_COMMAND = "npm install -g verbatim-dictation && verbatim daemon restart";
/** The extension's page in the Raycast Store. */
export const STORE_URL = "https://www.raycast.com/verbatim-app/verbatim";

export type SetupProblem =
  | { kind: "not-installed"; reason: string }
  | { kind: "stopped"; reason: string }
  | { kind: "not-answering"; reason: string }
  | { kind: "update-daemon"; daemonVersion: string | null; reason: string }
  | { kind: "update-extension"; daemonVersion: string | null; reason: string }
  | { kind: "model-failed"; model: string; reason: string }
  | { kind: "choose-model" }
  | { kind: "unreachable"; reason: string };

export type SetupAction =
  | "copy-install-command"
  | "start-daemon"
  | "restart-daemon"
  | "copy-update-command"
  | "open-store"
  | "retry-model"
  | FirstRunAction
  | "open-preferences"
  | "open-logs"
  | "try-again";

/** The file that makes the daemon start at login: the LaunchAgent's plist (the systemd user unit on Linux). */
export function serviceDefinitionFile(
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
  env: Record<string, string | undefined> = process.env,
): string {
  if (platform === "darwin") return path.join(home, "Library", "LaunchAgents", `${SERVICE_LABEL}.plist`);
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, ".config"), "systemd", "user", SYSTEMD_UNIT);
}

/** The setup problem a failure to connect means, or null when it is not one (the caller shows it as an error). */
export function setupProblemOf(error: unknown, serviceFile: string = serviceDefinitionFile()): SetupProblem | null {
  if (error instanceof ProtocolMismatchError) {
    const daemonNewer = error.daemonProtocol !== null && error.daemonProtocol > error.clientProtocol;
    return {
      kind: daemonNewer ? "update-extension" : "update-daemon",
      daemonVersion: error.daemonVersion,
      reason: error.message,
    };
  }
  if (error instanceof DaemonTimeoutError) return { kind: "not-answering", reason: error.message };
  if (error instanceof DaemonUnreachableError) {
    return { kind: existsSync(serviceFile) ? "stopped" : "not-installed", reason: error.message };
  }
  if (error instanceof ForeignSocketError) return { kind: "unreachable", reason: error.message };
  return null;
}

/** A model that failed to load is a setup problem for commands that need it. */
export function modelProblemOf(status: DaemonStatus): SetupProblem | null {
  if (status.model.state !== "failed") return null;
  return { kind: "model-failed", model: status.model.id, reason: status.model.error ?? "it did not load" };
}

/** Nobody has chosen a model yet (the daemon's first run): the choice comes first, for commands that need a model. */
export function firstRunProblemOf(status: DaemonStatus): SetupProblem | null {
  return status.config?.firstRun ? { kind: "choose-model" } : null;
}

/** The first-run option each choice action picks, in the order the choice screen offers them. */
export const FIRST_RUN_ACTIONS = {
  "choose-whisper": WHISPER_CHOICE,
  "choose-parakeet": PARAKEET_CHOICE,
  "choose-nemotron": NEMOTRON_CHOICE,
} as const;

export type FirstRunAction = keyof typeof FIRST_RUN_ACTIONS;

function firstRunMarkdown(): string {
  const options = FIRST_RUN_OPTIONS.map(
    (option) =>
      `## ${escapeMarkdown(option.title)}\n\n${escapeMarkdown(option.summary)}.\n\n` +
      option.facts.map((fact) => `- ${escapeMarkdown(fact)}`).join("\n"),
  );
  return `# Choose a Speech Model

Verbatim transcribes on this Mac with the model you choose here; it is downloaded once. You can switch any time from the menu bar or the extension's **Model** preference.

${options.join("\n\n")}

The model stays loaded between jobs, so each starts at once, and holds its memory while Verbatim waits. To give that memory back when you are not dictating, choose **When Idle** in the Verbatim menu bar: the model then unloads after 15 or 60 idle minutes, and the first job after waits for it to load again. The menu shows both figures for the model once it has loaded.
`;
}

export interface ModelLoading {
  model: string;
  downloading: boolean;
  /** 0–1 of the file being downloaded, null when not known. */
  fraction: number | null;
  detail: string | null;
}

/** The model's load in progress, or null when it is not loading. */
export function modelLoadingOf(status: DaemonStatus): ModelLoading | null {
  if (status.model.state !== "loading") return null;
  const progress = status.model.progress ?? null;
  return {
    model: status.model.id,
    downloading: progress?.stage === "download",
    fraction: progress?.fraction ?? null,
    detail: progress?.detail ?? null,
  };
}

const quoted = (reason: string) => `> ${escapeMarkdown(reason.replace(/\.?$/, "."))}`;
const versionOf = (version: string | null) => (version ? ` (version ${escapeMarkdown(version)})` : "");

export interface SetupScreen {
  title: string;
  markdown: string;
  /** The first is the primary action (Enter). */
  actions: SetupAction[];
}

/** What the setup screen of a problem says, and the actions it offers. */
export function setupScreen(problem: SetupProblem): SetupScreen {
  switch (problem.kind) {
    case "not-installed":
      return {
        title: "Install Verbatim",
        markdown: `# Install Verbatim

Verbatim transcribes privately on this Mac with a small background app, the Verbatim daemon, which keeps the speech model ready. This extension talks to it, and it is not installed yet.

Install it in Terminal (**Copy Install Command** copies this; it needs Node.js 22.16 or newer: \`brew install node\`):

\`\`\`
npm install -g verbatim-dictation
verbatim daemon install
\`\`\`

The daemon starts now and at every login. Then choose **Try Again**, and choose the speech model, which is downloaded once. If the daemon listens on another socket, set **Socket Path** in the extension's preferences.

${quoted(problem.reason)}
`,
        actions: ["copy-install-command", "try-again", "open-preferences"],
      };
    case "stopped":
      return {
        title: "Verbatim Is Not Running",
        markdown: `# Verbatim Is Not Running

The Verbatim daemon is installed but does not answer. **Start Daemon** starts it (it also starts by itself at login). If it stops again, its log says why: **Open Logs**.

${quoted(problem.reason)}
`,
        actions: ["start-daemon", "try-again", "open-logs", "copy-install-command", "open-preferences"],
      };
    case "not-answering":
      return {
        title: "Verbatim Is Not Answering",
        markdown: `# Verbatim Is Not Answering

The Verbatim daemon accepted the connection but did not answer in time: it may be busy for a moment, or stuck. **Try Again**, or **Restart Daemon**; its log may say why.

${quoted(problem.reason)}
`,
        actions: ["try-again", "restart-daemon", "open-logs"],
      };
    case "update-daemon":
      return {
        title: "Update Verbatim",
        markdown: `# Update Verbatim

The Verbatim daemon on this Mac${versionOf(problem.daemonVersion)} is older than this extension, and they no longer understand each other. Update it in Terminal (**Copy Update Command** copies this), then choose **Try Again**:

\`\`\`
npm install -g verbatim-dictation
verbatim daemon restart
\`\`\`

${quoted(problem.reason)}
`,
        actions: ["copy-update-command", "try-again", "restart-daemon", "open-logs"],
      };
    case "update-extension":
      return {
        title: "Update the Verbatim Extension",
        markdown: `# Update the Verbatim Extension

The Verbatim daemon on this Mac${versionOf(problem.daemonVersion)} is newer than this extension, and they no longer understand each other. Raycast updates Store extensions by itself; to update now, open the extension in the Raycast Store, or Raycast Settings → Extensions.

${quoted(problem.reason)}
`,
        actions: ["open-store", "try-again"],
      };
    case "model-failed":
      return {
        title: "The Speech Model Did Not Load",
        markdown: `# The Speech Model Did Not Load

Verbatim could not load **${escapeMarkdown(modelName(problem.model))}**.

- If you chose a **Model** in the extension's preferences, choose The Daemon's Model there, or another model.
- A model that is not downloaded yet needs the network once.

**Try Again** loads it again; the daemon's log has the details.

${quoted(problem.reason)}
`,
        actions: ["retry-model", "open-preferences", "open-logs"],
      };
    case "choose-model":
      return {
        title: "Choose a Speech Model",
        markdown: firstRunMarkdown(),
        actions: Object.keys(FIRST_RUN_ACTIONS) as FirstRunAction[],
      };
    case "unreachable":
      return {
        title: "Verbatim Cannot Be Reached",
        markdown: `# Verbatim Cannot Be Reached

${escapeMarkdown(problem.reason)}
`,
        actions: ["try-again", "open-preferences", "open-logs"],
      };
  }
}

/** One line for a HUD (Toggle Dictation has no view): what is wrong and where to see what to do. */
export function setupHudMessage(problem: SetupProblem): string {
  switch (problem.kind) {
    case "not-installed":
      return "Verbatim is not installed: open Dictate to set it up";
    case "stopped":
      return "Verbatim is not running: open Dictate to start it";
    case "not-answering":
      return "Verbatim does not answer: try again, or restart it from the menu bar";
    case "update-daemon":
      return "Verbatim needs an update: open Dictate for the command";
    case "update-extension":
      return "The Verbatim extension needs an update: open Dictate for how";
    case "model-failed":
      return `Verbatim could not load ${modelName(problem.model)}: open Dictate for details`;
    case "choose-model":
      return "Verbatim: choose a speech model first: open Dictate";
    case "unreachable":
      return `Verbatim: ${problem.reason}`;
  }
}

/** Dictate's screen while the model downloads (loading one from disk takes seconds: recording starts at once then). */
export function modelDownloadMarkdown(loading: ModelLoading): string {
  const percent = loading.fraction === null ? "" : ` **${Math.round(loading.fraction * 100)}%**`;
  const detail = loading.detail ? `\n\n${escapeMarkdown(loading.detail)}` : "";
  return `# Downloading the Speech Model

Verbatim downloads ${escapeMarkdown(modelName(loading.model))} once; dictation starts by itself when it is ready.${percent}${detail}

**Start Dictating Now** records at once; the text follows when the model is ready.
`;
}

/** Toggle Dictation's line while the model downloads: it does not start a dictation then. */
export function modelDownloadingHud(loading: ModelLoading): string {
  const percent = loading.fraction === null ? "" : ` (${Math.round(loading.fraction * 100)}%)`;
  return `Verbatim is downloading ${modelName(loading.model)}${percent}: try again when it is ready`;
}
