// An assistant's MCP session with the daemon, as Claude Desktop and other MCP hosts open it: the official MCP SDK's
// client over stdio to `verbatim mcp`, in the daemon's environment.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { cliEntry, type DaemonProcess } from "./daemon-process";

/** The daemon records the jobs of this session with the app "e2e-assistant (MCP)". */
export async function connectMcp(daemon: DaemonProcess): Promise<Client> {
  const mcp = new Client({ name: "e2e-assistant", version: "1.0.0" });
  await mcp.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [cliEntry, "mcp"],
      env: daemon.env as Record<string, string>,
    }),
  );
  return mcp;
}

/** A tool result's text parts, joined by lines. */
export const toolText = (result: Awaited<ReturnType<Client["callTool"]>>): string =>
  (result.content as { type: string; text: string }[]).map((part) => part.text).join("\n");
