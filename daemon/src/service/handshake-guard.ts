// Connections on the socket that have not finished their WebSocket handshake (a client that connects and sends
// nothing, or plain HTTP). Each holds a file descriptor, and none counts as a client until its handshake is done:
// so at most `max` may wait at once (more are closed at once) and each is closed after `timeoutMs`.
import type { Server } from "node:http";
import type { Socket } from "node:net";

export interface HandshakeLimits {
  max: number;
  timeoutMs: number;
}

/** How often a closed connection is reported at most (a flood of them would flood the log). */
const REPORT_EVERY_MS = 60_000;

export function guardHandshakes(server: Server, limits: HandshakeLimits, report: (why: string) => void): void {
  const pending = new Map<Socket, NodeJS.Timeout>();
  let reportedAt = -Infinity;
  const onRefused = (why: string) => {
    if (performance.now() - reportedAt < REPORT_EVERY_MS) return;
    reportedAt = performance.now();
    report(why);
  };
  const settle = (socket: Socket) => {
    clearTimeout(pending.get(socket));
    pending.delete(socket);
  };
  server.on("connection", (socket: Socket) => {
    if (pending.size >= limits.max) {
      onRefused(`${limits.max} connections are already waiting for their handshake`);
      socket.destroy();
      return;
    }
    const timer = setTimeout(() => {
      settle(socket);
      onRefused(`a connection sent no WebSocket handshake within ${limits.timeoutMs / 1000} s`);
      socket.destroy();
    }, limits.timeoutMs);
    timer.unref();
    pending.set(socket, timer);
    socket.once("close", () => settle(socket));
  });
  // The handshake request has arrived: the WebSocket server answers it at once (or refuses and closes it).
  server.on("upgrade", (_request, socket: Socket) => settle(socket));
}
