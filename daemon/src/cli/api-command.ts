// `verbatim api`: the daemon's OpenAI-compatible HTTP API on or off, and its bearer token.
import { isLoopback } from "../api/host-check";
import { isOrigin } from "../protocol";
import { readToken, rotateToken, tokenFile, ensureToken } from "../api/token";
import type { VerbatimPaths } from "../paths";
import type { ApiStatus } from "../protocol";
import { parseCommandLine } from "./command-line";
import { needsOneOf } from "./did-you-mean";
import { connectRunning } from "../daemon-control";
import { EXIT, UsageError } from "./exit-codes";

export type ApiCommand =
  | { action: "on"; port?: number; host?: string; tls?: boolean; tlsPort?: number; allowOrigins?: string[] }
  | { action: "off" }
  | { action: "token"; rotate: boolean };

export function parseApi(args: string[]): ApiCommand {
  const { values, positionals } = parseCommandLine({
    args,
    allowPositionals: true,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      tls: { type: "boolean" },
      "no-tls": { type: "boolean" },
      "tls-port": { type: "string" },
      "allow-origin": { type: "string", multiple: true },
      rotate: { type: "boolean" },
    },
  });
  const [action, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`api ${action} takes no argument "${extra[0]}"`);
  const given = (allowed: string[]) => {
    const other = Object.keys(values).find((key) => !allowed.includes(key));
    if (other) throw new UsageError(`api ${action} takes no --${other}`);
  };
  switch (action) {
    case "on": {
      given(["port", "host", "tls", "no-tls", "tls-port", "allow-origin"]);
      if (values.tls && values["no-tls"]) throw new UsageError("give --tls or --no-tls, not both");
      const command: ApiCommand = { action };
      if (values.port !== undefined) command.port = portOption("--port", values.port);
      if (values["tls-port"] !== undefined) command.tlsPort = portOption("--tls-port", values["tls-port"]);
      if (values.host !== undefined) {
        if (!values.host.trim()) throw new UsageError("--host needs an address, such as 127.0.0.1 or 0.0.0.0");
        command.host = values.host.trim();
      }
      if (values.tls || values["no-tls"]) command.tls = Boolean(values.tls);
      const origins = values["allow-origin"];
      if (origins) {
        const chosen = origins.filter((origin) => origin !== "none");
        const bad = chosen.find((origin) => !isOrigin(origin));
        if (bad) throw new UsageError(`--allow-origin takes an origin such as app://obsidian.md, not "${bad}"`);
        command.allowOrigins = chosen;
      }
      return command;
    }
    case "off":
      given([]);
      return { action };
    case "token":
      given(["rotate"]);
      return { action, rotate: Boolean(values.rotate) };
    default:
      throw new UsageError(needsOneOf("api", action, ["on", "off", "token"]));
  }
}

function portOption(name: string, value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`${name} must be from 1 to 65535`);
  return port;
}

export async function runApi(command: ApiCommand, paths: VerbatimPaths): Promise<number> {
  if (command.action === "token") {
    const file = tokenFile(paths.configDir);
    if (command.rotate) {
      process.stdout.write(`${rotateToken(file)}\n`);
      process.stderr.write("verbatim: a new API token is in use; the old one no longer works: update your apps\n");
    } else process.stdout.write(`${readToken(file) ?? ensureToken(file)}\n`);
    return EXIT.ok;
  }
  const client = await connectRunning(paths);
  try {
    // Fields left out (undefined is not sent) keep the daemon's current setting.
    const settings =
      command.action === "on"
        ? {
            port: command.port,
            host: command.host,
            tls: command.tls,
            tlsPort: command.tlsPort,
            allowOrigins: command.allowOrigins,
          }
        : {};
    const event = await client.request({ type: "api.set", enabled: command.action === "on", ...settings });
    const api = event.type === "done" ? event.api : undefined;
    if (!api) throw new Error("the daemon answered without the API's state; update Verbatim so both match");
    process.stdout.write(describeApi(api));
    return EXIT.ok;
  } finally {
    client.close();
  }
}

/** What `verbatim api on|off` and `verbatim status` say about the API. */
export function describeApi(api: ApiStatus): string {
  if (!api.enabled) return "api:     off (verbatim api on serves it)\n";
  if (!api.url) return `api:     not listening: ${api.error ?? "unknown reason"}\n`;
  const lines = [`api:     ${api.url} (OpenAI base URL; API key: verbatim api token)`];
  if (api.tlsUrl) lines.push(`         ${api.tlsUrl} (HTTPS and WSS, the same API)`);
  if (api.certificate) lines.push(`         TLS certificate to trust: ${api.certificate}`);
  if (api.allowOrigins.length > 0)
    lines.push(`         pages of ${api.allowOrigins.join(", ")} may read answers (CORS)`);
  const host = new URL(api.url).hostname;
  if (!isLoopback(host)) {
    lines.push(
      `         reachable from other machines at ${host}: anyone on the network with the token can transcribe` +
        (api.tls ? "" : "; add --tls so the token does not cross the network in the clear"),
    );
  }
  return lines.join("\n") + "\n";
}
