// One live dictation: PCM frames in (written to its recording before anything else), its speech (and only its
// speech: dictation/speech-gate.ts) to the engine's streaming session on the warm model, and its events fanned out to
// every client following it. It ends on stop (a final pass, then the transcript), after enough silence when asked to
// stop by itself, on cancel or on failure, and keeps its events so that a client attaching later can catch up.
import type { StreamEvent, StreamingSession, StreamTranscript, StreamUtterance } from "@verbatim/native";
import type {
  DictationInfo,
  DictationMode,
  DictationSource,
  DictationState,
  DictationStopReason,
  ErrorCode,
  Event,
  FinishingData,
  SegmentData,
  TranscriptData,
  TranscriptionOptions,
} from "../protocol";
import { checkJobOptions, checkStreaming, shiftSegment, type LiveDictation } from "../families";
import type { DecodingDefaults } from "../service/config";
import type { ActiveModel, EngineHost } from "../service/engine-host";
import { unfinished } from "../modes/finishing";
import { describeFailure } from "../service/failures";
import { plainSegment, plainText } from "../plain-text";
import { LiveReplacements } from "../vocabulary/live-replacements";
import { Replacer } from "../vocabulary/replacements";
import { withJobTerms, type Vocabulary } from "../vocabulary/vocabulary";
import { livePolicy } from "./live-policy";
import { LevelMeter, pcmSamples, SAMPLE_RATE, toFloat } from "./pcm";
import type { RecordingWriter } from "./recordings";
import type { GateStep, SpeechGate } from "./speech-gate";
import { AudioSources, CAPTURE_START_MS, SOURCE_SILENCE_MS } from "./audio-sources";
import type { ReadyCapture } from "./ready-microphone";

/** How long a stop waits for the microphone kept ready to send what it read (a round trip on the socket, ms). */
const FLUSH_WAIT_MS = 2000;

/** Anything that receives events: a client connection. */
export interface DictationPeer {
  send(event: Event): void;
}

type DictationEvent =
  | Exclude<Extract<Event, { type: `dictation.${string}` }>, { type: "dictation.started" }>
  | Extract<Event, { type: "notice" }>;
type SessionEvent = DictationEvent extends infer E ? (E extends { id: string } ? Omit<E, "id"> : never) : never;
type Outcome = Extract<SessionEvent, { type: "dictation.done" | "dictation.error" }>;

const LEVELS_PER_SECOND = 10;
/** Why a dictation stopped, in words. */
const STOP_REASONS: Record<DictationStopReason, string> = {
  requested: "a client stopped it",
  auto_stop: "silence after speech ended it",
  max_duration: "it reached maxDictationSeconds",
  capture_ended: "its capture process ended",
  source_gone: "its audio source went away",
};
const SILENCE_CHECK_SAMPLES = 2 * SAMPLE_RATE;
const MICROPHONE_SILENT_MESSAGE =
  "The first 2 seconds from the microphone were exact silence: the system is giving Verbatim no audio, which is " +
  "what a denied microphone permission looks like. On macOS open System Settings → Privacy & Security → Microphone, " +
  "allow Raycast (or the terminal app you dictate from), then start the dictation again.";

export interface SessionSetup {
  id: string;
  source: DictationSource;
  options: TranscriptionOptions;
  device?: string;
  recording: RecordingWriter;
  host: EngineHost;
  readyTimeoutMs: number;
  /** What of the audio the decoder gets, and where utterances end. */
  speechGate: SpeechGate;
  /** After speech, this long without speech stops the dictation; 0: never. */
  autoStopSeconds: number;
  /** A natively streaming model's live chunk (Nemotron), in milliseconds; absent: the live policy's. */
  streamingChunkMs?: number;
  /** The user's vocabulary when the dictation started: terms for the prompt, replacements for its text. */
  vocabulary: Vocabulary;
  /** The config's beam search, best-of and fallback thresholds, for the final passes (live updates are greedy). */
  decoding?: DecodingDefaults;
  /** Its mode as it starts, and how a mode finishes its final text (never its live text); throws once `signal` aborts. */
  mode: DictationMode;
  /** The text selected in the app when it started, for a mode that edits it. */
  selection?: string;
  finish(mode: DictationMode, spokenText: string, signal: AbortSignal): Promise<FinishingData>;
  /**
   * Called once its final pass has given the spoken text, before finishing starts: the dictation no longer needs the
   * engine, and the text can be kept (the history) so that a finishing that never ends loses nothing.
   */
  onSpoken(session: DictationSession, transcript: TranscriptData): void;
  /** Called once when the session has ended; `delivered`: its final text reached at least one client. */
  onEnded(session: DictationSession, delivered: boolean): void;
}

export class DictationSession {
  readonly id: string;
  readonly source: DictationSource;
  readonly startedAt = new Date();
  state: DictationState = "running";
  /** Its microphone's own start (ms from its opening to its first audio), as its recorder reported it. */
  microphoneStartMs: number | undefined;
  /** For source "capture": the connection the audio comes from; the dictation stops when it closes. */
  capturePeer: DictationPeer | null = null;
  /** The capture process kept ready that records it (ready-microphone.ts), if one was handed it. */
  readyCapture: ReadyCapture | null = null;
  private flushWait: NodeJS.Timeout | null = null;
  /** Why it stopped taking audio, once it has. */
  stopReason: DictationStopReason | null = null;
  /** Its audio's sources: once all are gone and no audio comes for a while, it stops (reason source_gone). */
  readonly sources: AudioSources;
  /** Peers told that their audio for the stopped session is not used (once each). */
  private readonly refused = new WeakSet<DictationPeer>();
  /** Followers told that it ended without their asking it to stop (by itself, another client, cancel, failure). */
  private readonly told = new WeakSet<DictationPeer>();
  private readonly followers = new Map<DictationPeer, string>();
  private readonly history: SessionEvent[] = [];
  private outcome: Outcome | null = null;
  private stopRequests: Array<{ peer: DictationPeer; id: string }> = [];
  private received = 0;
  /** Samples given to the engine, and whether an utterance is open there. */
  private given = 0;
  private utteranceOpen = false;
  /** Per engine utterance: its first sample's place in the recording minus its place in what the engine was given. */
  private readonly utteranceOffsets: number[] = [];
  private zeroSamples = 0;
  private active: ActiveModel | null = null;
  /** The engine's live session on the active model, as its family runs it. */
  private live: LiveDictation | null = null;
  private stream: StreamingSession | null = null;
  private work: Promise<void>;
  private readonly meter: LevelMeter;
  /** Ends a finishing under way when the dictation is cancelled or the daemon stops. */
  private readonly finishing = new AbortController();
  /** The final pass's transcript once it is known (its finishing then runs), before it is finished. */
  private spoken: TranscriptData | null = null;
  private currentMode: DictationMode;
  private readonly replacer: Replacer;
  private readonly liveReplacements: LiveReplacements;

  constructor(private readonly setup: SessionSetup) {
    this.id = setup.id;
    this.source = setup.source;
    this.currentMode = setup.mode;
    this.replacer = new Replacer(setup.vocabulary.replacements);
    this.liveReplacements = new LiveReplacements(this.replacer);
    this.meter = new LevelMeter(SAMPLE_RATE / LEVELS_PER_SECOND, (rms, peak) =>
      this.emit({ type: "dictation.level", session: this.id, rms, peak, at: this.at }),
    );
    this.sources = new AudioSources(
      (heardAudio) => (this.source === "capture" && !heardAudio ? CAPTURE_START_MS : SOURCE_SILENCE_MS),
      (ms) => this.sourceGone(ms),
    );
    this.work = this.openStream().catch((error: unknown) => this.fail(error));
  }

  get recording(): string {
    return this.setup.recording.id;
  }

  get options(): TranscriptionOptions {
    return this.setup.options;
  }

  /** The text selected when it started (a mode that edits the selection edits it), if the client sent it. */
  get selection(): string | undefined {
    return this.setup.selection;
  }

  /** The mode that finishes its text (dictation.mode switches it). */
  get mode(): DictationMode {
    return this.currentMode;
  }

  /** The mode that finishes its text from now on (its model and language stay as the dictation began). */
  switchMode(mode: DictationMode): void {
    this.currentMode = mode;
  }

  get ended(): boolean {
    return this.outcome !== null;
  }

  /** How the session ended (dictation.done or dictation.error), null while it runs. */
  get final(): Outcome | null {
    return this.outcome;
  }

  info(): DictationInfo {
    const info: DictationInfo = {
      session: this.id,
      source: this.source,
      state: this.state,
      startedAt: this.startedAt.toISOString(),
      audioSeconds: this.at,
      recording: this.recording,
      mode: this.currentMode.name,
    };
    if (this.setup.device !== undefined) info.device = this.setup.device;
    if (this.microphoneStartMs !== undefined) info.microphoneStartMs = this.microphoneStartMs;
    return info;
  }

  /** Follows the session under request `id`: everything committed so far, then live events (or the outcome). */
  follow(peer: DictationPeer, id: string): boolean {
    for (const event of this.history) peer.send({ ...event, id } as Event);
    if (this.outcome) {
      peer.send({ ...this.outcome, id } as Event);
      return this.outcome.type === "dictation.done";
    }
    this.followers.set(peer, id);
    return false;
  }

  /** Whether `peer` follows the session or waits for the stop it asked for. */
  followedBy(peer: DictationPeer): boolean {
    return this.followers.has(peer) || this.stopRequests.some((request) => request.peer === peer);
  }

  unfollow(peer: DictationPeer): void {
    this.followers.delete(peer);
  }

  /** PCM bytes (an even count) from `from`: on disk first, then to the engine. Throws if the recording fails. */
  audio(pcm: Uint8Array, from: DictationPeer): void {
    this.setup.recording.append(pcm);
    const samples = pcmSamples(pcm);
    this.received += samples.length;
    this.sources.audio(from);
    if (this.source === "capture") {
      this.capturePeer ??= from;
      this.checkSilence(samples);
    }
    this.meter.push(samples);
    this.schedule(() => this.feed(samples));
  }

  /** Ends the session with a final pass; the final text goes to the followers and to `requester` as `done`. */
  stop(reason: DictationStopReason, requester?: { peer: DictationPeer; id: string }): void {
    if (this.outcome && requester) {
      if (this.outcome.type === "dictation.done")
        requester.peer.send({ type: "done", id: requester.id, transcript: this.outcome.transcript });
      else
        requester.peer.send({
          type: "error",
          id: requester.id,
          code: this.outcome.code,
          message: this.outcome.message,
        });
      return;
    }
    if (requester) this.stopRequests.push(requester);
    if (this.state !== "running") return;
    if (this.flushWait) clearTimeout(this.flushWait);
    this.state = "stopping";
    this.stopReason = reason;
    this.sources.close();
    this.emit({ type: "dictation.stopping", session: this.id, reason, at: this.at });
    this.schedule(() => this.complete());
  }

  /**
   * A client asked a dictation that a microphone kept ready records to stop: `flush` asks that capture process to send
   * what it has read and then stop the dictation itself (so the stop does not outrun its audio); `requester` is
   * answered then, or after FLUSH_WAIT_MS if it does not.
   */
  stopWhenFlushed(requester: { peer: DictationPeer; id: string }, flush: () => void): void {
    if (this.state !== "running") {
      this.stop("requested", requester);
      return;
    }
    this.stopRequests.push(requester);
    if (this.flushWait) return;
    this.flushWait = setTimeout(() => this.stop("requested"), FLUSH_WAIT_MS);
    this.flushWait.unref();
    flush();
  }

  /** Tells the followers (and a client attaching later) something about the dictation. */
  notify(message: string): void {
    if (!this.outcome) this.emit({ type: "notice", message });
  }

  /**
   * Audio from `peer` that arrived after the session stopped taking audio: not used. A follower that was told the
   * session ended without its own stop request (dictation.stopping, dictation.error) hears nothing more: its frames
   * were on their way. Any other sender hears it once, not once per frame.
   */
  lateAudio(peer: DictationPeer): string | null {
    if (this.told.has(peer) || this.refused.has(peer)) return null;
    this.refused.add(peer);
    const why = this.stopReason ? STOP_REASONS[this.stopReason] : this.state;
    return `the dictation ${this.id} has stopped (${why}); audio sent after it stopped is not used`;
  }

  /**
   * Its text finished anew (by the client, or by a mode switched to after it ended): the outcome, for followers
   * attaching later and for `result`, carries it from now on. Returns the transcript as it now is.
   */
  refinished(finishing: FinishingData): TranscriptData {
    const done = this.outcome as Extract<Outcome, { type: "dictation.done" }>;
    const text = finishing.finishedText ?? finishing.spokenText;
    const transcript = { ...done.transcript, text, finishing };
    this.outcome = { ...done, transcript };
    return transcript;
  }

  cancel(reason: string): void {
    if (this.outcome) return;
    this.stream?.cancel();
    this.end("cancelled", { code: "cancelled", message: `the dictation was ${reason}` });
  }

  /**
   * The daemon is stopping: the recording stays on disk as interrupted; once the spoken text is known (its finishing
   * runs), that text is delivered instead, saying the finishing was stopped.
   */
  interrupt(): void {
    if (this.outcome) return;
    if (this.spoken) {
      const finishing = unfinished(this.currentMode, this.spoken.text, "verbatimd stopped meanwhile");
      this.notify(finishing.notice!);
      this.end("done", { transcript: { ...this.spoken, finishing } });
      return;
    }
    this.stream?.cancel();
    this.end("failed", {
      code: "shutting_down",
      message: "verbatimd stopped during the dictation; its audio is kept: see `verbatim dictations list`",
    });
  }

  /** Nobody has sent audio for `ms` and every source has disconnected: the dictation ends with what it has. */
  private sourceGone(ms: number): void {
    if (this.state !== "running") return;
    const seconds = Math.round(ms / 1000);
    this.notify(
      `the dictation stopped: its audio source (the client that started it, its capture process) disconnected and ` +
        `sent nothing for ${seconds} s; its text and recording are kept (verbatim dictations attach ${this.id})`,
    );
    this.stop("source_gone");
  }

  private get at(): number {
    return this.received / SAMPLE_RATE;
  }

  private schedule(step: () => Promise<void> | void): void {
    this.work = this.work.then(() => (this.outcome ? undefined : step())).catch((error: unknown) => this.fail(error));
  }

  private async openStream(): Promise<void> {
    const { host, options, decoding } = this.setup;
    // Without a model of its own, the dictation runs on the loaded one, even while a switch loads another.
    const active = await host.ready(this.setup.readyTimeoutMs, undefined, undefined, options.model);
    if (this.outcome) return;
    checkJobOptions(active, options);
    checkStreaming(active);
    this.active = active;
    const terms = withJobTerms(this.setup.vocabulary, options);
    const policy = livePolicy(this.setup.streamingChunkMs);
    this.live = active.model.startLive(options, terms, decoding, policy, (event) => this.onEngine(event));
    this.stream = this.live.session;
    this.stream.done.catch((error: unknown) => this.fail(error));
  }

  private async feed(samples: Int16Array): Promise<void> {
    this.setup.host.touch(); // a long dictation is use: the idle unload must not take the model away
    const { speechGate, autoStopSeconds } = this.setup;
    this.give(await speechGate.push(samples));
    const silence = speechGate.silenceAfterSpeech;
    if (autoStopSeconds > 0 && silence !== null && silence >= autoStopSeconds) this.stop("auto_stop");
  }

  /** Hands the gate's speech to the engine, noting where each utterance sits in the recording. */
  private give(steps: GateStep[]): void {
    const stream = this.stream!;
    for (const step of steps) {
      if (step.kind === "end") {
        stream.endUtterance();
        this.utteranceOpen = false;
        continue;
      }
      if (!this.utteranceOpen) this.utteranceOffsets.push(step.at - this.given);
      this.utteranceOpen = true;
      stream.push(toFloat(step.samples));
      this.given += step.samples.length;
    }
  }

  private async complete(): Promise<void> {
    this.give(this.setup.speechGate.finish());
    const result = await this.stream!.finish();
    this.spoken = this.transcriptOf(result);
    // Nothing more is written to the recording: it is whole before the history may keep it.
    this.setup.recording.close();
    this.setup.onSpoken(this, this.spoken);
    const transcript = await this.finished(this.spoken);
    if (!this.outcome) this.end("done", { transcript });
  }

  /** The final transcript finished as its mode says: `text` is the finished text, `finishing` says how it went. */
  private async finished(transcript: TranscriptData): Promise<TranscriptData> {
    if (transcript.noSpeech) return transcript;
    let mode: DictationMode;
    let finishing: FinishingData;
    do {
      // A switch of mode while the text was being finished: the mode switched to finishes it.
      mode = this.currentMode;
      finishing = await this.setup.finish(mode, transcript.text, this.finishing.signal);
    } while (mode !== this.currentMode);
    if (finishing.notice) this.notify(finishing.notice);
    return { ...transcript, text: finishing.finishedText ?? transcript.text, finishing };
  }

  /** The utterance with its times on the recording's clock (the engine counts only the audio it was given). */
  private onRecordingClock(utterance: StreamUtterance): StreamUtterance {
    const shift = (this.utteranceOffsets[utterance.index] ?? 0) / SAMPLE_RATE;
    return {
      ...utterance,
      start: utterance.start + shift,
      end: utterance.end + shift,
      segments: utterance.segments.map((segment) => shiftSegment(segment, shift)),
    };
  }

  /** An utterance's final segments as clients get them: plain text, words, replacements, nothing past its audio. */
  private segmentsOf(utterance: StreamUtterance, language: string | undefined): SegmentData[] {
    return this.live!.segments(utterance, language).map((segment) => this.replacer.segment(plainSegment(segment)));
  }

  /** An engine event; what the family refuses to make text of (a broken model's) fails the dictation. */
  private onEngine(event: StreamEvent): void {
    try {
      this.emitEngineEvent(event);
    } catch (error) {
      this.fail(error);
    }
  }

  private emitEngineEvent(event: StreamEvent): void {
    if (this.outcome || !this.live) return;
    if (event.type === "committed") {
      this.emit({
        type: "dictation.committed",
        session: this.id,
        utterance: event.utterance,
        ...this.liveReplacements.next(event.utterance, plainText(event.text), plainText(event.tentativeText)),
        at: this.at,
      });
    } else if (event.type === "utterance") {
      const utterance = this.onRecordingClock(event.utterance);
      this.emit({
        type: "dictation.utterance",
        session: this.id,
        index: utterance.index,
        text: this.replacer.replace(plainText(this.live.text(utterance))),
        start: utterance.start,
        end: utterance.end,
        segments: this.segmentsOf(utterance, utterance.language ?? undefined),
        at: this.at,
      });
    }
  }

  private transcriptOf(result: StreamTranscript): TranscriptData {
    const active = this.active!;
    const live = this.live!;
    const utterances = result.utterances.map((u) => this.onRecordingClock(u));
    const language = utterances.find((u) => u.language)?.language ?? this.setup.options.language ?? null;
    const texts = utterances.map((u) => plainText(live.text(u)));
    const transcript = this.replacer.transcript({
      text: texts.filter(Boolean).join(" "),
      language,
      durationSeconds: this.at,
      segments: utterances.flatMap((u) => live.segments(u, language ?? undefined).map(plainSegment)),
      model: active.id,
      backend: active.model.backend,
    });
    return transcript.text ? transcript : { ...transcript, noSpeech: true };
  }

  fail(error: unknown): void {
    if (this.outcome) return;
    this.stream?.cancel();
    this.end("failed", describeFailure(error));
  }

  private end(state: DictationState, how: { transcript: TranscriptData } | { code: ErrorCode; message: string }): void {
    this.state = state;
    this.finishing.abort();
    this.sources.close();
    this.setup.recording.close();
    this.outcome =
      "transcript" in how
        ? { type: "dictation.done", session: this.id, transcript: how.transcript, at: this.at }
        : { type: "dictation.error", session: this.id, code: how.code, message: how.message, at: this.at };
    let delivered = this.followers.size > 0;
    this.emit(this.outcome);
    this.followers.clear();
    for (const requester of this.stopRequests.splice(0)) {
      this.stop("requested", requester);
      delivered = true;
    }
    this.setup.onEnded(this, delivered && this.outcome.type === "dictation.done");
  }

  private emit(event: SessionEvent): void {
    if (event.type !== "dictation.level" && event !== this.outcome) this.history.push(event);
    const ending = event.type === "dictation.stopping" || event.type === "dictation.error";
    for (const [peer, id] of this.followers) {
      if (ending && !this.stopRequests.some((request) => request.peer === peer)) this.told.add(peer);
      peer.send({ ...event, id } as Event);
    }
  }

  private checkSilence(samples: Int16Array): void {
    if (this.zeroSamples < 0 || this.zeroSamples >= SILENCE_CHECK_SAMPLES) return;
    for (const sample of samples) {
      if (sample !== 0) {
        this.zeroSamples = -1; // heard something: no more checking
        return;
      }
      if (++this.zeroSamples === SILENCE_CHECK_SAMPLES) {
        this.emit({
          type: "dictation.microphone_silent",
          session: this.id,
          message: MICROPHONE_SILENT_MESSAGE,
          at: this.at,
        });
        return;
      }
    }
  }
}
