// One request to an OpenAI-compatible chat completions endpoint (Ollama, LM Studio, llama.cpp's server): the
// messages in, the answer's text out. It follows no redirect (a server on this machine must not send the text to
// another), reads at most MAX_ANSWER_BYTES, and ends when `signal` aborts (the time limit, a cancelled dictation).
import type { ChatMessage } from "./finishing-prompt";

const MAX_ANSWER_BYTES = 1024 * 1024;

/** The endpoint could not be used; the message says what happened and what to do. */
export class ChatCompletionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ChatCompletionError";
  }
}

export function chatCompletionsUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, "")}/chat/completions`;
}

export async function chatCompletion(
  endpoint: string,
  model: string,
  messages: ChatMessage[],
  signal: AbortSignal,
): Promise<string> {
  const url = chatCompletionsUrl(endpoint);
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ model, messages, stream: false, temperature: 0 }),
      redirect: "error",
      signal,
    });
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new ChatCompletionError(
      `${url} could not be reached (${cause?.code ?? cause?.message ?? (error as Error).message}): start the ` +
        "local model's server (for Ollama: ollama serve), or change the mode's endpoint",
    );
  }
  const body = await readBounded(response);
  if (!response.ok) {
    throw new ChatCompletionError(
      `${url} answered ${response.status}${errorMessage(body)}: check that the server runs the model the mode names ` +
        "(ollama pull MODEL)",
    );
  }
  let content: unknown;
  try {
    content = (JSON.parse(body) as { choices?: { message?: { content?: unknown } }[] }).choices?.[0]?.message?.content;
  } catch {
    throw new ChatCompletionError(`${url} did not answer with JSON: is it an OpenAI-compatible API (…/v1)?`);
  }
  if (typeof content !== "string") {
    throw new ChatCompletionError(`${url} answered without a message's text: is it an OpenAI-compatible API (…/v1)?`);
  }
  return content;
}

async function readBounded(response: Response): Promise<string> {
  if (!response.body) return "";
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  // The reader's own cancel: the body cannot be cancelled while a reader holds it.
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.length;
    if (bytes > MAX_ANSWER_BYTES) {
      await reader.cancel();
      throw new ChatCompletionError(`the answer was longer than ${MAX_ANSWER_BYTES / 1024 / 1024} MiB`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The error's own message (OpenAI's shape, or a plain text), short, for the notice. */
function errorMessage(body: string): string {
  let message: unknown = body;
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string };
    message = typeof parsed.error === "string" ? parsed.error : (parsed.error?.message ?? body);
  } catch {
    // Not JSON: the text itself.
  }
  const text = String(message).replace(/\s+/g, " ").trim().slice(0, 200);
  return text ? ` (${text})` : "";
}
