// Transcribing files through the daemon and following each job's events into a state the views render.
import { statSync } from "node:fs";
import path from "node:path";
import type { Event } from "../verbatimd/protocol";
import {
  DaemonError,
  DaemonUnreachableError,
  type DaemonClient,
  type SegmentData,
  type TranscriptData,
  type TranscriptionOptions,
} from "./daemon-connection";
import type { JobStore } from "./job-store";

export type FileStatus = "queued" | "running" | "done" | "failed";

export interface FileTranscription {
  file: string;
  jobId: string;
  status: FileStatus;
  /** What the daemon is doing for this file (loading the model, decoding the audio, transcribing). */
  stage: string | null;
  fraction: number | null;
  /** Final text so far, segment by segment. */
  segments: SegmentData[];
  /** Text decoded after the last segment, which the next segment replaces. */
  provisional: string;
  notices: string[];
  transcript?: TranscriptData;
  error?: string;
}

export function newTranscription(file: string, jobId: string): FileTranscription {
  return { file, jobId, status: "queued", stage: null, fraction: null, segments: [], provisional: "", notices: [] };
}

/** The state after one event of the file's job. */
export function applyEvent(state: FileTranscription, event: Event): FileTranscription {
  switch (event.type) {
    case "accepted":
      return { ...state, status: event.position === 0 ? "running" : "queued" };
    case "progress":
      return {
        ...state,
        status: event.stage === "queued" ? "queued" : "running",
        stage: event.stage,
        fraction: event.fraction,
      };
    case "notice":
      return { ...state, notices: [...state.notices, event.message] };
    case "token":
      return { ...state, status: "running", provisional: (event.restart ? "" : state.provisional) + event.text };
    case "segment":
      return { ...state, status: "running", segments: [...state.segments, event.segment], provisional: "" };
    default:
      return state;
  }
}

export function finished(state: FileTranscription, transcript: TranscriptData): FileTranscription {
  return {
    ...state,
    status: "done",
    stage: null,
    fraction: 1,
    segments: transcript.segments,
    provisional: "",
    transcript,
  };
}

export function failed(state: FileTranscription, error: unknown): FileTranscription {
  return { ...state, status: "failed", stage: null, provisional: "", error: describeFailure(error) };
}

/** What went wrong, said for a person, with what to do next where there is something to do. */
export function describeFailure(error: unknown): string {
  if (error instanceof DaemonError) {
    switch (error.code) {
      case "cancelled":
        return "Canceled.";
      case "shutting_down":
        return "The daemon stopped during this transcription. Start it again and retry.";
      case "not_found":
        return `${error.message}. The daemon keeps only its most recent results; transcribe the file again.`;
      default:
        return error.message;
    }
  }
  return error instanceof Error ? error.message : String(error);
}

/** Why the files picked in the form cannot be transcribed (undefined: they can): none, or one is not a file. */
export function pickedFilesProblem(files: string[] | undefined): string | undefined {
  if (!files || files.length === 0) return "Choose one or more audio or video files";
  for (const file of files) {
    let isFile = false;
    try {
      isFile = statSync(file).isFile();
    } catch {
      return `${path.basename(file)} is not there anymore`;
    }
    if (!isFile) return `${path.basename(file)} is a folder: choose the files in it`;
  }
  return undefined;
}

export interface TranscribeFilesOptions {
  options?: TranscriptionOptions;
  jobs: JobStore;
  /** Called with every file's state after each change. */
  onChange(states: FileTranscription[]): void;
}

/**
 * Queues every file with the daemon at once (detached, so the jobs outlive the command), follows their events
 * and resolves once all have finished or failed.
 */
export async function transcribeFiles(
  client: DaemonClient,
  files: string[],
  { options, jobs, onChange }: TranscribeFilesOptions,
): Promise<FileTranscription[]> {
  const states: FileTranscription[] = [];
  const update = (index: number, next: FileTranscription) => {
    states[index] = next;
    onChange([...states]);
  };
  const runs = files.map((file, index) => {
    const absolute = path.resolve(file);
    const handle = client.transcribeFile(absolute, {
      options,
      detached: true,
      onEvent: (event) => update(index, applyEvent(states[index], event)),
    });
    states[index] = newTranscription(absolute, handle.id);
    const tracked = jobs.add({ id: handle.id, file: absolute, startedAt: Date.now() });
    return handle.promise.then(
      async (transcript) => {
        update(index, finished(states[index], transcript));
        await tracked;
        await jobs.update(handle.id, { text: transcript.text });
      },
      async (error: unknown) => {
        update(index, failed(states[index], error));
        await tracked;
        // A lost connection (the command closed, or the daemon restarted) is not the job's outcome: the daemon
        // keeps detached jobs running, and the next launch asks for the result.
        if (!(error instanceof DaemonUnreachableError)) await jobs.update(handle.id, { error: describeFailure(error) });
      },
    );
  });
  onChange([...states]);
  await Promise.all(runs);
  return states;
}

export interface ResumeOptions {
  jobs: JobStore;
  /** Follow only these job ids (default: every unfinished job). */
  only?: readonly string[];
  onChange(states: FileTranscription[]): void;
  /** How long to wait between asking about jobs that still run. */
  pollMs?: number;
}

/**
 * Follows jobs started before the command last closed: asks the daemon for each job's outcome until all have
 * finished, and records the outcomes.
 */
export async function resumeJobs(
  client: DaemonClient,
  { jobs, only, onChange, pollMs = 1000 }: ResumeOptions,
): Promise<FileTranscription[]> {
  const waiting = (await jobs.unfinished()).filter((job) => !only || only.includes(job.id));
  const states = waiting.map((job): FileTranscription => ({
    ...newTranscription(job.file, job.id),
    status: "running",
  }));
  onChange([...states]);
  await Promise.all(
    waiting.map(async (job, index) => {
      for (;;) {
        try {
          const outcome = await client.result(job.id);
          if (outcome.state === "done") {
            states[index] = finished(states[index], outcome.transcript);
            await jobs.update(job.id, { text: outcome.transcript.text });
            break;
          }
        } catch (error) {
          states[index] = failed(states[index], error);
          if (!(error instanceof DaemonUnreachableError)) await jobs.update(job.id, { error: describeFailure(error) });
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
      onChange([...states]);
    }),
  );
  return states;
}
