// The daemon's live dictations: one runs at a time; it outlives the clients that follow it and ends on stop,
// cancel, maxDictationSeconds, (source "capture") when its capture process disconnects, or when every source of its
// audio has disconnected and none sends more (dictation/audio-sources.ts). Recent sessions are kept for
// dictation.attach and `result`; recordings are deleted once their text was delivered, as keepRecordings says.
import {
  ProtocolError,
  type DictationInfo,
  type DictationMode,
  type Event,
  type FinishingData,
  type Request,
  type TranscriptData,
  type TranscriptionOptions,
} from "../protocol";
import { clientFinished, finishText } from "../modes/finishing";
import { chooseMode } from "../modes/modes";
import type { SubmitTranscription } from "../service/job-events";
import { describeFailure } from "../service/failures";
import type { DecodingDefaults, KeepRecordings } from "../service/config";
import type { EngineHost } from "../service/engine-host";
import type { Logger } from "../service/logger";
import type { RecentResults } from "../service/results";
import { EMPTY_VOCABULARY, type Vocabulary } from "../vocabulary/vocabulary";
import type { FinishedTranscript } from "../history/history-store";
import type { RecordingStore } from "./recordings";
import { DictationSession, type DictationPeer } from "./session";
import { PassThroughGate, type SpeechGate } from "./speech-gate";
import { BEFORE_PRESS_MS, ReadyMicrophone, type ReadyCapture } from "./ready-microphone";

/** The dictation requests the manager answers (dictation.keepReady, which saves config.json, is the daemon's). */
export type DictationRequest = Exclude<
  Extract<Request, { type: `dictation.${string}` | `dictations.${string}` }>,
  { type: "dictation.keepReady" }
>;

export interface DictationSettings {
  maxDictationSeconds: number;
  keepRecordings: KeepRecordings;
  /** Finished sessions kept for dictation.attach. */
  keepSessions: number;
  readyTimeoutSeconds: number;
  /** After speech, this long without speech stops a dictation that does not ask otherwise; 0: never. */
  autoStopSeconds: number;
  /** A natively streaming model's live chunk (Nemotron), in milliseconds; absent: the engine's default. */
  streamingChunkMs?: number;
  /** Beam search, best-of and fallback thresholds for final passes where the dictation's options do not say. */
  decoding?: DecodingDefaults;
  /** How long a local model may take to finish a dictation's text before the spoken text is delivered. */
  finishingTimeoutSeconds: number;
  /** How long a capture process keeps its microphone ready after a dictation (0: it closes it at once). */
  keepMicrophoneReadyMinutes?: number;
}

export interface DictationServices {
  host: EngineHost;
  recordings: RecordingStore;
  results: RecentResults;
  log: Logger;
  /** Runs a file job (retrying a recording). */
  submitTranscription: SubmitTranscription;
  /** What a new session gives the decoder and where its utterances end (the voice activity detector's seam). */
  speechGate?: () => SpeechGate;
  /** The user's vocabulary as a new session starts. */
  vocabulary?: () => Vocabulary;
  /**
   * Adds a dictation's spoken transcript to the history (before its finishing, and before its recording may be
   * deleted); returns a problem.
   */
  recordTranscript?: (finished: FinishedTranscript) => string | null;
  /** The modes as a new session starts (none: every dictation is Plain). */
  modes?: () => DictationMode[];
  /** Keeps a dictation's finished text (by its mode, by a client, by a mode switched to) in the history; returns a problem. */
  recordFinished?: (job: string, finishing: FinishingData) => string | null;
  /** Removes a dictation's transcript from the history (it was cancelled while its text was being finished). */
  forgetTranscript?: (job: string) => void;
}

export class DictationManager {
  private running: DictationSession | null = null;
  private readonly sessions = new Map<string, DictationSession>();
  private readonly undelivered = new Set<string>();
  /** Dictations whose spoken text is in the history while their text is finished. */
  private readonly inHistory = new Set<string>();
  private maxTimer: NodeJS.Timeout | null = null;
  private readonly releaseWaiters: Array<() => void> = [];
  /** The capture process kept ready for the next dictation, if any. */
  readonly readyMicrophone: ReadyMicrophone;

  constructor(
    private readonly services: DictationServices,
    private readonly settings: DictationSettings,
  ) {
    this.readyMicrophone = new ReadyMicrophone(settings.keepMicrophoneReadyMinutes ?? 0, services.log);
  }

  /** At start: recordings of dictations the last daemon did not finish (it was killed) are marked and logged. */
  recover(): void {
    const interrupted = this.services.recordings.recover();
    if (interrupted.length > 0) {
      this.services.log.warn("dictations interrupted by the last daemon's end; retry them with verbatim dictations", {
        recordings: interrupted.map((info) => info.id),
      });
    }
  }

  handle(request: DictationRequest, peer: DictationPeer): void {
    switch (request.type) {
      case "dictation.start":
        this.start(request, peer);
        return;
      case "dictation.stop": {
        const session = this.find(request.id, request.session);
        const ready = session.readyCapture;
        // A microphone kept ready records it: it sends what it read first, then stops it (capture.flush).
        if (ready && ready.peer !== peer) {
          session.stopWhenFlushed({ peer, id: request.id }, () =>
            ready.peer.send({ type: "capture.flush", id: ready.requestId, session: session.id }),
          );
        } else session.stop("requested", { peer, id: request.id });
        return;
      }
      case "dictation.ready":
        this.readyMicrophone.offer({ peer, requestId: request.id, device: request.device });
        return;
      case "dictation.finished":
        this.finishedByClient(request, peer);
        return;
      case "dictation.mode":
        this.switchMode(request, peer).catch((error: unknown) => {
          peer.send({ type: "error", id: request.id, ...describeFailure(error) });
        });
        return;
      case "dictation.cancel":
        this.find(request.id, request.session).cancel("canceled by a client");
        peer.send({ type: "done", id: request.id });
        return;
      case "dictation.attach": {
        const session = this.find(request.id, request.session);
        if (session.follow(peer, request.id) && this.undelivered.delete(session.id)) this.delivered(session.recording);
        return;
      }
      case "dictation.microphone": {
        const session = this.find(request.id, request.session);
        session.microphoneStartMs = request.startMs;
        this.services.log.info("microphone started", { session: session.id, startMs: request.startMs });
        peer.send({ type: "done", id: request.id });
        return;
      }
      case "dictation.list":
        peer.send({
          type: "done",
          id: request.id,
          dictations: [...this.sessions.values()].map((s) => this.describe(s)),
        });
        return;
      case "dictations.list": {
        peer.send({
          type: "done",
          id: request.id,
          recordings: this.services.recordings.list(this.unendedRecordings()),
        });
        return;
      }
      case "dictations.retry":
        this.retry(request.id, request.recording, peer);
        return;
    }
  }

  /**
   * A binary frame for `sessionId`. Returns false when no dictation has that id (it may be an upload's). Refuses
   * odd byte counts with an error the sender can act on; audio for a session that is no longer running is not used
   * (a sender that does not follow the session hears so once).
   */
  audio(sessionId: string, pcm: Uint8Array, peer: DictationPeer): boolean {
    const session = this.sessions.get(sessionId);
    if (!session) return false;
    const refuse = (message: string) => peer.send({ type: "error", id: sessionId, code: "bad_message", message });
    if (session.state !== "running") {
      const message = session.lateAudio(peer);
      if (message) refuse(message);
    } else if (pcm.length % 2 !== 0) {
      refuse(
        `dictation audio must be whole 16-bit samples (16 kHz mono, little-endian), but this frame has ${pcm.length} bytes; the frame was not used`,
      );
    } else {
      try {
        session.audio(pcm, peer);
      } catch (error) {
        session.fail(new Error(`could not write the dictation's recording: ${(error as Error).message}`));
      }
    }
    return true;
  }

  /** Whether `peer` follows a dictation, waits for one to stop, or sends the running one's microphone audio. */
  involves(peer: DictationPeer): boolean {
    if (this.running?.capturePeer === peer || this.readyMicrophone.holds(peer)) return true;
    for (const session of this.sessions.values()) if (session.followedBy(peer)) return true;
    return false;
  }

  /**
   * A client went away: it follows nothing any more, a capture process's dictation stops with its final text, and a
   * dictation whose every audio source is gone stops once no audio came for a while.
   */
  disconnected(peer: DictationPeer): void {
    for (const session of this.sessions.values()) session.unfollow(peer);
    this.readyMicrophone.left(peer);
    if (this.running?.source === "capture" && this.running.capturePeer === peer) {
      if (this.running.readyCapture) {
        this.running.notify(
          "the microphone kept ready (its capture process) ended during the dictation: its text is what it had " +
            "recorded; the next dictation opens the microphone anew",
        );
      }
      this.running.stop("capture_ended");
    }
    this.running?.sources.left(peer);
  }

  /** The running dictation (stopping included), or null. */
  get current(): DictationInfo | null {
    return this.running ? this.describe(this.running) : null;
  }

  /**
   * Resolves once no dictation is stopping (in its final pass): at once when none runs, or when the one that runs
   * still records, which may go on for as long as its user speaks.
   */
  stopped(): Promise<void> {
    if (this.running?.state !== "stopping") return Promise.resolve();
    return new Promise((resolve) => this.releaseWaiters.push(resolve));
  }

  /**
   * The daemon is stopping: a running dictation ends, its recording kept as interrupted; one whose text is being
   * finished ends with its spoken text.
   */
  shutdown(): void {
    for (const session of [...this.sessions.values()]) session.interrupt();
  }

  /** Starts a dictation; `gate` replaces the configured speech gate (a Realtime session's turn detection). */
  start(request: Extract<Request, { type: "dictation.start" }>, peer: DictationPeer, gate?: SpeechGate): void {
    if (this.running) {
      const { session: id, startedAt } = this.running.info();
      throw new ProtocolError(
        "busy",
        `another dictation is already running on this machine (session ${id}, started ${startedAt}, from Raycast, ` +
          "the verbatim command or another app); Verbatim runs one at a time: end it (verbatim dictations stop), " +
          "then start this one again.",
        request.id,
      );
    }
    const { host, recordings } = this.services;
    // The HTTP API's dictations (their own gate) stay as the API defines them: Plain, unless the request names a mode.
    const modes = gate && request.mode === undefined ? [] : (this.services.modes?.() ?? []);
    const mode = chooseMode(modes, { ...request, requestId: request.id });
    // The mode's model and language are this dictation's, unless its own options say otherwise.
    const options: TranscriptionOptions = { ...modeOptions(mode), ...request.options };
    const recording = recordings.create(request.source, options);
    const session = new DictationSession({
      id: recording.id,
      source: request.source,
      options,
      device: request.device,
      recording,
      host,
      readyTimeoutMs: this.settings.readyTimeoutSeconds * 1000,
      speechGate: gate ?? this.services.speechGate?.() ?? new PassThroughGate(),
      autoStopSeconds: request.autoStopSeconds ?? this.settings.autoStopSeconds,
      ...(this.settings.streamingChunkMs !== undefined && { streamingChunkMs: this.settings.streamingChunkMs }),
      decoding: this.settings.decoding,
      vocabulary: this.services.vocabulary?.() ?? EMPTY_VOCABULARY,
      mode,
      ...(request.selection && { selection: request.selection }),
      finish: (current, spoken, signal) =>
        finishText(current, spoken, this.settings.finishingTimeoutSeconds, signal, request.selection),
      onSpoken: (spoken, transcript) => this.spoken(spoken, transcript),
      onEnded: (ended, delivered) => this.ended(ended, delivered),
    });
    this.running = session;
    this.sessions.set(session.id, session);
    this.services.results.set(session.id, { state: "running" });
    this.maxTimer = setTimeout(() => this.reachedLimit(session), this.settings.maxDictationSeconds * 1000);
    this.maxTimer.unref();
    session.sources.add(peer);
    // A starter that sends its keypress time knows to drop its own microphone for the one kept ready.
    const ready =
      request.source === "capture" && request.pressedAt !== undefined
        ? this.readyMicrophone.take(request.device)
        : null;
    this.services.log.info("dictation started", {
      session: session.id,
      source: request.source,
      mode: mode.name,
      readyMicrophone: ready !== null,
    });
    peer.send({
      type: "dictation.started",
      id: request.id,
      session: session.id,
      recording: session.recording,
      at: 0,
      mode,
      ...(ready && { readyMicrophone: true }),
      ...(this.readyMicrophone.keepMinutes > 0 && { keepMicrophoneReady: true }),
    });
    session.follow(peer, request.id);
    if (ready) this.handToReady(session, ready, request.pressedAt!);
  }

  /**
   * The capture process kept ready records `session`: from a little before the keypress on (what it holds of that
   * time first), and follows it under its dictation.ready request until it ends.
   */
  private handToReady(session: DictationSession, ready: ReadyCapture, pressedAt: number): void {
    session.readyCapture = ready;
    session.capturePeer = ready.peer;
    session.sources.add(ready.peer);
    const since = pressedAt - BEFORE_PRESS_MS;
    ready.peer.send({ type: "capture.take", id: ready.requestId, session: session.id, since });
    session.follow(ready.peer, ready.requestId);
  }

  /** The text a client finished (its finishing was the client's), judged, kept in the history and answered. */
  private finishedByClient(request: Extract<Request, { type: "dictation.finished" }>, peer: DictationPeer): void {
    const session = this.find(request.id, request.session);
    const outcome = session.final;
    const finishing = outcome?.type === "dictation.done" ? outcome.transcript.finishing : undefined;
    if (finishing?.status !== "client") {
      const why = outcome
        ? `its finishing is ${finishing ? `"${finishing.status}"` : "none (it heard no speech)"}`
        : "it has not ended yet";
      throw new ProtocolError(
        "bad_message",
        `the dictation ${session.id} does not wait for a client's finished text: ${why}`,
        request.id,
      );
    }
    this.refinished(session, clientFinished(finishing, request.text), request.id, peer);
  }

  /**
   * Switches a dictation's mode: one whose text is not finished yet is finished by the new mode; one that ended has
   * its spoken text finished again by it (answered with the transcript as it then is).
   */
  private async switchMode(request: Extract<Request, { type: "dictation.mode" }>, peer: DictationPeer): Promise<void> {
    const session = this.find(request.id, request.session);
    const mode = chooseMode(this.services.modes?.() ?? [], { mode: request.mode, requestId: request.id });
    const outcome = session.final;
    if (!outcome) {
      session.switchMode(mode);
      this.services.log.info("dictation mode switched", { session: session.id, mode: mode.name });
      peer.send({ type: "done", id: request.id });
      return;
    }
    if (outcome.type !== "dictation.done" || outcome.transcript.noSpeech) {
      const why = outcome.type === "dictation.done" ? "it heard no speech" : `it ended with ${outcome.code}`;
      throw new ProtocolError("bad_message", `the dictation ${session.id} has no text to finish: ${why}`, request.id);
    }
    session.switchMode(mode);
    const spoken = outcome.transcript.finishing?.spokenText ?? outcome.transcript.text;
    const timeout = this.settings.finishingTimeoutSeconds;
    const finishing = await finishText(mode, spoken, timeout, new AbortController().signal, session.selection);
    // Switched again meanwhile: the later switch's finishing is the one kept.
    if (session.mode !== mode) {
      const latest = session.final;
      peer.send({
        type: "done",
        id: request.id,
        ...(latest?.type === "dictation.done" && { transcript: latest.transcript }),
      });
      return;
    }
    this.refinished(session, finishing, request.id, peer);
  }

  /** A dictation's text finished anew: its outcome and the history carry it, and the client gets the transcript. */
  private refinished(session: DictationSession, finishing: FinishingData, id: string, peer: DictationPeer): void {
    const transcript = session.refinished(finishing);
    this.services.results.set(session.id, { state: "done", transcript });
    const unrecorded = this.services.recordFinished?.(session.id, finishing);
    if (finishing.notice) peer.send({ type: "notice", id, message: finishing.notice });
    if (unrecorded) peer.send({ type: "notice", id, message: unrecorded });
    peer.send({ type: "done", id, transcript });
  }

  /** maxDictationSeconds have passed: the dictation stops with a final pass, and says why. */
  private reachedLimit(session: DictationSession): void {
    const seconds = this.settings.maxDictationSeconds;
    const message =
      `the dictation reached maxDictationSeconds (${seconds} s) and stopped; audio after that is not used. ` +
      "For longer dictations raise maxDictationSeconds in config.json.";
    this.services.log.info("dictation reached maxDictationSeconds", { session: session.id, seconds });
    session.notify(message);
    session.stop("max_duration");
  }

  private describe(session: DictationSession): DictationInfo {
    const info = session.info();
    return this.services.recordings.has(session.recording) ? info : { ...info, recording: null };
  }

  private find(requestId: string, sessionId: string): DictationSession {
    const session = this.sessions.get(sessionId);
    if (!session) {
      throw new ProtocolError(
        "not_found",
        `no running or recent dictation "${sessionId}" (verbatim dictations list shows the running one)`,
        requestId,
      );
    }
    return session;
  }

  /** The dictation no longer runs (it ended, or its text is being finished): the next one may start. */
  private release(session: DictationSession): void {
    if (this.running !== session) return;
    this.running = null;
    if (this.maxTimer) clearTimeout(this.maxTimer);
    for (const resolve of this.releaseWaiters.splice(0)) resolve();
  }

  /**
   * Its final pass is done and its finishing starts: the next dictation may start, and the spoken text is in the
   * history with its mode (a daemon killed while the text is finished loses nothing).
   */
  private spoken(session: DictationSession, transcript: TranscriptData): void {
    this.release(session);
    // A dictation that heard no speech has nothing to keep.
    if (transcript.noSpeech) return;
    this.services.recordTranscript?.({
      kind: "dictation",
      job: session.id,
      transcript,
      mode: session.mode.name,
      sourceFile: null,
      app: session.options.app ?? null,
      audioFile: this.services.recordings.wavFile(session.recording),
    });
    this.inHistory.add(session.id);
  }

  private ended(session: DictationSession, delivered: boolean): void {
    this.release(session);
    const outcome = session.final!;
    const { results, recordings, log } = this.services;
    const inHistory = this.inHistory.delete(session.id);
    if (outcome.type === "dictation.done") {
      results.set(session.id, { state: "done", transcript: outcome.transcript });
      const { finishing } = outcome.transcript;
      if (inHistory && finishing) this.services.recordFinished?.(session.id, finishing);
    } else {
      results.set(session.id, { state: "failed", code: outcome.code, message: outcome.message });
      if (inHistory && outcome.code === "cancelled") this.services.forgetTranscript?.(session.id);
    }
    log.info("dictation ended", {
      session: session.id,
      state: session.state,
      reason: session.stopReason,
      delivered,
      microphoneStartMs: session.microphoneStartMs,
    });

    const keep = this.settings.keepRecordings;
    if (outcome.type === "dictation.done") {
      if (delivered) this.delivered(session.recording);
      else {
        recordings.mark(session.recording, "undelivered");
        this.undelivered.add(session.id);
      }
    } else if (outcome.code === "shutting_down") {
      recordings.mark(session.recording, "interrupted", outcome.message);
    } else if (outcome.code === "cancelled" || keep === "never") {
      if (keep === "always") recordings.mark(session.recording, "failed", outcome.message);
      else recordings.remove(session.recording);
    } else {
      recordings.mark(session.recording, "failed", outcome.message);
    }

    const finished = [...this.sessions.values()].filter((s) => s.ended);
    for (const old of finished.slice(0, Math.max(0, finished.length - Math.max(this.settings.keepSessions, 1)))) {
      this.sessions.delete(old.id);
      this.undelivered.delete(old.id);
    }
  }

  /** The recordings of dictations that have not ended: recording, in their final pass, or being finished. */
  private unendedRecordings(): Set<string> {
    return new Set([...this.sessions.values()].filter((session) => !session.ended).map((s) => s.recording));
  }

  /** The recording's final text reached a client. */
  private delivered(recording: string): void {
    if (this.settings.keepRecordings === "always") this.services.recordings.mark(recording, "delivered");
    else this.services.recordings.remove(recording);
  }

  private retry(requestId: string, recording: string, peer: DictationPeer): void {
    const { recordings, results, submitTranscription } = this.services;
    if (!recordings.has(recording)) {
      throw new ProtocolError(
        "not_found",
        `no recording "${recording}" (verbatim dictations list shows the recordings kept)`,
        requestId,
      );
    }
    if (this.unendedRecordings().has(recording)) {
      throw new ProtocolError(
        "busy",
        `the dictation ${recording} has not ended (it records, or its text is being finished); stop it first`,
        requestId,
      );
    }
    const file = recordings.wavFile(recording);
    const request = {
      type: "transcribe" as const,
      id: requestId,
      source: { kind: "file" as const, path: file },
      options: recordings.options(recording),
    };
    const queued = submitTranscription(request, file, (event: Event) => peer.send(event));
    peer.send({ type: "accepted", id: requestId, position: queued.position });
    void queued.finished.then(() => {
      const outcome = results.get(requestId);
      if (outcome?.state === "done") this.delivered(recording);
      else if (outcome?.state === "failed") recordings.mark(recording, "failed", outcome.message);
    });
  }
}

/** The options a mode gives its dictations. */
function modeOptions(mode: DictationMode): TranscriptionOptions {
  return {
    ...(mode.model !== undefined && { model: mode.model }),
    ...(mode.language !== undefined && { language: mode.language }),
  };
}
