// DNS rebinding defence: a web page that points its own name at this machine still sends that name in the Host
// header, so a request is answered only when its Host names the address the API listens on.
import { isIP } from "node:net";
import os from "node:os";

// host.docker.internal is how containers on the Mac (Open WebUI in Docker) reach it; no web page can be served
// under that name, so it cannot carry a rebinding attack.
const LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]", "host.docker.internal"];

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function isWildcard(host: string): boolean {
  return host === "0.0.0.0" || host === "::" || host === "[::]";
}

/** An address as it is written in a Host header (IPv6 in brackets), lower case. */
function hostName(address: string): string {
  const bare = address.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  return isIP(bare) === 6 ? `[${bare}]` : bare;
}

/** The names a Host header may carry for an API listening on `listenHost`. */
export function allowedHostNames(listenHost: string): Set<string> {
  const names = new Set<string>([hostName(listenHost)]);
  if (isLoopback(listenHost)) for (const name of LOOPBACK_NAMES) names.add(name);
  if (isWildcard(listenHost)) {
    for (const name of LOOPBACK_NAMES) names.add(name);
    for (const addresses of Object.values(os.networkInterfaces())) {
      for (const address of addresses ?? []) names.add(hostName(address.address.replace(/%.*$/, "")));
    }
    const machine = os.hostname().toLowerCase();
    names.add(machine);
    if (!machine.endsWith(".local")) names.add(`${machine}.local`);
  }
  return names;
}

/** Whether a request's Host header names this API: one of `names`, and its port (or the scheme's default). */
export function hostAllowed(header: string | undefined, names: Set<string>, port: number, tls: boolean): boolean {
  if (!header) return false;
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(header.trim().toLowerCase());
  if (!match) return false;
  const headerPort = match[2] === undefined ? (tls ? 443 : 80) : Number(match[2]);
  return headerPort === port && names.has(hostName(match[1]));
}
