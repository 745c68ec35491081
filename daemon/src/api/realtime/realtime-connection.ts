// One Realtime transcription session over WebSocket (/v1/realtime), built on the daemon's dictation sessions: the
// client's audio (24 kHz PCM, or G.711) becomes a dictation's 16 kHz stream (on disk first, recoverable like any
// dictation), its turns (speech found by server VAD, or the client's commits) are the dictation's utterances, the
// live recogniser's committed words are transcription deltas, and each utterance's final pass is the item's
// completed transcript. Messages are handled one at a time, in order: audio that arrives while one dictation ends and
// the next cannot start yet waits (up to one message's worth in memory, then in the paused socket), so none is lost.
import { randomUUID } from "node:crypto";
import type WebSocket from "ws";
import { SileroVad, type VoiceActivityDetector } from "../../audio/voice-activity";
import type { DictationPeer } from "../../dictation/session";
import { ProtocolError, type Event, type TranscriptionOptions } from "../../protocol";
import { ApiError } from "../errors";
import { DIARIZE_MODEL } from "../diarization-form";
import { modelOption } from "../models";
import type { ApiServices } from "../services";
import { InputAudio } from "./input-audio";
import {
  DEFAULT_SESSION_CONFIG,
  SessionRefusal,
  sessionObject,
  updatedConfig,
  type SessionConfig,
} from "./session-config";
import { TurnGate, type TurnEnd, type TurnListener } from "./turn-gate";

/** OpenAI takes audio chunks of up to 15 MiB of base64. */
export const REALTIME_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** Messages received and not yet handled, in bytes, beyond which the socket is paused until they are. */
const MAX_QUEUED_BYTES = REALTIME_MAX_MESSAGE_BYTES;
/** A long append goes to the dictation a second at a time (16 kHz PCM bytes), as a client streaming it would. */
const PIECE_BYTES = 2 * 16_000;
const PING_INTERVAL_MS = 30_000;
/** How long a client refused because the dictation is taken is asked to wait before connecting again. */
const RETRY_AFTER_SECONDS = "5";

/** One dictation of the session; a session has one at a time, and starts another after a settings change. */
interface Dictation {
  session: string;
  turns: TurnGate;
  /** The item number of its first utterance. */
  firstItem: number;
  /** Samples given to it. */
  samples: number;
  stopping: boolean;
  /** Settles once it has ended (done or failed) and the daemon's dictation slot is free again. */
  ended: Promise<void>;
  end(): void;
}

export class RealtimeConnection implements DictationPeer {
  private config: SessionConfig = DEFAULT_SESSION_CONFIG;
  private model: string | undefined = undefined;
  private readonly id = `sess_${randomUUID().replaceAll("-", "").slice(0, 20)}`;
  private readonly itemPrefix = `item_${randomUUID().replaceAll("-", "").slice(0, 12)}_`;
  private input = new InputAudio(DEFAULT_SESSION_CONFIG.format);
  private dictation: Dictation | null = null;
  /** Session audio given to dictations, in 16 kHz samples. */
  private sentSamples = 0;
  /** The open (or next) turn's item number. */
  private turn = 0;
  private lastCommitted: string | null = null;
  private lastAdded: string | null = null;
  /** Turns announced by conversation.item.added and not yet done, with the item before each. */
  private readonly openItems = new Map<number, string | null>();
  private readonly cleared = new Set<number>();
  private readonly awaitingText = new Set<number>();
  private requests = 0;
  private events = 0;
  private work: Promise<void> = Promise.resolve();
  private queuedBytes = 0;
  private alive = true;
  private readonly heartbeat: NodeJS.Timeout;
  private leave!: () => void;
  /** Settles once the client has left and the session's dictation has ended: the dictation slot is free again. */
  readonly left = new Promise<void>((resolve) => (this.leave = resolve));

  /**
   * Why a Realtime session cannot start now: the daemon is stopping, or the one dictation a session needs is taken,
   * by a dictation or by another open session (each session's turns are dictations, so sessions run one at a time).
   */
  static refusal(services: ApiServices, openSessions: number): ApiError | null {
    if (services.shuttingDown) return new ApiError(503, "verbatimd is shutting down; try again once it is back");
    const retry = { "retry-after": RETRY_AFTER_SECONDS };
    if (openSessions > 0) {
      return new ApiError(
        429,
        "another Realtime session is open; Verbatim runs one at a time (each is a dictation): close it, or connect again once it has closed",
        "session_running",
        null,
        retry,
      );
    }
    const running = services.dictations.current;
    if (running) {
      return new ApiError(
        429,
        `a dictation is running (session ${running.session}, started ${running.startedAt}); Verbatim runs one at a time: stop it, then connect again`,
        "dictation_running",
        null,
        retry,
      );
    }
    return null;
  }

  constructor(
    private readonly socket: WebSocket,
    private readonly services: ApiServices,
    private readonly app: string,
  ) {
    socket.on("message", (data, isBinary) => {
      const bytes = isBinary ? 0 : Buffer.isBuffer(data) ? data.length : String(data).length;
      this.queuedBytes += bytes;
      if (this.queuedBytes > MAX_QUEUED_BYTES) socket.pause();
      this.work = this.work
        // A message is decoded and read once the event loop has seen to the other connections: receiving a 16 MiB
        // frame, then decoding and parsing it, are each long steps (~0.1 s of CPU), which in one go held other
        // requests twice as long. (One setImmediate would run before the requests that came in while this one was
        // received; the second runs after them.)
        .then(() => new Promise((resolve) => setImmediate(() => setImmediate(resolve))))
        .then(() => this.onMessage(isBinary ? null : Buffer.isBuffer(data) ? data.toString("utf8") : String(data)))
        .catch((error: unknown) => this.fail(error))
        .finally(() => {
          this.queuedBytes -= bytes;
          if (this.queuedBytes <= MAX_QUEUED_BYTES && socket.isPaused) socket.resume();
        });
    });
    socket.on("close", () => this.onClose());
    socket.on("pong", () => (this.alive = true));
    socket.on("error", (error) => services.log.warn("Realtime connection error", { error: error.message }));
    this.heartbeat = setInterval(() => {
      if (!this.alive && !socket.isPaused) socket.terminate(); // a paused socket does not read its pongs
      this.alive = false;
      socket.ping();
    }, PING_INTERVAL_MS);
    this.heartbeat.unref();
    this.emit({ type: "session.created", session: sessionObject(this.id, this.config, "ga") });
  }

  /** Whether the client is connected (not closing). */
  get open(): boolean {
    return this.socket.readyState === this.socket.OPEN;
  }

  /** Events of this session's dictation, as the daemon sends them to any client following one. */
  send(event: Event): void {
    const dictation = this.dictation;
    switch (event.type) {
      case "dictation.started":
        if (dictation) dictation.session = event.session;
        return;
      case "dictation.committed":
        if (dictation && event.text) this.delta(dictation.firstItem + event.utterance, event.text);
        return;
      case "dictation.utterance":
        if (dictation) this.completed(dictation.firstItem + event.index, event.text, event.end - event.start);
        return;
      case "dictation.done":
        this.dictationEnded();
        return;
      case "dictation.error":
        this.dictationFailed(event.code, event.message);
        return;
      case "error":
        this.error("server_error", event.code, event.message);
        return;
      default:
        return; // levels, and the stop request's own answer
    }
  }

  private async onMessage(text: string | null): Promise<void> {
    if (text === null) return this.error("invalid_request_error", "invalid_event", "send events as JSON text frames");
    let event: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
      event = parsed as Record<string, unknown>;
    } catch {
      return this.error("invalid_request_error", "invalid_json", "each message must be one JSON object (an event)");
    }
    const clientEventId = typeof event.event_id === "string" ? event.event_id : null;
    try {
      switch (event.type) {
        case "session.update":
          return await this.update(event.session, "ga");
        case "transcription_session.update":
          return await this.update(event.session, "beta");
        case "input_audio_buffer.append":
          if (typeof event.audio !== "string")
            throw new SessionRefusal("`audio` must be base64 audio in the session's format", "audio");
          return await this.append(this.input.convert(event.audio));
        case "input_audio_buffer.commit":
          return this.endTurn("commit");
        case "input_audio_buffer.clear":
          return this.endTurn("clear");
        default:
          return this.error(
            "invalid_request_error",
            "unsupported_event",
            `Verbatim's Realtime API transcribes: it takes session.update, input_audio_buffer.append, .commit and .clear, not ${JSON.stringify(event.type)}`,
            clientEventId,
          );
      }
    } catch (error) {
      if (error instanceof SessionRefusal) {
        return this.error("invalid_request_error", "invalid_value", error.message, clientEventId, error.param);
      }
      if (error instanceof ApiError)
        return this.error(error.type, error.code, error.message, clientEventId, error.param);
      if (error instanceof Error && event.type === "input_audio_buffer.append") {
        return this.error("invalid_request_error", "invalid_audio", error.message, clientEventId, "audio");
      }
      throw error;
    }
  }

  private async update(session: unknown, shape: "ga" | "beta"): Promise<void> {
    const next = updatedConfig(this.config, session, shape);
    let model = this.model;
    if (next.model !== this.config.model) {
      try {
        if (next.model === DIARIZE_MODEL) {
          throw new ApiError(
            400,
            `"${DIARIZE_MODEL}" tells speakers apart in files (POST /v1/audio/transcriptions), not in Realtime ` +
              'sessions: use "gpt-4o-transcribe" here',
            "unsupported",
          );
        }
        model = await modelOption(next.model, this.services);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        // The rest of the update (its language above all) still holds: only the model stays as it was.
        const param =
          shape === "ga" ? "session.audio.input.transcription.model" : "session.input_audio_transcription.model";
        this.error(error.type, error.code, error.message, null, param);
        next.model = this.config.model;
      }
    }
    const changed = JSON.stringify(next) !== JSON.stringify(this.config);
    this.config = next;
    this.model = model;
    if (next.format !== this.input.format) this.input = new InputAudio(next.format);
    if (changed) this.stopDictation(); // the next audio starts a dictation with the new settings
    const type = shape === "ga" ? "session.updated" : "transcription_session.updated";
    this.emit({ type, session: sessionObject(this.id, this.config, shape) });
  }

  /** Audio goes to the running dictation (a second at a time: on disk first), or to a new one once the last ended. */
  private async append(pcm: Uint8Array): Promise<void> {
    for (let offset = 0; offset < pcm.length; offset += PIECE_BYTES) {
      const dictation = await this.runningDictation();
      if (!dictation) return;
      const piece = pcm.subarray(offset, offset + PIECE_BYTES);
      this.services.dictations.audio(dictation.session, piece, this);
      dictation.samples += piece.length / 2;
      this.sentSamples += piece.length / 2;
    }
  }

  private endTurn(cause: Exclude<TurnEnd, "vad">): void {
    const dictation = this.dictation;
    // A dictation that stops ends its open turn itself.
    if (!dictation || dictation.stopping || !this.running(dictation)) return this.nothingToEnd(cause);
    dictation.turns.request(cause, dictation.samples);
    this.services.dictations.audio(dictation.session, new Uint8Array(0), this); // the push that ends the turn
  }

  /** The dictation that takes the session's audio now: the running one, or a new one once the last has ended. */
  private async runningDictation(): Promise<Dictation | null> {
    for (;;) {
      const dictation = this.dictation;
      if (!dictation) return this.startDictation();
      if (!dictation.stopping && this.running(dictation)) return dictation;
      dictation.stopping = true; // it stops by itself (maxDictationSeconds) or for new settings: the next takes this
      await dictation.ended;
    }
  }

  private running(dictation: Dictation): boolean {
    const current = this.services.dictations.current;
    return current?.session === dictation.session && current.state === "running";
  }

  private startDictation(): Dictation | null {
    const { turnDetection } = this.config;
    const detector: Promise<VoiceActivityDetector> = SileroVad.create();
    let end = () => {};
    const ended = new Promise<void>((resolve) => (end = resolve));
    const dictation: Dictation = {
      session: "",
      firstItem: this.turn,
      samples: 0,
      stopping: false,
      ended,
      end,
      turns: new TurnGate(detector, turnDetection, this.listener(this.sentSamples, turnDetection !== null)),
    };
    const options: TranscriptionOptions = { app: this.app };
    if (this.model) options.model = this.model;
    if (this.config.language) options.language = this.config.language;
    if (this.config.prompt) options.prompt = this.config.prompt;
    this.dictation = dictation;
    try {
      // Its dictation.started event, sent before this returns, names the session.
      this.services.dictations.start(
        { type: "dictation.start", id: `realtime-${++this.requests}`, source: "stream", options },
        this,
        dictation.turns,
      );
      return dictation;
    } catch (error) {
      this.dictation = null;
      const message = error instanceof ProtocolError ? error.message : String(error);
      this.error("invalid_request_error", "dictation_running", message);
      this.socket.close(1013, "a dictation is running");
      return null;
    }
  }

  /** Turn events of a dictation that starts `offset` samples into the session, with server VAD or without. */
  private listener(offset: number, vad: boolean): TurnListener {
    const ms = (sample: number) => Math.round((offset + sample) / 16);
    return {
      turnStarted: (sample) => {
        const item = this.itemId(this.turn);
        if (vad) this.emit({ type: "input_audio_buffer.speech_started", audio_start_ms: ms(sample), item_id: item });
        // Before its first delta, so that a client has the item's row when its text comes.
        this.emit({
          type: "conversation.item.added",
          previous_item_id: this.lastAdded,
          item: this.item(this.turn, "in_progress", null),
        });
        this.openItems.set(this.turn, this.lastAdded);
        this.lastAdded = item;
      },
      turnEnded: (sample, cause) => {
        const item = this.itemId(this.turn);
        if (cause === "vad")
          this.emit({ type: "input_audio_buffer.speech_stopped", audio_end_ms: ms(sample), item_id: item });
        if (cause === "clear") {
          this.cleared.add(this.turn);
          this.emit({ type: "input_audio_buffer.cleared" });
          if (this.lastAdded === item) this.lastAdded = this.openItems.get(this.turn) ?? null;
          this.openItems.delete(this.turn);
          this.emit({ type: "conversation.item.deleted", item_id: item });
        } else this.commit(this.turn);
        this.turn++;
      },
      nothingToEnd: (cause) => this.nothingToEnd(cause),
      notice: (message) => this.services.log.warn(message),
    };
  }

  private commit(turn: number): void {
    const item = this.itemId(turn);
    this.emit({ type: "input_audio_buffer.committed", previous_item_id: this.lastCommitted, item_id: item });
    this.lastCommitted = item;
    this.awaitingText.add(turn);
  }

  private nothingToEnd(cause: Exclude<TurnEnd, "vad">): void {
    if (cause === "clear") this.emit({ type: "input_audio_buffer.cleared" });
    else {
      this.error(
        "invalid_request_error",
        "input_audio_buffer_commit_empty",
        "the audio buffer holds no speech: nothing was committed",
      );
    }
  }

  private delta(turn: number, text: string): void {
    if (this.cleared.has(turn)) return;
    this.emit({
      type: "conversation.item.input_audio_transcription.delta",
      item_id: this.itemId(turn),
      content_index: 0,
      delta: text,
      logprobs: null,
    });
  }

  private completed(turn: number, transcript: string, seconds: number): void {
    if (turn >= this.turn) {
      // The dictation stopped during this turn (a settings change): its last utterance ends the turn.
      this.commit(turn);
      this.turn = turn + 1;
    }
    this.awaitingText.delete(turn);
    if (this.cleared.has(turn)) return;
    this.emit({
      type: "conversation.item.input_audio_transcription.completed",
      item_id: this.itemId(turn),
      content_index: 0,
      transcript,
      usage: { type: "duration", seconds: Math.round(seconds * 1000) / 1000 },
      logprobs: null,
    });
    this.itemDone(turn, "completed", transcript);
  }

  private itemDone(turn: number, status: "completed" | "incomplete", transcript: string | null): void {
    const previous = this.openItems.get(turn);
    if (previous === undefined) return;
    this.openItems.delete(turn);
    this.emit({
      type: "conversation.item.done",
      previous_item_id: previous,
      item: this.item(turn, status, transcript),
    });
  }

  /** A turn's item as conversation.item.added and .done show it: the user's audio, with its transcript once known. */
  private item(turn: number, status: "in_progress" | "completed" | "incomplete", transcript: string | null) {
    return {
      id: this.itemId(turn),
      object: "realtime.item",
      type: "message",
      status,
      role: "user",
      content: [{ type: "input_audio", transcript }],
    };
  }

  private stopDictation(): void {
    const dictation = this.dictation;
    if (!dictation || dictation.stopping) return;
    dictation.stopping = true;
    try {
      this.services.dictations.handle(
        { type: "dictation.stop", id: `realtime-${++this.requests}`, session: dictation.session },
        this,
      );
    } catch {
      // it ended already: its outcome has come or is on its way
    }
  }

  /** Called while the daemon's dictation slot is still held: what waits for the next dictation goes on after this. */
  private dictationEnded(): void {
    this.dictation?.end();
    this.dictation = null;
  }

  private dictationFailed(code: string, message: string): void {
    for (const turn of this.awaitingText) {
      this.emit({
        type: "conversation.item.input_audio_transcription.failed",
        item_id: this.itemId(turn),
        content_index: 0,
        error: { type: "transcription_error", code, message },
      });
    }
    this.awaitingText.clear();
    for (const turn of [...this.openItems.keys()]) this.itemDone(turn, "incomplete", null);
    if (code === "shutting_down" || code === "model" || code === "engine" || code === "timeout") {
      this.error("server_error", code, message);
    }
    if (code === "shutting_down") this.socket.close(1001, "verbatimd is shutting down");
    this.dictationEnded();
  }

  private itemId(turn: number): string {
    return `${this.itemPrefix}${turn}`;
  }

  private emit(event: Record<string, unknown>): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    this.socket.send(JSON.stringify({ event_id: `event_${++this.events}`, ...event }));
  }

  private error(
    type: string,
    code: string | null,
    message: string,
    eventId: string | null = null,
    param: string | null = null,
  ): void {
    this.emit({ type: "error", error: { type, code, message, param, event_id: eventId } });
  }

  private fail(error: unknown): void {
    this.services.log.warn("Realtime session failed", { error: String(error) });
    this.error("server_error", "internal", error instanceof Error ? error.message : String(error));
  }

  /** The client left: once the audio it sent is handled, the dictation stops with a final pass, its text kept. */
  private onClose(): void {
    clearInterval(this.heartbeat);
    this.work = this.work.then(() => this.stopDictation());
    void this.work.then(() => this.dictation?.ended).then(this.leave);
  }
}
