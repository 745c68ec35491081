// Answers on the API's HTTP side: JSON, text and errors, with no CORS headers (web pages must not read them).
import type { ServerResponse } from "node:http";
import type { ApiError } from "./errors";

const COMMON_HEADERS = { "cache-control": "no-store", "x-content-type-options": "nosniff" };

export function sendBody(response: ServerResponse, status: number, contentType: string, body: string): void {
  if (response.headersSent) return;
  response.writeHead(status, {
    ...COMMON_HEADERS,
    "content-type": contentType,
    "content-length": Buffer.byteLength(body),
  });
  response.end(body);
}

export function sendJson(response: ServerResponse, status: number, value: unknown): void {
  sendBody(response, status, "application/json", JSON.stringify(value));
}

/** The error in OpenAI's shape. */
export function sendError(response: ServerResponse, error: ApiError): void {
  if (response.headersSent) return;
  for (const [name, value] of Object.entries(error.headers)) response.setHeader(name, value);
  sendJson(response, error.status, error.body());
}

/** Starts a server-sent event stream (the `openai` client's Stream reads `data:` lines of JSON). */
export function startEventStream(response: ServerResponse): (event: unknown) => void {
  response.writeHead(200, {
    ...COMMON_HEADERS,
    "content-type": "text/event-stream; charset=utf-8",
    connection: "keep-alive",
  });
  response.flushHeaders();
  return (event) => {
    if (!response.writableEnded) response.write(`data: ${JSON.stringify(event)}\n\n`);
  };
}
