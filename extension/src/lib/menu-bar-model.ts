// What the Verbatim menu-bar command shows, from one connection's answers per refresh (or the setup problem that
// stopped it). The result is plain data, cached between refreshes so the menu bar shows the last state at once.
import path from "node:path";
import {
  withConnectionWithin,
  type DaemonClient,
  type DaemonStatus,
  type DictationInfo,
  type HistoryEntry,
  type IdleUnloadStatus,
  type MeetingInfo,
} from "./daemon-connection";
import { modelLoadingOf, setupProblemOf, type SetupProblem } from "./daemon-setup";
import { runningDictation } from "./dictation-session";
import { elapsed } from "./dictation-view";
import type { TrackedJob } from "./job-store";
import { currentMeeting, meetingSeconds } from "./meeting";
import { findTranscripts, sourceTitle } from "./transcript-history";

/** "unknown": nothing is known yet (the first refresh runs, nothing cached from an earlier one). */
export type DaemonState = "unknown" | "down" | "loading" | "ready" | "busy" | "failed" | "recording";

export interface MenuBarModel {
  state: DaemonState;
  /** Short text beside the icon (empty when there is nothing worth a glance). */
  title: string;
  tooltip: string;
  /** Informational lines: model, backend, state, memory, queue, kept recordings. */
  details: string[];
  /** Models in the cache the daemon could switch to; `current` marks the warm one. */
  models: { id: string; current: boolean }[];
  recent: { id: string; title: string; text: string }[];
  /** The dictation that runs now (its session id), for Stop and Insert / Cancel. */
  dictation: { session: string; stopping: boolean } | null;
  /** The meeting that records now (its elapsed time), for Stop Meeting and Open Record Meeting. */
  meeting: { elapsed: string; transcribing: boolean } | null;
  /** Why the daemon is down, for the matching action (install, start, update). */
  setup: SetupProblem["kind"] | null;
  /** The idle unload: its setting (minutes, 0: never) and its trade-off for the model loaded now; null: not offered. */
  idleUnload: { minutes: number; tradeOff: string | null } | null;
}

/** The idle times the menu offers (0: keep the model loaded, the default). */
export const IDLE_UNLOAD_CHOICES = [0, 15, 60] as const;

export const UNKNOWN_MENU_BAR: MenuBarModel = {
  state: "unknown",
  title: "",
  tooltip: "Verbatim: checking the daemon…",
  details: [],
  models: [],
  recent: [],
  dictation: null,
  meeting: null,
  setup: null,
  idleUnload: null,
};

const megabytes = (bytes: number) => `${Math.round(bytes / 1e6)} MB`;

function stateOf(status: DaemonStatus, dictation: DictationInfo | null, meeting: MeetingInfo | null): DaemonState {
  if (dictation || meeting) return "recording";
  if (status.model.state === "failed") return "failed";
  if (status.model.state === "loading") return "loading";
  return status.queue.running ? "busy" : "ready";
}

const TOOLTIPS: Record<Exclude<DaemonState, "unknown" | "down">, string> = {
  loading: "Verbatim: loading the model",
  ready: "Verbatim: ready",
  busy: "Verbatim: transcribing",
  failed: "Verbatim: the model failed to load",
  recording: "Verbatim: dictating",
};

const DOWN_LINES: Record<SetupProblem["kind"], string> = {
  "not-installed": "Verbatim is not installed",
  stopped: "The daemon is not running",
  "not-answering": "The daemon does not answer",
  "update-daemon": "The daemon needs an update",
  "update-extension": "The extension needs an update",
  "model-failed": "The model failed to load",
  "choose-model": "No speech model chosen yet",
  unreachable: "The daemon cannot be reached",
};

const RECENT_TITLE_WORDS = 8;

function opening(text: string): string {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const shown = words.slice(0, RECENT_TITLE_WORDS).join(" ");
  return words.length > RECENT_TITLE_WORDS ? `${shown}…` : shown;
}

function recentFromHistory(entry: HistoryEntry) {
  const words = opening(entry.text);
  return {
    id: String(entry.id),
    title: words ? `${sourceTitle(entry)} — ${words}` : sourceTitle(entry),
    text: entry.text,
  };
}

function recentFromJob(job: TrackedJob) {
  const words = opening(job.text ?? "");
  const name = path.basename(job.file);
  return { id: job.id, title: words ? `${name} — ${words}` : name, text: job.text ?? "" };
}

function describeBackend(backend: string | null, device: string | null): string {
  if (!backend) return "not loaded";
  return backend === "mlx" ? `MLX on the ${device === "gpu" ? "GPU" : "CPU"}` : backend;
}

function modelStateLine(status: DaemonStatus): string {
  const model = status.model;
  const loading = modelLoadingOf(status);
  if (loading?.downloading) {
    const percent = loading.fraction === null ? "" : ` ${Math.round(loading.fraction * 100)}%`;
    return `State: downloading${percent}`;
  }
  return `State: ${model.state}${model.error ? ` (${model.error})` : ""}`;
}

export interface MenuBarInputs {
  status: DaemonStatus;
  cachedModels: string[];
  /** The history's newest entries (null when the history is off: the jobs this extension started stand in). */
  history: HistoryEntry[] | null;
  jobs: TrackedJob[];
  dictation: DictationInfo | null;
  /** The meeting that records now (null: none, or a daemon without meetings). */
  meeting?: MeetingInfo | null;
  /** For the meeting's elapsed time (epoch ms). */
  now?: number;
  recentLimit?: number;
}

export function menuBarModel({
  status,
  cachedModels,
  history,
  jobs,
  dictation,
  meeting = null,
  now = Date.now(),
  recentLimit = 5,
}: MenuBarInputs): MenuBarModel {
  const state = stateOf(status, dictation, meeting);
  const details: string[] = [];
  const meetingTime = meeting ? elapsed(meetingSeconds(meeting, now)) : "";
  if (dictation) {
    details.push(
      `Dictating: ${elapsed(dictation.audioSeconds)}${dictation.state === "stopping" ? " (finishing)" : ""}`,
    );
  }
  const model = status.model;
  details.push(`Model: ${model.id}`);
  details.push(`Backend: ${describeBackend(model.backend, model.device)}`);
  details.push(modelStateLine(status));
  const mlx = status.memory.mlx;
  details.push(`Memory: ${megabytes(status.memory.rssBytes)}${mlx ? `, MLX ${megabytes(mlx.activeBytes)}` : ""}`);
  const running = status.queue.running ? 1 : 0;
  details.push(
    `Queue: ${running + status.queue.waiting === 0 ? "empty" : `${running} running, ${status.queue.waiting} waiting`}`,
  );
  const kept = status.history.recordings;
  if (kept && kept.count > 0) details.push(`Kept Recordings: ${kept.count}, ${megabytes(kept.bytes)}`);
  const waiting = status.queue.waiting + running;
  const current = model.id;
  const models = [...new Set([current, ...cachedModels])].map((id) => ({ id, current: id === current }));
  const recent = history
    ? history.slice(0, recentLimit).map(recentFromHistory)
    : jobs
        .filter((job) => job.text !== undefined)
        .slice(0, recentLimit)
        .map(recentFromJob);
  return {
    state,
    title: meeting
      ? `● ${meetingTime}`
      : dictation
        ? elapsed(dictation.audioSeconds)
        : waiting > 0
          ? String(waiting)
          : "",
    tooltip: meeting ? "Verbatim: recording a meeting" : TOOLTIPS[state as keyof typeof TOOLTIPS],
    details,
    models,
    recent,
    dictation: dictation ? { session: dictation.session, stopping: dictation.state === "stopping" } : null,
    meeting: meeting ? { elapsed: meetingTime, transcribing: meeting.state === "transcribing" } : null,
    setup: null,
    idleUnload: status.idleUnload
      ? { minutes: status.idleUnload.minutes, tradeOff: tradeOffOf(status.idleUnload) }
      : null,
  };
}

/** What an unload gives and costs for the model loaded now, in a line; null while no model is loaded. */
function tradeOffOf(idle: IdleUnloadStatus): string | null {
  if (idle.modelMemoryBytes === null || idle.loadSeconds === null) return null;
  return `Unloading frees ${megabytes(idle.modelMemoryBytes)}; the next job waits ${idle.loadSeconds.toFixed(1)} s`;
}

/** The menu when the daemon could not be asked: why, and the jobs remembered here. */
function downMenuBar(problem: SetupProblem, jobs: TrackedJob[], recentLimit = 5): MenuBarModel {
  return {
    state: "down",
    title: "",
    tooltip: `Verbatim: ${DOWN_LINES[problem.kind].toLowerCase()}`,
    details: [DOWN_LINES[problem.kind]],
    models: [],
    recent: jobs
      .filter((job) => job.text !== undefined)
      .slice(0, recentLimit)
      .map(recentFromJob),
    dictation: null,
    meeting: null,
    setup: problem.kind,
    idleUnload: null,
  };
}

/** Everything the menu shows, asked on `client` (one connection per refresh). */
async function askMenuBar(client: DaemonClient, jobs: TrackedJob[]): Promise<MenuBarModel> {
  const status = await client.status();
  const cachedModels = (await client.listModels()).filter((model) => model.complete).map((model) => model.repoId);
  const dictation = await runningDictation(client);
  // A daemon from before meetings refuses the request: it records none.
  const meeting = await currentMeeting(client).catch(() => null);
  const history = status.history.enabled ? (await findTranscripts(client, "", 5)).entries : null;
  return menuBarModel({ status, cachedModels, history, jobs, dictation, meeting });
}

/** One refresh: one connection, at most `timeoutMs` in all; a daemon that cannot be asked gives the down menu. */
export async function loadMenuBar(
  socket: string,
  jobs: TrackedJob[],
  serviceFile?: string,
  timeoutMs = 2000,
): Promise<MenuBarModel> {
  try {
    return await withConnectionWithin(socket, timeoutMs, (client) => askMenuBar(client, jobs));
  } catch (error) {
    const problem = setupProblemOf(error, serviceFile);
    if (!problem) throw error;
    return downMenuBar(problem, jobs);
  }
}
