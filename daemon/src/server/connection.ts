// One client on the socket: parses its requests, runs them against the daemon, streams events back, and
// cancels its jobs when it goes away (unless they were started detached). Uploads go straight to disk; a peer that
// stops answering pings, or stays idle with nothing in progress, is disconnected.
import { isUtf8 } from "node:buffer";
import type WebSocket from "ws";
import {
  decodeAudioFrame,
  type AudioSource,
  MAX_MESSAGE_BYTES,
  parseRequest,
  PROTOCOL_VERSION,
  ProtocolError,
  type ErrorCode,
  type Event,
  type Request,
  type VocabularyData,
} from "../protocol";
import { unknownLanguage } from "../tokenizer";
import type { DaemonContext } from "./daemon-context";
import { diskError } from "../service/disk-error";
import { describeFailure } from "../service/failures";
import type { UploadReservation } from "../service/upload-budget";
import { MAX_UPLOAD_STALL_MS, UploadFile, uploadStallMs } from "../service/upload-file";

// Past this many bytes queued for a slow client, provisional text is held back and merged (never dropped).
const SLOW_CLIENT_BYTES = 1024 * 1024;
/** The longest request id a binary frame carries (its length is one byte). */
const MAX_FRAME_ID_BYTES = 255;
/** Upload bytes a connection may have waiting for the disk before it stops reading from its client. */
const UNWRITTEN_PAUSE_BYTES = 8 * 1024 * 1024;
/** The longest time between pings; shorter when the idle time is short, so idleness is noticed on time. */
const MAX_HEARTBEAT_MS = 30_000;
/** Pings a peer may leave unanswered in a row before it is taken for dead. */
const MISSED_PONGS_ALLOWED = 2;

/** What a socket client refused upload room can do. */
const SOCKET_UPLOAD_ADVICE =
  'pass the file by path (source {"kind": "file"}) instead of uploading it, or send it once others are done';

/** Requests that start no work, still answered while the daemon shuts down. */
const ANSWERED_WHILE_STOPPING = new Set<Request["type"]>(["hello", "status", "cancel", "result", "shutdown"]);

interface Upload {
  request: Extract<Request, { type: "transcribe" }>;
  expected: number;
  received: number;
  file: UploadFile;
  reservation: UploadReservation;
  /** Abandons the upload once it has sent nothing for the stall time; restarted by each frame. */
  stall: NodeJS.Timeout;
}

export class Connection {
  private readonly jobs = new Set<string>();
  private readonly uploads = new Map<string, Upload>();
  private readonly heldText = new Map<string, { text: string; restart: boolean }>();
  /** Jobs started here and not finished, detached ones included (their events still come here). */
  private runningJobs = 0;
  /** Requests being answered (a model switch or download takes a while). */
  private openRequests = 0;
  private lastActivity = Date.now();
  private missedPongs = 0;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly socket: WebSocket,
    private readonly daemon: DaemonContext,
  ) {
    socket.on("message", (data, isBinary) => {
      this.lastActivity = Date.now();
      // Binary frames arrive as one Buffer (ws's default binaryType): used as they are, not copied.
      const bytes = Buffer.isBuffer(data)
        ? data
        : Array.isArray(data)
          ? Buffer.concat(data)
          : Buffer.from(data as ArrayBuffer);
      if (isBinary) this.onBinary(bytes);
      else this.onText(bytes);
    });
    socket.on("pong", () => (this.missedPongs = 0));
    socket.on("close", () => this.onClose());
    socket.on("error", (error) => this.daemon.log.warn("client connection error", { error: error.message }));
    const idleMs = daemon.idleConnectionMs;
    this.heartbeat = setInterval(() => this.checkPeer(idleMs), Math.min(MAX_HEARTBEAT_MS, idleMs / 2));
    this.heartbeat.unref();
  }

  send(event: Event): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    if (event.type === "token" && this.socket.bufferedAmount > SLOW_CLIENT_BYTES) {
      const held = this.heldText.get(event.id);
      this.heldText.set(event.id, {
        text: event.restart ? event.text : (held?.text ?? "") + event.text,
        restart: Boolean(event.restart || held?.restart),
      });
      return;
    }
    const held = event.type === "token" ? this.heldText.get(event.id) : undefined;
    if (held && event.type === "token") {
      this.heldText.delete(event.id);
      event = {
        ...event,
        text: event.restart ? event.text : held.text + event.text,
        restart: held.restart || event.restart,
      };
    } else if (event.type === "segment" || event.type === "done" || event.type === "error") {
      if (event.id) this.heldText.delete(event.id); // a segment supersedes provisional text
    }
    this.socket.send(JSON.stringify(event));
  }

  sendError(id: string | null, code: ErrorCode, message: string): void {
    this.send({ type: "error", id, code, message });
  }

  private onText(bytes: Buffer): void {
    if (bytes.length > MAX_MESSAGE_BYTES) {
      this.sendError(null, "too_large", `messages are limited to ${MAX_MESSAGE_BYTES} bytes`);
      return;
    }
    if (!isUtf8(bytes)) {
      this.sendError(null, "bad_message", "the message is not valid UTF-8 text");
      return;
    }
    let request: Request;
    try {
      request = parseRequest(bytes.toString("utf8"));
    } catch (error) {
      const failure = error instanceof ProtocolError ? error : new ProtocolError("bad_message", String(error));
      this.sendError(failure.requestId, failure.code, failure.message);
      return;
    }
    this.openRequests++;
    this.handle(request)
      .catch((error: unknown) => {
        const { code, message } = describeFailure(error);
        this.sendError(request.id, code, message);
      })
      .finally(() => {
        this.openRequests--;
        this.lastActivity = Date.now();
      });
  }

  private onBinary(bytes: Buffer): void {
    let frame: { requestId: string; payload: Uint8Array };
    try {
      frame = decodeAudioFrame(bytes);
    } catch (error) {
      this.sendError(null, "bad_message", (error as Error).message);
      return;
    }
    const upload = this.uploads.get(frame.requestId);
    if (!upload) {
      if (this.daemon.dictations.audio(frame.requestId, frame.payload, this)) return;
      if (this.daemon.meetings.audio(frame.requestId, frame.payload, this)) return;
      this.sendError(
        frame.requestId,
        "not_found",
        `no upload, dictation or meeting is waiting for "${frame.requestId}"`,
      );
      return;
    }
    upload.received += frame.payload.length;
    upload.stall.refresh();
    if (upload.received > upload.expected) {
      this.endUpload(frame.requestId, upload);
      void upload.file.discard();
      this.sendError(
        frame.requestId,
        "too_large",
        `the upload sent more than the ${upload.expected} bytes it announced; announce the file's exact size`,
      );
      return;
    }
    upload.file.append(frame.payload);
    if (upload.file.unwrittenBytes > UNWRITTEN_PAUSE_BYTES) this.socket.pause();
    if (upload.received === upload.expected) {
      this.endUpload(frame.requestId, upload);
      void this.startUploadedJob(upload);
    }
  }

  /** The upload takes no more frames and no more of the daemon's upload room. */
  private endUpload(id: string, upload: Upload): void {
    this.uploads.delete(id);
    clearTimeout(upload.stall);
    upload.reservation.release();
  }

  /** Reads from the client again once its uploads' bytes have reached the disk. */
  private onUploadWritten(): void {
    if (!this.socket.isPaused) return;
    let unwritten = 0;
    for (const upload of this.uploads.values()) unwritten += upload.file.unwrittenBytes;
    if (unwritten > UNWRITTEN_PAUSE_BYTES / 2) return;
    this.socket.resume();
    // The wait was the disk's, not the client's: its uploads' stall time starts again.
    for (const upload of this.uploads.values()) upload.stall.refresh();
  }

  private async handle(request: Request): Promise<void> {
    if (this.daemon.shuttingDown && !ANSWERED_WHILE_STOPPING.has(request.type)) {
      this.sendError(request.id, "shutting_down", "verbatimd is shutting down; try again once it is back");
      return;
    }
    if (request.type === "transcribe" || request.type === "dictation.start") {
      const unknown = request.options?.language === undefined ? null : unknownLanguage(request.options.language);
      if (unknown) {
        this.sendError(request.id, "bad_message", unknown);
        return;
      }
    }
    switch (request.type) {
      case "hello":
        if (request.protocol !== PROTOCOL_VERSION) {
          this.sendError(
            request.id,
            "protocol_version",
            `this daemon speaks protocol ${PROTOCOL_VERSION}, the client ${request.protocol}: update Verbatim so both match`,
          );
          return;
        }
        this.send({ type: "welcome", id: request.id, protocol: PROTOCOL_VERSION, version: this.daemon.version });
        return;
      case "status":
        this.send({ type: "status", id: request.id, status: this.daemon.status() });
        return;
      case "transcribe":
        if (!this.acceptsJobId(request)) return;
        if (request.source.kind === "upload") {
          if (request.source.bytes === 0) {
            this.sendError(request.id, "audio", "the uploaded file is empty");
            return;
          }
          this.receiveUpload(request, request.source);
          return;
        }
        this.startJob(request, request.source.path);
        return;
      case "cancel": {
        const refusal = this.daemon.jobOwners.cancelRefusal(request.job, this);
        if (refusal) {
          this.sendError(request.id, "not_found", refusal);
          return;
        }
        if (!this.daemon.cancelJob(request.job)) {
          this.sendError(request.id, "not_found", `no running or waiting job "${request.job}"`);
          return;
        }
        this.send({ type: "done", id: request.id });
        return;
      }
      case "result": {
        const outcome = this.daemon.results.get(request.job);
        if (!outcome) this.sendError(request.id, "not_found", `no recent job "${request.job}"`);
        else if (outcome.state === "done") this.send({ type: "done", id: request.id, transcript: outcome.transcript });
        else if (outcome.state === "failed") this.sendError(request.id, outcome.code, outcome.message);
        else this.send({ type: "done", id: request.id, running: true });
        return;
      }
      case "model.switch":
        await this.daemon.switchModel(request.model, (event) => this.send({ ...event, id: request.id }));
        this.send({ type: "done", id: request.id });
        return;
      case "models.list":
        this.send({ type: "done", id: request.id, models: await this.daemon.listModels() });
        return;
      case "models.pull":
        await this.daemon.pullModel(request.model, (event) => this.send({ ...event, id: request.id }));
        this.send({ type: "done", id: request.id });
        return;
      case "models.remove":
        await this.daemon.removeModel(request.model);
        this.send({ type: "done", id: request.id });
        return;
      case "shutdown":
        this.send({ type: "done", id: request.id });
        void this.daemon.shutdown("requested by a client");
        return;
      case "vocabulary.list":
      case "vocabulary.add":
      case "vocabulary.remove":
      case "vocabulary.strength":
        this.send({ type: "done", id: request.id, vocabulary: await this.editVocabulary(request) });
        return;
      case "modes.list":
        this.send({ type: "done", id: request.id, modes: await this.daemon.modes.list() });
        return;
      case "modes.add":
        this.send({ type: "done", id: request.id, modes: await this.daemon.modes.add(request.mode) });
        return;
      case "modes.edit":
        this.send({
          type: "done",
          id: request.id,
          modes: await this.daemon.modes.changeMode(request.name, request.changes),
        });
        return;
      case "modes.remove":
        this.send({ type: "done", id: request.id, modes: await this.daemon.modes.remove(request.name) });
        return;
      case "history.list":
      case "history.search":
      case "history.get":
      case "history.delete":
      case "history.count":
      case "history.export":
      case "history.speakers":
        if (!this.daemon.history)
          throw new ProtocolError("history", "the history is not open yet; try again", request.id);
        this.send(this.daemon.history.answer(request));
        return;
      case "api.set":
        this.send({ type: "done", id: request.id, api: await this.daemon.configureApi(request) });
        return;
      case "idleUnload.set":
        this.send({ type: "done", id: request.id, idleUnload: await this.daemon.setIdleUnload(request.minutes) });
        return;
      case "dictation.keepReady":
        this.send({
          type: "done",
          id: request.id,
          keepMicrophoneReadyMinutes: await this.daemon.keepMicrophoneReady(request.minutes),
        });
        return;
      case "meeting.start":
      case "meeting.attach":
      case "meeting.stop":
      case "meeting.status":
      case "meetings.list":
      case "meetings.transcribe":
        this.daemon.meetings.handle(request, this);
        return;
      default:
        this.daemon.dictations.handle(request, this);
    }
  }

  private editVocabulary(request: Extract<Request, { type: `vocabulary.${string}` }>): Promise<VocabularyData> {
    const { vocabulary } = this.daemon;
    if (request.type === "vocabulary.list") return vocabulary.list();
    if (request.type === "vocabulary.strength") return vocabulary.setBoostStrength(request.boostStrength);
    if (request.type === "vocabulary.add")
      return "term" in request ? vocabulary.addTerm(request.term) : vocabulary.addReplacement(request.replacement);
    return "term" in request ? vocabulary.removeTerm(request.term) : vocabulary.removeReplacement(request.from);
  }

  /** Refuses (with an error) a job id that is in use, or an upload's id too long for its binary frames. */
  private acceptsJobId(request: Extract<Request, { type: "transcribe" }>): boolean {
    const id = request.id;
    if (this.uploads.has(id) || this.daemon.results.get(id)?.state === "running") {
      this.sendError(id, "bad_message", `a job with id "${id}" is already running; give each job a new id (a UUID)`);
      return false;
    }
    if (request.source.kind === "upload" && Buffer.byteLength(id) > MAX_FRAME_ID_BYTES) {
      this.sendError(
        id,
        "bad_message",
        `an upload's id must be at most ${MAX_FRAME_ID_BYTES} bytes of UTF-8: its binary frames carry it after a one-byte length`,
      );
      return false;
    }
    return true;
  }

  /** Takes room for the upload in the daemon's budget (or refuses it) and opens its file for the frames to come. */
  private receiveUpload(
    request: Extract<Request, { type: "transcribe" }>,
    source: Extract<AudioSource, { kind: "upload" }>,
  ): void {
    const reservation = this.daemon.uploadBudget.reserve(source.bytes);
    if (typeof reservation === "string") {
      this.sendError(request.id, "too_large", `${reservation}; ${SOCKET_UPLOAD_ADVICE}`);
      return;
    }
    const file = new UploadFile(this.daemon.uploadsDir, source.name, () => this.onUploadWritten());
    const stallMs = uploadStallMs(this.daemon.idleConnectionMs);
    const stall = setTimeout(() => this.uploadStalled(request.id, stallMs), stallMs);
    stall.unref();
    this.uploads.set(request.id, { request, expected: source.bytes, received: 0, file, reservation, stall });
  }

  private async startUploadedJob(upload: Upload): Promise<void> {
    this.runningJobs++; // busy while the last bytes reach the disk
    let file: string;
    try {
      file = await upload.file.finish();
    } catch (error) {
      const disk = diskError(error, "the upload", this.daemon.uploadsDir);
      if (disk) this.sendError(upload.request.id, "disk", disk.message);
      else this.sendError(upload.request.id, "audio", `could not store the upload: ${(error as Error).message}`);
      return;
    } finally {
      this.runningJobs--;
    }
    if (this.socket.readyState !== this.socket.OPEN && !upload.request.detached) {
      await upload.file.discard(); // its client left while the file was being finished
      return;
    }
    this.startJob(upload.request, file, () => upload.file.discard());
  }

  private startJob(request: Extract<Request, { type: "transcribe" }>, file: string, cleanup?: () => Promise<void>) {
    this.jobs.add(request.id);
    this.runningJobs++;
    const position = this.daemon.submitTranscription(request, file, (event) => this.send(event), undefined, this);
    this.send({ type: "accepted", id: request.id, position: position.position });
    position.finished.finally(() => {
      this.jobs.delete(request.id);
      this.runningJobs--;
      this.lastActivity = Date.now();
      void cleanup?.();
    });
    if (request.detached) this.jobs.delete(request.id);
  }

  /** Whether anything is in progress for this client: then it is not idle, however long it stays quiet. */
  private get busy(): boolean {
    return (
      this.runningJobs > 0 ||
      this.openRequests > 0 ||
      this.uploads.size > 0 ||
      this.daemon.dictations.involves(this) ||
      this.daemon.meetings.involves(this)
    );
  }

  /** A heartbeat: drops a peer that stopped answering pings, closes an idle connection, then pings. */
  private checkPeer(idleMs: number): void {
    if (this.socket.isPaused) return; // its pongs wait behind upload frames while the disk catches up
    if (this.missedPongs >= MISSED_PONGS_ALLOWED) {
      this.daemon.log.warn("client stopped answering pings; disconnecting it");
      this.socket.terminate();
      return;
    }
    const quietMs = Date.now() - this.lastActivity;
    if (quietMs >= idleMs && !this.busy) {
      const seconds = Math.round(idleMs / 1000);
      this.socket.close(
        1000,
        `idle for ${seconds} s with nothing in progress (config idleConnectionSeconds); connect again`,
      );
      return;
    }
    this.missedPongs++;
    this.socket.ping();
  }

  /** Ends an upload that sent nothing for `stallMs`: it holds room that every other client's uploads need. */
  private uploadStalled(id: string, stallMs: number): void {
    const upload = this.uploads.get(id);
    if (!upload) return;
    if (this.socket.isPaused) {
      upload.stall.refresh(); // its frames wait behind the disk, not the client
      return;
    }
    this.endUpload(id, upload);
    void upload.file.discard();
    this.sendError(
      id,
      "timeout",
      `the upload sent nothing for ${Math.round(stallMs / 1000)} s after ${upload.received} of its ` +
        `${upload.expected} bytes and was abandoned (config idleConnectionSeconds, at most ` +
        `${MAX_UPLOAD_STALL_MS / 1000} s); send the file again without pausing, or pass it by path`,
    );
  }

  private onClose(): void {
    clearInterval(this.heartbeat);
    for (const upload of this.uploads.values()) {
      clearTimeout(upload.stall);
      upload.reservation.release();
      void upload.file.discard();
    }
    this.uploads.clear();
    this.daemon.dictations.disconnected(this);
    this.daemon.meetings.disconnected(this);
    for (const job of this.jobs) this.daemon.cancelJob(job, "canceled because its client disconnected");
    this.jobs.clear();
    this.daemon.jobOwners.disown(this); // its detached jobs go on: any client may cancel them now
  }
}
