// The daemon's OpenAI-compatible API in end-to-end tests: a free loopback port, the token from its file, and curl.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import type { DaemonProcess } from "./daemon-process";

/** A loopback TCP port nothing listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export const apiToken = (daemon: DaemonProcess) => readFileSync(path.join(daemon.home, "api-token"), "utf8").trim();

export interface CurlResult {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * curl with these arguments (and -s -i); the status, lower-cased headers and body of the last response. Status 0:
 * no answer (nothing listens).
 */
export function curl(args: string[]): Promise<CurlResult> {
  return new Promise((resolve) =>
    execFile("curl", ["-s", "-i", ...args], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout) => {
      if (error && !stdout) return resolve({ status: 0, headers: {}, body: "" });
      const responses = stdout.split(/\r\n\r\n(?=HTTP\/)/);
      const last = responses[responses.length - 1];
      const split = last.indexOf("\r\n\r\n");
      const [statusLine, ...lines] = last.slice(0, split).split("\r\n");
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(":");
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(" ")[1]), headers, body: last.slice(split + 4) });
    }),
  );
}
