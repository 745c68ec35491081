// The OpenAI-compatible HTTP API: a listener of its own beside the socket, off until asked for, on loopback unless
// another address is given; with --tls, HTTPS and WSS on a port of their own beside plain HTTP. Every request must name this API in its Host header (DNS
// rebinding) and carry the bearer token; CORS headers go only to origins the user allowed (none by default), so web
// pages cannot read its answers.
import http from "node:http";
import https from "node:https";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import type { ApiStatus } from "../protocol";
import { ApiError } from "./errors";
import { allowedHostNames, hostAllowed } from "./host-check";
import { sendError, sendJson } from "./http-response";
import { listModels, publicModelName } from "./models";
import { RealtimeConnection, REALTIME_MAX_MESSAGE_BYTES } from "./realtime/realtime-connection";
import { clientName, type ApiServices } from "./services";
import { tlsPortOf, type ApiSettings } from "../service/api-settings";
import { ensureCertificate } from "./tls-certificate";
import { readToken, tokenFile, tokenMatches, ensureToken } from "./token";
import { handleTranscription } from "./transcription-route";
import { UnauthenticatedConnections } from "./unauthenticated-connections";

/**
 * A large upload over a slow network may take this long to arrive (Node's default is 5 minutes); one that stops
 * sending is abandoned long before (multipart-upload.ts).
 */
const REQUEST_TIMEOUT_MS = 30 * 60 * 1000;
/** The time a client has to send its request's headers, and to finish the TLS handshake: real clients take ms. */
const HEADERS_TIMEOUT_MS = 10_000;
/** How often Node looks for requests past those times (its default, 30 s, would let them live 40 s). */
const TIMEOUT_CHECK_MS = 1_000;
/** How long a new Realtime session waits for a closed one's dictation to end before it is refused as busy. */
const HANDOVER_WAIT_MS = 30_000;
/** Connections without the token kept open at once (per listener): each new one past this closes the oldest. */
const MAX_UNAUTHENTICATED_CONNECTIONS = 32;
const SERVER_OPTIONS = {
  requestTimeout: REQUEST_TIMEOUT_MS,
  headersTimeout: HEADERS_TIMEOUT_MS,
  connectionsCheckingInterval: TIMEOUT_CHECK_MS,
};

/** One server: plain HTTP, or HTTPS on its own port. */
interface Listener {
  server: http.Server;
  port: number;
  tls: boolean;
  hostNames: Set<string>;
  unauthenticated: UnauthenticatedConnections;
}

interface Listening {
  settings: ApiSettings;
  listeners: Listener[];
  certificateFile: string | null;
}

export class ApiServer {
  private listening: Listening | null = null;
  private settings: ApiSettings | null = null;
  private error: string | null = null;
  private readonly realtime = new WebSocketServer({ noServer: true, maxPayload: REALTIME_MAX_MESSAGE_BYTES });
  /** Realtime sessions, from their upgrade until their client has left and their dictation has ended. */
  private readonly sessions = new Set<RealtimeConnection>();
  private readonly tokenPath: string;

  constructor(
    private readonly services: ApiServices,
    private readonly configDir: string,
  ) {
    this.tokenPath = tokenFile(configDir);
  }

  status(): ApiStatus {
    const listening = this.listening;
    return {
      enabled: this.settings?.enabled ?? false,
      url: listening ? baseUrl(listening.settings) : null,
      tls: listening?.settings.tls ?? this.settings?.tls ?? false,
      tlsUrl: listening?.settings.tls ? baseUrl(listening.settings, true) : null,
      certificate: listening?.certificateFile ?? null,
      tokenFile: this.tokenPath,
      allowOrigins: this.settings?.allowOrigins ?? [],
      error: this.error,
    };
  }

  /**
   * Listens as `settings` say (or stops listening). Throws why it cannot listen (a port in use, an address this
   * machine does not have), having stopped the old listener; the status keeps the reason.
   */
  async apply(settings: ApiSettings): Promise<void> {
    if (this.listening && sameListener(this.listening.settings, settings)) {
      this.settings = settings;
      return;
    }
    await this.close();
    this.settings = settings;
    this.error = null;
    if (!settings.enabled) return;
    try {
      ensureToken(this.tokenPath);
      this.listening = await this.listen(settings);
      const urls = settings.tls ? [baseUrl(settings), baseUrl(settings, true)] : [baseUrl(settings)];
      this.services.log.info("HTTP API listening", { urls });
    } catch (error) {
      this.error = describeListenError(error, settings);
      throw new Error(this.error);
    }
  }

  /** Stops listening; open requests and Realtime sessions end. */
  async close(): Promise<void> {
    const listening = this.listening;
    if (!listening) return;
    this.listening = null;
    for (const client of this.realtime.clients) client.close(1001, "the API was turned off or verbatimd is stopping");
    await Promise.all(listening.listeners.map(({ server }) => closeServer(server)));
  }

  private async listen(settings: ApiSettings): Promise<Listening> {
    const certificate = settings.tls ? await ensureCertificate(this.configDir, settings.host, this.services.log) : null;
    const listeners: Listener[] = [];
    try {
      listeners.push(await this.serve(settings, http.createServer(SERVER_OPTIONS), settings.port, false));
      if (certificate) {
        const server = https.createServer({
          ...SERVER_OPTIONS,
          handshakeTimeout: HEADERS_TIMEOUT_MS,
          cert: certificate.certificatePem,
          key: certificate.privateKeyPem,
        });
        listeners.push(await this.serve(settings, server, tlsPortOf(settings), true));
      }
    } catch (error) {
      await Promise.all(listeners.map(({ server }) => closeServer(server)));
      throw error;
    }
    return { settings, listeners, certificateFile: certificate?.certificateFile ?? null };
  }

  /** `server` answering on `port` of the settings' host. Throws why it cannot listen there. */
  private async serve(settings: ApiSettings, server: http.Server, port: number, tls: boolean): Promise<Listener> {
    const listener: Listener = {
      server,
      port,
      tls,
      hostNames: allowedHostNames(settings.host),
      unauthenticated: new UnauthenticatedConnections(MAX_UNAUTHENTICATED_CONNECTIONS),
    };
    server.on("connection", (socket: Socket) => listener.unauthenticated.admit(socket));
    server.on("request", (request, response) => void this.onRequest(listener, request, response));
    server.on("upgrade", (request, socket, head) => {
      this.onUpgrade(listener, request, socket, head).catch((error: unknown) => {
        this.services.log.warn("Realtime upgrade failed", { error: String(error) });
        socket.destroy();
      });
    });
    server.on("clientError", (_error, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once("error", (error: NodeJS.ErrnoException) => reject(Object.assign(error, { port })));
      server.listen(port, settings.host, () => {
        server.removeAllListeners("error");
        resolve();
      });
    });
    return listener;
  }

  /** Why a request may not be answered: a Host that is not this API's, or no valid token. */
  private refusal(listener: Listener, request: http.IncomingMessage): ApiError | null {
    return this.hostRefusal(listener, request) ?? this.tokenRefusal(request);
  }

  private hostRefusal(listener: Listener, request: http.IncomingMessage): ApiError | null {
    if (hostAllowed(request.headers.host, listener.hostNames, listener.port, listener.tls)) return null;
    return new ApiError(
      403,
      "the Host header must name the address the API listens on (requests through other names are refused)",
      "invalid_host",
    );
  }

  private tokenRefusal(request: http.IncomingMessage): ApiError | null {
    const token = readToken(this.tokenPath);
    const presented = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "")?.[1];
    if (!presented) {
      return new ApiError(
        401,
        "no API key: send the token from `verbatim api token` as a bearer token",
        "missing_api_key",
      );
    }
    if (!token || !tokenMatches(token, presented)) {
      return new ApiError(401, "incorrect API key: use the token `verbatim api token` prints", "invalid_api_key");
    }
    return null;
  }

  private async onRequest(
    listener: Listener,
    request: http.IncomingMessage,
    response: http.ServerResponse,
  ): Promise<void> {
    try {
      const hostRefusal = this.hostRefusal(listener, request);
      if (hostRefusal) throw hostRefusal;
      if (this.allowCrossOrigin(request, response)) return;
      const tokenRefusal = this.tokenRefusal(request);
      if (tokenRefusal) throw tokenRefusal;
      listener.unauthenticated.authenticated(request.socket);
      await this.route(request, response);
    } catch (error) {
      const failure = error instanceof ApiError ? error : new ApiError(500, (error as Error).message);
      if (failure.status >= 500) this.services.log.warn("HTTP API request failed", { error: failure.message });
      // A body left unread cannot be followed by another request on this connection, and a client without the token
      // gets no second try on it.
      if (!request.complete || failure.status === 401 || failure.status === 403) {
        response.setHeader("connection", "close");
      }
      sendError(response, failure);
    }
  }

  /**
   * For an origin the user allowed (`--allow-origin`): the CORS headers that let its pages read answers, and the
   * answer to its preflight (true: answered). Any other origin gets no CORS header at all.
   */
  private allowCrossOrigin(request: http.IncomingMessage, response: http.ServerResponse): boolean {
    const origin = request.headers.origin;
    if (!origin || !(this.settings?.allowOrigins ?? []).includes(origin)) return false;
    response.setHeader("access-control-allow-origin", origin);
    response.setHeader("vary", "Origin");
    if (request.method !== "OPTIONS") return false;
    response.writeHead(204, {
      "access-control-allow-methods": "GET, POST",
      "access-control-allow-headers":
        request.headers["access-control-request-headers"] ?? "authorization, content-type",
      "access-control-max-age": "600",
    });
    response.end();
    return true;
  }

  private async route(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const path = requestPath(request);
    const method = request.method ?? "GET";
    const allow = (methods: string) => {
      if (!methods.split(", ").includes(method)) {
        throw new ApiError(405, `${path} takes ${methods}`, "method_not_allowed", null, { allow: methods });
      }
    };
    const app = clientName(request.headers["user-agent"], "API");
    switch (path) {
      case "/v1/audio/transcriptions":
        allow("POST");
        return handleTranscription(request, response, "transcribe", this.services, app);
      case "/v1/audio/translations":
        allow("POST");
        return handleTranscription(request, response, "translate", this.services, app);
      case "/v1/models":
        allow("GET");
        return sendJson(response, 200, { object: "list", data: await listModels(this.services) });
      case "/health":
        allow("GET");
        return this.health(response);
    }
    if (path.startsWith("/v1/models/")) {
      allow("GET");
      const id = decodedSegment(path.slice("/v1/models/".length), "model id");
      const model = (await listModels(this.services)).find((entry) => entry.id === id);
      if (!model)
        throw new ApiError(404, `no model "${id}" here (GET /v1/models lists them)`, "model_not_found", "model");
      return sendJson(response, 200, model);
    }
    throw new ApiError(404, `no such endpoint: ${method} ${path}`, "unknown_url");
  }

  private health(response: http.ServerResponse): void {
    const model = this.services.status().model;
    const status = model.state === "failed" ? 503 : 200;
    sendJson(response, status, {
      status: status === 200 ? "ok" : "unavailable",
      model: publicModelName(model.id),
      state: model.state,
    });
  }

  private async onUpgrade(
    listener: Listener,
    request: http.IncomingMessage,
    socket: Duplex,
    head: Buffer,
  ): Promise<void> {
    const refusal = this.refusal(listener, request) ?? this.upgradePathRefusal(request);
    if (refusal) return refuseUpgrade(socket, refusal);
    listener.unauthenticated.authenticated(request.socket);
    await this.handover();
    if (socket.destroyed) return;
    if (!this.listening?.listeners.includes(listener)) return void socket.destroy(); // turned off meanwhile
    // A session whose client has begun to close (CLOSING) no longer counts: by the time that client sees the close,
    // the next may connect. From here an upgrade completes at once, so sessions arriving together are counted one by
    // one.
    const open = [...this.sessions].filter((session) => session.open).length;
    const busy = RealtimeConnection.refusal(this.services, open);
    if (busy) return refuseUpgrade(socket, busy);
    this.realtime.handleUpgrade(request, socket, head, (websocket) => {
      const session = new RealtimeConnection(
        websocket,
        this.services,
        clientName(request.headers["user-agent"], "Realtime API"),
      );
      this.sessions.add(session);
      void session.left.then(() => this.sessions.delete(session));
    });
  }

  /**
   * A client that connects again as soon as its last session closed would find that session's dictation still
   * ending (the final pass over its last audio) and be refused, as would one connecting just after a dictation from
   * Raycast or the CLI was stopped: with no session open, a new one waits for the leaving sessions and a stopping
   * dictation to end, for up to HANDOVER_WAIT_MS. A dictation that still records is not waited for.
   */
  private async handover(): Promise<void> {
    const sessions = [...this.sessions];
    if (sessions.some((session) => session.open)) return;
    const ending = [...sessions.map((session) => session.left), this.services.dictations.stopped()];
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, HANDOVER_WAIT_MS)));
    await Promise.race([Promise.all(ending), waited]);
    clearTimeout(timer);
  }

  private upgradePathRefusal(request: http.IncomingMessage): ApiError | null {
    try {
      const path = requestPath(request);
      return path === "/v1/realtime" ? null : new ApiError(404, `no WebSocket endpoint at ${path}`, "unknown_url");
    } catch (error) {
      return error as ApiError;
    }
  }
}

/** The request's path without its trailing slashes. Throws ApiError 400 for a target that is not a URL path. */
function requestPath(request: http.IncomingMessage): string {
  let url: URL;
  try {
    url = new URL(request.url ?? "/", "http://api");
  } catch {
    throw new ApiError(400, "the request's target is not a valid URL path", "invalid_url");
  }
  return url.pathname.replace(/\/+$/, "") || "/";
}

/** A percent-encoded path segment, decoded. Throws ApiError 400, naming `what`, when its encoding is broken. */
function decodedSegment(segment: string, what: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ApiError(
      400,
      `the ${what} in the path is not valid percent-encoded UTF-8 ("${segment}"); encode it with encodeURIComponent`,
      "invalid_url",
    );
  }
}

function sameListener(a: ApiSettings, b: ApiSettings): boolean {
  return (
    a.enabled === b.enabled &&
    a.port === b.port &&
    a.host === b.host &&
    a.tls === b.tls &&
    (!a.tls || tlsPortOf(a) === tlsPortOf(b))
  );
}

/** Answers an upgrade request with `refusal` as an HTTP response, and closes the connection. */
function refuseUpgrade(socket: Duplex, refusal: ApiError): void {
  const body = JSON.stringify(refusal.body());
  const headers = Object.entries(refusal.headers).map(([name, value]) => `${name}: ${value}\r\n`);
  socket.end(
    `HTTP/1.1 ${refusal.status} ${http.STATUS_CODES[refusal.status] ?? "Error"}\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${headers.join("")}` +
      `connection: close\r\n\r\n${body}`,
  );
}

/** Stops `server` and ends its open connections. */
function closeServer(server: http.Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  return closed;
}

/** The base URL clients are given: plain HTTP, or (`tls`) HTTPS on its own port. */
export function baseUrl(settings: ApiSettings, tls = false): string {
  const host = settings.host.includes(":") && !settings.host.startsWith("[") ? `[${settings.host}]` : settings.host;
  return tls ? `https://${host}:${tlsPortOf(settings)}/v1` : `http://${host}:${settings.port}/v1`;
}

function describeListenError(error: unknown, settings: ApiSettings): string {
  const code = (error as NodeJS.ErrnoException).code;
  const port = (error as { port?: number }).port ?? settings.port;
  const where = `${settings.host}:${port}`;
  if (code === "EADDRINUSE") {
    const option = port === settings.port ? "--port" : "--tls-port";
    return `the API cannot listen on ${where}: another program uses port ${port}; choose another with verbatim api on ${option} N`;
  }
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return `the API cannot listen on ${where}: this machine has no such address; give one of its own with --host`;
  }
  if (code === "EACCES") {
    return `the API may not listen on ${where}: ports below 1024 need administrator rights; choose a higher one with --port`;
  }
  return `the API cannot listen on ${where}: ${(error as Error).message}`;
}
