// The API's connections that have not yet shown the token. Any program on the machine can open them, and each holds
// one of the daemon's file descriptors, which its socket clients need too: past a small number, each new one closes
// the oldest, so a flood of idle connections neither runs the daemon out of descriptors nor keeps a real client out
// (its headers come within milliseconds, and it is counted no more).
import type { Socket } from "node:net";

export class UnauthenticatedConnections {
  /** By peer address and port, oldest first. */
  private readonly waiting = new Map<string, Socket>();

  constructor(private readonly max: number) {}

  /** A new connection (the TCP socket, beneath TLS where there is TLS). */
  admit(socket: Socket): void {
    const key = peerOf(socket);
    if (key === null) return; // already gone
    for (const [oldestKey, oldest] of this.waiting) {
      if (this.waiting.size < this.max) break;
      this.waiting.delete(oldestKey);
      oldest.destroy();
    }
    this.waiting.set(key, socket);
    socket.once("close", () => {
      if (this.waiting.get(key) === socket) this.waiting.delete(key);
    });
  }

  /** The connection (its TCP or TLS socket) showed the token: it is the user's, and no longer counted. */
  authenticated(socket: Socket): void {
    const key = peerOf(socket);
    if (key !== null) this.waiting.delete(key);
  }
}

/** The same for a TLS socket and the TCP socket beneath it, and unique among open connections. */
function peerOf(socket: Socket): string | null {
  return socket.remoteAddress === undefined ? null : `${socket.remoteAddress} ${socket.remotePort}`;
}
