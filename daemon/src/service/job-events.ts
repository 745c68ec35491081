// What a transcription job's submitter and watchers see: the daemon's job submission and its events, shared by the
// socket server, the HTTP API and dictations (whose retries are file jobs).
import type { Segment } from "@verbatim/native";
import type { Event, Request } from "../protocol";

/** An event not yet addressed to a request (the connection adds the id). */
export type UnaddressedEvent =
  Extract<Event, { type: "progress" | "notice" }> extends infer E
    ? E extends { id: string }
      ? Omit<E, "id">
      : never
    : never;

/** In-process watchers of a job besides its events (the HTTP API's): the engine's segments, and why it failed. */
export interface JobObserver {
  /** The engine's segment behind each `segment` event (tokens, temperature, log-probability, no-speech figures). */
  onDecodedSegment?(decoded: Segment): void;
  /** The error behind the job's `error` event. */
  onFailure?(error: unknown): void;
}

/** Queues a file job; its events go to `send`. */
export type SubmitTranscription = (
  request: Extract<Request, { type: "transcribe" }>,
  file: string,
  send: (event: Event) => void,
  observer?: JobObserver,
  /** The client connection that started the job, the only one that may cancel it (none: only the daemon may). */
  owner?: object,
) => { position: number; finished: Promise<void> };
