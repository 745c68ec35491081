// Finding and reaching verbatimd from the extension, through the copy of the daemon's client in ../verbatimd (pure
// JavaScript: the extension builds from its own folder, without native code).
import os from "node:os";
import path from "node:path";
import { DaemonClient, DaemonUnreachableError } from "../verbatimd/client";
import { verbatimPaths } from "../verbatimd/paths";

export {
  DaemonClient,
  DaemonError,
  DaemonUnreachableError,
  ForeignSocketError,
  ProtocolMismatchError,
} from "../verbatimd/client";
export type {
  DaemonStatus,
  DictationInfo,
  DictationStopReason,
  Event,
  HistoryEntry,
  IdleUnloadStatus,
  MeetingInfo,
  MeetingTrackName,
  MeetingTranscriptData,
  SegmentData,
  TranscriptData,
  TranscriptionOptions,
} from "../verbatimd/protocol";

/** The socket from the preference when set ("~/" means the home folder), else the daemon's default for this user. */
export function socketPath(
  override: string | undefined,
  env: Record<string, string | undefined> = process.env,
): string {
  const trimmed = override?.trim();
  if (!trimmed) return verbatimPaths(env).socket;
  return trimmed.startsWith("~/") ? path.join(os.homedir(), trimmed.slice(2)) : path.resolve(trimmed);
}

export function logFolder(env: Record<string, string | undefined> = process.env): string {
  return verbatimPaths(env).logDir;
}

/** Something accepted the connection on the socket but did not answer in time: a daemon that is busy or stuck. */
export class DaemonTimeoutError extends DaemonUnreachableError {
  constructor(socket: string, timeoutMs: number) {
    super(socket, `verbatimd did not answer within ${timeoutMs / 1000} s`);
    this.name = "DaemonTimeoutError";
  }
}

/** The command closed (or otherwise gave up) while it was connecting. */
export class ConnectAbortedError extends Error {
  constructor() {
    super("connecting to verbatimd was given up");
    this.name = "ConnectAbortedError";
  }
}

export interface ConnectOptions {
  /** How long the daemon may take to accept and answer hello; then DaemonUnreachableError. */
  timeoutMs?: number;
  /** Gives up (ConnectAbortedError) when it aborts, such as when the command's view closes. */
  signal?: AbortSignal;
  /** The protocol version to claim (default: the one this extension speaks). */
  protocol?: number;
}

/**
 * Connects and says hello. Throws DaemonUnreachableError when verbatimd is not there (DaemonTimeoutError when it
 * does not answer in time),
 * ProtocolMismatchError when it speaks another protocol. A connection that completes after the timeout or the
 * signal gave up on it is closed at once, never left open.
 */
export function connect(
  socket: string,
  { timeoutMs = 5000, signal, protocol }: ConnectOptions = {},
): Promise<DaemonClient> {
  const connecting = DaemonClient.connect(socket, { client: "verbatim-raycast", timeoutMs, protocol });
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      outcome();
      return true;
    };
    const giveUp = (error: Error) => {
      if (finish(() => reject(error)))
        connecting.then(
          (client) => client.close(),
          () => undefined,
        );
    };
    const onAbort = () => giveUp(new ConnectAbortedError());
    const timer = setTimeout(() => giveUp(new DaemonTimeoutError(socket, timeoutMs)), timeoutMs);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
    connecting.then(
      (client) => finish(() => resolve(client)),
      (error: unknown) => finish(() => reject(error)),
    );
  });
}

/** Runs `use` on a connection of its own, closed afterwards whatever happens. */
export async function withConnection<T>(
  socket: string,
  use: (client: DaemonClient) => Promise<T>,
  options?: ConnectOptions,
): Promise<T> {
  const client = await connect(socket, options);
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

/**
 * Runs `use` on a connection of its own within `timeoutMs` in all (connecting included): past it the connection is
 * closed, which fails what is still waiting with DaemonUnreachableError. For quick looks such as the menu bar's.
 */
export async function withConnectionWithin<T>(
  socket: string,
  timeoutMs: number,
  use: (client: DaemonClient) => Promise<T>,
): Promise<T> {
  const started = Date.now();
  return withConnection(
    socket,
    async (client) => {
      const timer = setTimeout(() => client.close(), Math.max(0, timeoutMs - (Date.now() - started)));
      try {
        return await use(client);
      } finally {
        clearTimeout(timer);
      }
    },
    { timeoutMs },
  );
}
