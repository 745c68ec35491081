// A Unix socket that relays to the real daemon's socket after a delay, as a busy or slow daemon answers late: it
// counts the connections made through it and says when each one has been closed by its client.
import { createServer, connect as connectSocket, type Server, type Socket } from "node:net";
import path from "node:path";

export class SlowRelay {
  /** Connections made through the relay so far. */
  connections = 0;
  private open = new Set<Socket>();
  private constructor(
    private readonly server: Server,
    readonly socket: string,
  ) {}

  static async start(folder: string, target: string, delayMs: number): Promise<SlowRelay> {
    const socket = path.join(folder, `relay-${Math.random().toString(36).slice(2, 8)}.sock`);
    const server = createServer();
    const relay = new SlowRelay(server, socket);
    server.on("connection", (client) => {
      relay.connections++;
      relay.open.add(client);
      client.pause();
      client.once("close", () => relay.open.delete(client));
      setTimeout(() => {
        if (client.destroyed) return;
        const daemon = connectSocket(target);
        client.pipe(daemon).pipe(client);
        client.resume();
        const end = () => {
          client.destroy();
          daemon.destroy();
        };
        client.once("close", end);
        daemon.once("close", end);
        client.once("error", end);
        daemon.once("error", end);
      }, delayMs);
    });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    return relay;
  }

  /** Connections whose client has not closed them yet. */
  get openConnections(): number {
    return this.open.size;
  }

  /** Resolves once every connection made through the relay has been closed (rejects after `timeoutMs`). */
  async allClosed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.open.size > 0) {
      if (Date.now() > deadline) throw new Error(`${this.open.size} connection(s) through the relay stayed open`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async close(): Promise<void> {
    for (const client of this.open) client.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
