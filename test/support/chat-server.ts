// A small OpenAI-compatible chat completions server on 127.0.0.1, standing in for Ollama (a third-party program) in
// tests: it records every request and answers by the rule the test sets, from the transcript it finds between the
// markers of the last user message.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ChatMessage {
  role: string;
  content: string;
}

export interface ChatRequest {
  path: string;
  model: string;
  messages: ChatMessage[];
  /** The text between the markers of the last user message (null: none found). */
  transcript: string | null;
  /** The last user message without the marked transcript. */
  outsideMarkers: string;
}

/**
 * What the server answers: the message's text, or an error status with a body (and headers), after `delayMs` or once
 * `until` settles.
 */
export interface ChatReply {
  content?: string;
  status?: number;
  body?: string | Buffer;
  headers?: Record<string, string>;
  delayMs?: number;
  until?: Promise<void>;
}

const MARKED = /<(transcript-[0-9a-f]+)>\n([\s\S]*)\n<\/\1>/;

export class ChatServer {
  readonly requests: ChatRequest[] = [];
  /** Requests whose client went away before the answer. */
  abandoned = 0;
  /** The models GET /v1/models lists, as Ollama lists those pulled. */
  models = ["stand-in:latest"];
  rule: (request: ChatRequest) => ChatReply = (request) => ({ content: request.transcript ?? "" });

  private constructor(private readonly server: Server) {}

  static async start(): Promise<ChatServer> {
    const server = createServer();
    const chat = new ChatServer(server);
    server.on("request", (request, response) => {
      if (request.method === "GET" && request.url === "/v1/models") {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ object: "list", data: chat.models.map((id) => ({ id, object: "model" })) }));
        return;
      }
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      request.on("end", () => {
        const parsed = JSON.parse(body) as { model: string; messages: ChatMessage[] };
        const lastUser = [...parsed.messages].reverse().find((message) => message.role === "user")?.content ?? "";
        const marked = MARKED.exec(lastUser);
        const seen: ChatRequest = {
          path: request.url ?? "",
          model: parsed.model,
          messages: parsed.messages,
          transcript: marked ? marked[2]! : null,
          outsideMarkers: marked ? lastUser.replace(marked[0], "") : lastUser,
        };
        chat.requests.push(seen);
        const reply = chat.rule(seen);
        const answer = () => {
          if (response.destroyed) return;
          response.writeHead(reply.status ?? 200, { "content-type": "application/json", ...reply.headers });
          response.end(
            reply.body ??
              JSON.stringify({
                object: "chat.completion",
                model: parsed.model,
                choices: [
                  { index: 0, message: { role: "assistant", content: reply.content ?? "" }, finish_reason: "stop" },
                ],
              }),
          );
        };
        const timer = setTimeout(() => void (reply.until ?? Promise.resolve()).then(answer), reply.delayMs ?? 0);
        response.on("close", () => {
          clearTimeout(timer);
          if (!response.writableFinished) chat.abandoned++;
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return chat;
  }

  /** The base URL a mode's endpoint names, as Ollama's http://127.0.0.1:11434/v1. */
  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
