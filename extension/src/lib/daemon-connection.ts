// Finding and reaching verbatimd from the extension. Pure JavaScript: the client and paths modules bundle without
// native code (never import the daemon package's index, which loads the engine).
import os from "node:os";
import path from "node:path";
import { DaemonClient, DaemonUnreachableError } from "../../../daemon/src/client";
import { verbatimPaths } from "../../../daemon/src/paths";
import type { DaemonStatus } from "../../../daemon/src/protocol";

export { DaemonClient, DaemonError, DaemonUnreachableError } from "../../../daemon/src/client";
export type {
  DaemonStatus,
  DictationInfo,
  DictationStopReason,
  Event,
  SegmentData,
  TranscriptData,
  TranscriptionOptions,
} from "../../../daemon/src/protocol";

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

/** Connects for a command's lifetime. Throws DaemonUnreachableError when verbatimd is not there. */
export function connect(socket: string, timeoutMs = 3000): Promise<DaemonClient> {
  return DaemonClient.connect(socket, { client: "verbatim-raycast", timeoutMs });
}

/** The daemon's status, or null when it does not answer within the timeout (for the menu bar's refresh). */
/** Runs `use` on a connection of its own, closed afterwards whatever happens. */
export async function withConnection<T>(socket: string, use: (client: DaemonClient) => Promise<T>): Promise<T> {
  const client = await connect(socket);
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

export async function pingDaemon(socket: string, timeoutMs = 1000): Promise<DaemonStatus | null> {
  let client: DaemonClient | undefined;
  const timeout = new Promise<null>((resolve) => setTimeout(resolve, timeoutMs, null).unref());
  try {
    const ping = (async () => {
      client = await connect(socket, timeoutMs);
      return client.status();
    })();
    return await Promise.race([ping, timeout]);
  } catch (error) {
    if (error instanceof DaemonUnreachableError) return null;
    throw error;
  } finally {
    client?.close();
  }
}
