// What the Verbatim menu-bar command shows, from one status answer (or none) and the remembered jobs.
import path from "node:path";
import type { DaemonStatus, DictationInfo } from "./daemon-connection";
import { elapsed } from "./dictation-view";
import type { TrackedJob } from "./job-store";

export type DaemonState = "down" | "loading" | "ready" | "busy" | "failed" | "recording";

export interface MenuBarModel {
  state: DaemonState;
  /** Short text beside the icon (empty when there is nothing worth a glance). */
  title: string;
  tooltip: string;
  /** Informational lines: model, backend, state, memory, queue. */
  details: string[];
  /** Models in the cache the daemon could switch to; `current` marks the warm one. */
  models: { id: string; current: boolean }[];
  recent: { id: string; title: string; text: string }[];
  /** The dictation that runs now (its session id), for Stop and Insert / Cancel. */
  dictation: { session: string; stopping: boolean } | null;
}

const megabytes = (bytes: number) => `${Math.round(bytes / 1e6)} MB`;

function stateOf(status: DaemonStatus | null, dictation: DictationInfo | null): DaemonState {
  if (!status) return "down";
  if (dictation) return "recording";
  if (status.model.state === "failed") return "failed";
  if (status.model.state === "loading") return "loading";
  return status.queue.running ? "busy" : "ready";
}

const TOOLTIPS: Record<DaemonState, string> = {
  down: "Verbatim: the daemon is not running",
  loading: "Verbatim: loading the model",
  ready: "Verbatim: ready",
  busy: "Verbatim: transcribing",
  failed: "Verbatim: the model failed to load",
  recording: "Verbatim: dictating",
};

const RECENT_TITLE_WORDS = 8;

function recentTitle(job: TrackedJob): string {
  const words = (job.text ?? "").trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return path.basename(job.file);
  const opening = words.slice(0, RECENT_TITLE_WORDS).join(" ");
  return `${path.basename(job.file)} — ${opening}${words.length > RECENT_TITLE_WORDS ? "…" : ""}`;
}

function describeBackend(backend: string | null, device: string | null): string {
  if (!backend) return "not loaded";
  return backend === "mlx" ? `MLX on the ${device === "gpu" ? "GPU" : "CPU"}` : backend;
}

export function menuBarModel(
  status: DaemonStatus | null,
  cachedModels: string[],
  jobs: TrackedJob[],
  recentLimit = 5,
  dictation: DictationInfo | null = null,
): MenuBarModel {
  const state = stateOf(status, dictation);
  const details: string[] = [];
  if (status && dictation) {
    details.push(
      `Dictating: ${elapsed(dictation.audioSeconds)}${dictation.state === "stopping" ? " (finishing)" : ""}`,
    );
  }
  if (status) {
    const model = status.model;
    details.push(`Model: ${model.id}`);
    details.push(`Backend: ${describeBackend(model.backend, model.device)}`);
    details.push(`State: ${model.state === "ready" ? "ready" : model.state}${model.error ? ` (${model.error})` : ""}`);
    const mlx = status.memory.mlx;
    details.push(`Memory: ${megabytes(status.memory.rssBytes)}${mlx ? `, MLX ${megabytes(mlx.activeBytes)}` : ""}`);
    const running = status.queue.running ? 1 : 0;
    details.push(
      `Queue: ${running + status.queue.waiting === 0 ? "empty" : `${running} running, ${status.queue.waiting} waiting`}`,
    );
  } else {
    details.push("Daemon: not running");
  }
  const waiting = status ? status.queue.waiting + (status.queue.running ? 1 : 0) : 0;
  const current = status?.model.id;
  const models = [...new Set([...(current ? [current] : []), ...cachedModels])].map((id) => ({
    id,
    current: id === current,
  }));
  return {
    state,
    title: dictation ? elapsed(dictation.audioSeconds) : waiting > 0 ? String(waiting) : "",
    tooltip: TOOLTIPS[state],
    details,
    models,
    recent: jobs
      .filter((job) => job.text !== undefined)
      .slice(0, recentLimit)
      .map((job) => ({ id: job.id, title: recentTitle(job), text: job.text! })),
    dictation: dictation ? { session: dictation.session, stopping: dictation.state === "stopping" } : null,
  };
}
