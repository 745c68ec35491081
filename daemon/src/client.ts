// The client side of the protocol, for the CLI, the Raycast extension and other local apps.
import { randomUUID } from "node:crypto";
import { lstatSync } from "node:fs";
import WebSocket from "ws";
import {
  encodeAudioFrame,
  parseEvent,
  PROTOCOL_VERSION,
  type DaemonStatus,
  type ErrorCode,
  type Event,
  type Priority,
  type Request,
  type TranscriptData,
  type TranscriptionOptions,
  type CachedModelData,
} from "./protocol";

/** The socket belongs to another user: whoever listens there is not this user's daemon. */
export class ForeignSocketError extends Error {
  constructor(socket: string, owner: number) {
    super(
      `The socket ${socket} belongs to another user (uid ${owner}), so it is not your verbatimd and Verbatim will ` +
        "not send it anything. Remove it if you can, or set XDG_RUNTIME_DIR (or VERBATIM_SOCKET) to a folder only " +
        "you can use, then start verbatimd again.",
    );
    this.name = "ForeignSocketError";
  }
}

function refuseForeignSocket(socketPath: string): void {
  const uid = process.getuid?.();
  if (uid === undefined) return;
  let owner: number;
  try {
    owner = lstatSync(socketPath).uid;
  } catch {
    return; // missing: connecting says the daemon is not running
  }
  if (owner !== uid) throw new ForeignSocketError(socketPath, owner);
}

// Uploads go in frames well under the daemon's frame limit.
const UPLOAD_CHUNK_BYTES = 1024 * 1024;
/** How long a daemon that refused the protocol may take to say which one it speaks. */
const MISMATCH_STATUS_TIMEOUT_MS = 2000;

/** The daemon answered a request with an error. */
export class DaemonError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "DaemonError";
  }
}

/**
 * The daemon speaks another protocol version than this client: `daemonProtocol` and `daemonVersion` say which (null
 * when it did not say), so a client can tell whether the daemon or the client needs updating.
 */
export class ProtocolMismatchError extends DaemonError {
  constructor(
    readonly clientProtocol: number,
    readonly daemonProtocol: number | null,
    readonly daemonVersion: string | null,
    message: string,
  ) {
    super("protocol_version", message);
    this.name = "ProtocolMismatchError";
  }
}

/** The daemon could not be reached (not running, wrong socket, or it went away mid-request). */
export class DaemonUnreachableError extends Error {
  constructor(
    readonly socket: string,
    reason: string,
  ) {
    super(`Cannot reach verbatimd at ${socket}: ${reason}`);
    this.name = "DaemonUnreachableError";
  }
}

export type EventListener = (event: Event) => void;

type RequestBody = Request extends infer R ? (R extends { id: string } ? Omit<R, "id"> : never) : never;

interface Pending {
  onEvent?: EventListener;
  resolve(event: Extract<Event, { type: "done" | "status" | "welcome" | "dictation.done" }>): void;
  reject(error: Error): void;
}

export interface TranscriptionHandle {
  id: string;
  promise: Promise<TranscriptData>;
  cancel(): Promise<void>;
}

export interface TranscribeRequestOptions {
  options?: TranscriptionOptions;
  priority?: Priority;
  detached?: boolean;
  onEvent?: EventListener;
}

export class DaemonClient {
  /** Events for no request of this client, such as an error about a dictation's audio frame (its id: the session). */
  onStrayEvent: EventListener | null = null;
  private readonly pending = new Map<string, Pending>();
  /** Why requests cannot be sent once the connection is closed. */
  private closedBecause = "the connection is closed";

  private constructor(
    private readonly socket: WebSocket,
    readonly socketPath: string,
  ) {
    socket.on("message", (data, isBinary) => {
      if (!isBinary) this.onEvent(parseEvent(data.toString()));
    });
    // The reason says why when the daemon closed on purpose (too many connections, idle for long).
    socket.on("close", (_code, reason) => {
      const why = reason.length > 0 ? `the daemon closed the connection: ${reason.toString()}` : "";
      this.closedBecause = why || this.closedBecause;
      this.failAll(new DaemonUnreachableError(socketPath, why || "the daemon closed the connection"));
    });
    socket.on("error", (error) => this.failAll(new DaemonUnreachableError(socketPath, error.message)));
  }

  /**
   * Connects and checks that both sides speak the same protocol (ProtocolMismatchError when they do not). A socket
   * owned by another user is refused (ForeignSocketError) before anything is sent: it is not this user's daemon, and
   * could be an impostor's. The default timeout allows for a daemon that is busy for a few seconds preparing a
   * tokenizer. `protocol`: the version this client claims (default PROTOCOL_VERSION).
   */
  static async connect(
    socketPath: string,
    options: { client?: string; timeoutMs?: number; protocol?: number } = {},
  ): Promise<DaemonClient> {
    refuseForeignSocket(socketPath);
    const socket = new WebSocket(`ws+unix:${socketPath}:/`, { handshakeTimeout: options.timeoutMs ?? 10_000 });
    // Listening from the start: a daemon that refuses the connection closes it at once, saying why.
    const client = new DaemonClient(socket, socketPath);
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", (error: NodeJS.ErrnoException) => {
        const reason =
          error.code === "ENOENT" || error.code === "ECONNREFUSED" ? "verbatimd is not running" : error.message;
        reject(new DaemonUnreachableError(socketPath, reason));
      });
    });
    const protocol = options.protocol ?? PROTOCOL_VERSION;
    try {
      await client.request({ type: "hello", protocol, client: options.client ?? "verbatim" });
    } catch (error) {
      const mismatch =
        error instanceof DaemonError && error.code === "protocol_version"
          ? await client.describeMismatch(protocol, error.message)
          : null;
      client.close();
      throw mismatch ?? error;
    }
    return client;
  }

  /** Asks a daemon that refused this client's protocol which one it speaks (its status says, in any version). */
  private async describeMismatch(protocol: number, message: string): Promise<ProtocolMismatchError> {
    let timer: NodeJS.Timeout | undefined;
    const silence = new Promise<null>((resolve) => (timer = setTimeout(resolve, MISMATCH_STATUS_TIMEOUT_MS, null)));
    const status = await Promise.race([this.status().catch(() => null), silence]);
    clearTimeout(timer);
    return new ProtocolMismatchError(protocol, status?.protocol ?? null, status?.version ?? null, message);
  }

  /** Sends a request and resolves with its final event ("done", or the answer to "status"/"hello"). */
  request(body: RequestBody, onEvent?: EventListener, id: string = randomUUID()): Promise<Event> {
    return new Promise((resolve, reject) => {
      const state = this.socket.readyState;
      if (state !== WebSocket.OPEN) {
        // Closing: the reason is known once the close completes.
        const fail = () => reject(new DaemonUnreachableError(this.socketPath, this.closedBecause));
        if (state === WebSocket.CLOSING) this.socket.once("close", fail);
        else fail();
        return;
      }
      this.pending.set(id, { onEvent, resolve, reject });
      this.socket.send(JSON.stringify({ ...body, id }));
    });
  }

  async status(): Promise<DaemonStatus> {
    const event = await this.request({ type: "status" });
    if (event.type !== "status") throw new Error("the daemon answered a status request with " + event.type);
    return event.status;
  }

  transcribeFile(path: string, request: TranscribeRequestOptions = {}): TranscriptionHandle {
    return this.startTranscription({ kind: "file", path }, request);
  }

  /** Sends the bytes of an audio file (for clients whose files the daemon cannot read). */
  transcribeBytes(bytes: Uint8Array, name: string, request: TranscribeRequestOptions = {}): TranscriptionHandle {
    const handle = this.startTranscription({ kind: "upload", bytes: bytes.length, name }, request);
    for (let offset = 0; offset < bytes.length; offset += UPLOAD_CHUNK_BYTES) {
      this.socket.send(encodeAudioFrame(handle.id, bytes.subarray(offset, offset + UPLOAD_CHUNK_BYTES)));
    }
    return handle;
  }

  /**
   * The outcome of a recent job, started by any client (for example before Raycast closed the window). Rejects with
   * the job's own error when it failed, or "not_found" when the daemon no longer knows it.
   */
  async result(job: string): Promise<{ state: "running" } | { state: "done"; transcript: TranscriptData }> {
    const event = await this.request({ type: "result", job });
    if (event.type === "done" && event.transcript) return { state: "done", transcript: event.transcript };
    return { state: "running" };
  }

  async listModels(): Promise<CachedModelData[]> {
    const event = await this.request({ type: "models.list" });
    return event.type === "done" ? (event.models ?? []) : [];
  }

  /** Sends dictation audio: 16-bit little-endian mono PCM at 16 kHz, for the session `session`. */
  sendAudio(session: string, pcm: Uint8Array): void {
    if (this.socket.readyState !== WebSocket.OPEN) {
      throw new DaemonUnreachableError(this.socketPath, "the connection is closed");
    }
    this.socket.send(encodeAudioFrame(session, pcm));
  }

  close(): void {
    this.socket.close();
  }

  private startTranscription(
    source: Extract<Request, { type: "transcribe" }>["source"],
    request: TranscribeRequestOptions,
  ): TranscriptionHandle {
    const id = randomUUID();
    const body: RequestBody = { type: "transcribe", source };
    if (request.options) body.options = request.options;
    if (request.priority) body.priority = request.priority;
    if (request.detached) body.detached = true;
    const promise = this.request(body, request.onEvent, id).then((event) => {
      if (event.type !== "done" || !event.transcript) throw new Error("the daemon finished without a transcript");
      return event.transcript;
    });
    return {
      id,
      promise,
      cancel: async () => {
        await this.request({ type: "cancel", job: id }).catch(() => undefined);
      },
    };
  }

  private onEvent(event: Event): void {
    const pending = event.id === null ? undefined : this.pending.get(event.id);
    if (!pending) {
      this.onStrayEvent?.(event);
      return;
    }
    if (event.type === "error" || event.type === "dictation.error") {
      this.pending.delete(event.id!);
      pending.reject(new DaemonError(event.code, event.message));
    } else if (
      event.type === "done" ||
      event.type === "status" ||
      event.type === "welcome" ||
      event.type === "dictation.done"
    ) {
      this.pending.delete(event.id);
      pending.resolve(event);
    } else {
      pending.onEvent?.(event);
    }
  }

  private failAll(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}
