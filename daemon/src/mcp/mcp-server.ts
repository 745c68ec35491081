// `verbatim mcp`: a Model Context Protocol server on stdio, so assistants can search and read the user's kept
// transcripts (dictations included) and transcribe a file. Every tool goes through the running daemon; transcribing
// starts it if needed (the history's tools say that it is stopped); the history's entries name the assistant as their app.
import path from "node:path";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { ErrorCode, type CallToolResult, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { DaemonError, type DaemonClient } from "../client";
import { connectRunning, ensureDaemon } from "../daemon-control";
import type { VerbatimPaths } from "../paths";
import { formatTranscript } from "../formats";
import {
  MAX_SPEAKERS,
  type HistoryEntry,
  type HistoryEntryDetail,
  type HistoryPage,
  type TranscriptData,
} from "../protocol";
import { hasSpeakers } from "../speakers/speaker-turns";
import { VERSION } from "../version";

const MAX_RESULTS = 50;

/** The machine the transcripts are on, as the user calls it. */
const THIS_MACHINE =
  process.platform === "darwin" ? "this Mac" : process.platform === "linux" ? "this Linux machine" : "this computer";

export function createMcpServer(paths: VerbatimPaths): McpServer {
  const server = new McpServer(
    { name: "verbatim", title: "Verbatim", version: VERSION },
    {
      instructions:
        `Verbatim keeps the user's dictations, meetings and transcribed recordings on ${THIS_MACHINE}. Search them with ` +
        "search_transcripts, list recent ones with list_transcripts, read one with get_transcript, and transcribe " +
        "an audio or video file (an absolute path) with transcribe_file.",
    },
  );
  // Transcribing starts a stopped daemon (it needs the engine); reading the history leaves it stopped.
  const withDaemon = async (
    work: (client: DaemonClient) => Promise<string>,
    connect: (paths: VerbatimPaths) => Promise<DaemonClient> = connectRunning,
  ): Promise<CallToolResult> => {
    let client: DaemonClient | null = null;
    try {
      client = await connect(paths);
      return { content: [{ type: "text", text: await work(client) }] };
    } catch (error) {
      return { content: [{ type: "text", text: (error as Error).message }], isError: true };
    } finally {
      client?.close();
    }
  };
  const limit = z.number().int().min(1).max(MAX_RESULTS).optional().describe(`How many (1-${MAX_RESULTS}; default 10)`);
  const beforeId = z.number().int().min(1).optional().describe("Only entries older than this id (for the next page)");

  server.registerTool(
    "search_transcripts",
    {
      title: "Search transcripts",
      description:
        "Finds kept transcripts (dictations, meetings, transcribed files) whose text has every word of the query, newest " +
        "first; the last word also matches as the start of a word. Returns each entry's id, date, source and the text around the match.",
      inputSchema: { query: z.string().min(1).describe("Words to look for"), limit, before_id: beforeId },
      annotations: { readOnlyHint: true },
    },
    ({ query, limit: count, before_id: before }) =>
      withDaemon(async (client) => {
        const page = before === undefined ? {} : { beforeId: before };
        const event = await client.request({ type: "history.search", query, limit: count ?? 10, ...page });
        return describePage(
          event.type === "done" ? event.history : undefined,
          `No ${before === undefined ? "" : "older "}transcript has all of: ${query}`,
          (id) => `search_transcripts with the same query and before_id ${id}`,
        );
      }),
  );

  server.registerTool(
    "list_transcripts",
    {
      title: "List recent transcripts",
      description: "The most recent kept transcripts, newest first, with their ids, dates, sources and first words.",
      inputSchema: { limit, before_id: beforeId },
      annotations: { readOnlyHint: true },
    },
    ({ limit: count, before_id: before }) =>
      withDaemon(async (client) => {
        const page = before === undefined ? {} : { beforeId: before };
        const event = await client.request({ type: "history.list", limit: count ?? 10, ...page });
        return describePage(
          event.type === "done" ? event.history : undefined,
          before === undefined ? "No transcripts are kept yet." : `No transcript is older than #${before}.`,
          (id) => `list_transcripts with before_id ${id}`,
        );
      }),
  );

  server.registerTool(
    "get_transcript",
    {
      title: "Read a transcript",
      description: "One kept transcript in full, by the id search_transcripts or list_transcripts gave.",
      inputSchema: {
        id: z.number().int().min(1).describe("The transcript's id"),
        timings: z.boolean().optional().describe("Include each segment's start and end time"),
      },
      annotations: { readOnlyHint: true },
    },
    ({ id, timings }) =>
      withDaemon(async (client) => {
        const event = await client.request({ type: "history.get", entry: id }).catch((error: unknown) => {
          if (!(error instanceof DaemonError) || error.code !== "not_found") throw error;
          throw new Error(
            `No transcript #${id} is kept (it may have been deleted); list_transcripts and search_transcripts give ` +
              "the ids there are",
          );
        });
        if (event.type !== "done" || !event.historyEntry) throw new Error(`No transcript #${id} came back`);
        return describeEntry(event.historyEntry, Boolean(timings));
      }),
  );

  server.registerTool(
    "transcribe_file",
    {
      title: "Transcribe a file",
      description:
        `Transcribes an audio or video file on ${THIS_MACHINE} with the local speech model (Whisper or Parakeet; ` +
        "nothing leaves the machine) and keeps the transcript in the history. Long recordings take a while; " +
        "progress is reported. What the model cannot do (translation, a language or a prompt it does not take) is " +
        "refused, saying which model can.",
      inputSchema: {
        path: z.string().min(1).describe("The file's absolute path"),
        language: z.string().optional().describe("Language code such as en or de; default: detected"),
        task: z
          .enum(["transcribe", "translate"])
          .optional()
          .describe("translate: English text from any language (Whisper models)"),
        prompt: z.string().optional().describe("Names, terms or style the transcript should follow (Whisper models)"),
        speakers: z
          .union([z.literal("auto"), z.number().int().min(1).max(MAX_SPEAKERS)])
          .optional()
          .describe(
            `Tell speakers apart: "auto", or at most this many (1-${MAX_SPEAKERS}); the text is then one ` +
              '"Speaker N: " line per turn',
          ),
      },
    },
    (args, extra) =>
      withDaemon(async (client) => {
        if (!path.isAbsolute(args.path)) throw new Error(`give the file's absolute path, not "${args.path}"`);
        const app = `${server.server.getClientVersion()?.name ?? "assistant"} (MCP)`;
        const progressToken = extra._meta?.progressToken;
        const handle = client.transcribeFile(args.path, {
          options: {
            app,
            ...(args.language && { language: args.language }),
            ...(args.task && { task: args.task }),
            ...(args.prompt && { prompt: args.prompt }),
            ...(args.speakers !== undefined && { speakers: args.speakers }),
          },
          onEvent: (event) => {
            if (progressToken === undefined || event.type !== "progress" || event.stage !== "transcribing") return;
            void extra
              .sendNotification({
                method: "notifications/progress",
                params: { progressToken, progress: event.fraction ?? 0, total: 1, message: "transcribing" },
              })
              .catch(() => undefined);
          },
        });
        const cancel = () => void handle.cancel();
        extra.signal.addEventListener("abort", cancel, { once: true });
        try {
          return describeTranscript(await handle.promise);
        } finally {
          extra.signal.removeEventListener("abort", cancel);
        }
      }, ensureDaemon),
  );
  return server;
}

/** Serves on stdin/stdout until the client closes them. */
export async function runMcpServer(paths: VerbatimPaths): Promise<void> {
  const server = createMcpServer(paths);
  const transport = new StdioServerTransport();
  answerUnreadableLines(transport);
  const closed = new Promise<void>((resolve) => (transport.onclose = resolve));
  await server.connect(transport);
  process.stdin.once("end", () => void server.close());
  await closed;
}

/**
 * The SDK's stdio transport drops a line that is not JSON, or not a JSON-RPC message, telling only its `onerror`.
 * JSON-RPC 2.0 asks for an answer with a null id (the request's id could not be read): -32700 Parse error, -32600
 * Invalid Request. Set before the server connects, which calls this handler first and then its own.
 */
function answerUnreadableLines(transport: StdioServerTransport): void {
  transport.onerror = (error) => {
    const reply =
      error instanceof SyntaxError
        ? { code: ErrorCode.ParseError, message: `Parse error: the line is not JSON (${error.message})` }
        : error.name === "ZodError"
          ? { code: ErrorCode.InvalidRequest, message: "Invalid Request: the line is not a JSON-RPC 2.0 message" }
          : null;
    // The SDK's types have no null id, which JSON-RPC requires here.
    if (reply) void transport.send({ jsonrpc: "2.0", id: null, error: reply } as unknown as JSONRPCMessage);
  };
}

/** A page of entries; `next` names the call that gives the next page, from the id to pass. */
function describePage(page: HistoryPage | undefined, none: string, next: (beforeId: number) => string): string {
  if (!page || page.entries.length === 0) return none;
  const lines = page.entries.map((entry) => `- ${heading(entry)}\n  ${entry.snippet?.text ?? preview(entry.text)}`);
  if (page.nextBeforeId !== null) lines.push(`(more: ${next(page.nextBeforeId)})`);
  return lines.join("\n");
}

function heading(entry: HistoryEntry): string {
  const source = entry.kind === "dictation" ? "dictation" : `${entry.kind} ${entry.sourceFile ?? "(unnamed)"}`;
  const app = entry.app ? `, from ${entry.app}` : "";
  return `#${entry.id} · ${entry.createdAt} · ${source}${app} · ${Math.round(entry.durationSeconds)} s`;
}

function preview(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function describeEntry(entry: HistoryEntryDetail, timings: boolean): string {
  const header = `${heading(entry)} · language ${entry.language ?? "unknown"} · model ${entry.model}`;
  if (!timings) return `${header}\n\n${entry.text}`;
  const segments = entry.segments.map((s) => `[${clock(s.start)} → ${clock(s.end)}] ${s.text}`);
  return `${header}\n\n${segments.join("\n")}`;
}

/** The text (one "Speaker N: " line per turn when it has speakers), then its language, length and model. */
function describeTranscript(transcript: TranscriptData): string {
  const length = `${Math.round(transcript.durationSeconds)} s`;
  const text = hasSpeakers(transcript.segments) ? formatTranscript("text", "", transcript).trimEnd() : transcript.text;
  return `${text}\n\n(language ${transcript.language ?? "unknown"}, ${length}, model ${transcript.model})`;
}

function clock(seconds: number): string {
  const whole = Math.floor(seconds);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}.${Math.floor((seconds - whole) * 10)}`;
}
