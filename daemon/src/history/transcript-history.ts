// The daemon's side of the history: on or off as config says, retention applied at start and every few hours, kept
// dictation recordings compressed, and the answers to history.* requests. Recording a transcript never throws: it
// returns what went wrong instead.
import { rmSync } from "node:fs";
import path from "node:path";
import {
  parseIsoDate,
  ProtocolError,
  type Event,
  type FinishingData,
  type HistoryStatus,
  type Request,
} from "../protocol";
import {
  HistoryError,
  HistoryStore,
  type FinishedTranscript,
  type HistoryProblemReporter,
  type KeptRecordings,
} from "./history-store";
import { RecordingCompressor } from "./recording-compressor";

export type HistoryRequest = Extract<Request, { type: `history.${string}` }>;
type DoneEvent = Extract<Event, { type: "done" }>;

const RETENTION_INTERVAL_MS = 6 * 60 * 60 * 1000;

export interface TranscriptHistorySettings {
  history: boolean;
  historyDays: number;
  historyKeepsRecordings: KeptRecordings;
}

export class TranscriptHistory {
  private readonly store: HistoryStore | null;
  private readonly retention: NodeJS.Timeout | null = null;
  private readonly compressor: RecordingCompressor;

  /** Opens history.sqlite in `stateDir`/history when the history is on. */
  constructor(
    stateDir: string,
    settings: TranscriptHistorySettings,
    private readonly log: HistoryProblemReporter,
  ) {
    this.compressor = new RecordingCompressor(log);
    if (!settings.history) {
      this.store = null;
      return;
    }
    const store = HistoryStore.open(path.join(stateDir, "history"), settings, log);
    this.store = store;
    store.onDictationRecordingKept = (id, wav) => void this.compressKept(store, id, wav);
    const compressLeftWavs = () => {
      for (const { id, recording } of store.uncompressedDictationRecordings())
        void this.compressKept(store, id, recording);
    };
    store.onLateOpen = compressLeftWavs;
    compressLeftWavs();
    if (settings.historyDays > 0) {
      this.retention = setInterval(() => this.store?.applyRetention(), RETENTION_INTERVAL_MS);
      this.retention.unref();
    }
  }

  get enabled(): boolean {
    return this.store !== null;
  }

  status(): HistoryStatus {
    if (!this.store) return { enabled: false, notice: null };
    const { notice, notices } = this.store;
    return { enabled: true, notice, notices, recordings: this.store.recordingsUsage() };
  }

  /** The entry's recording becomes the FLAC, unless the entry was deleted (or changed) meanwhile. */
  private async compressKept(store: HistoryStore, id: number, wav: string): Promise<void> {
    const flac = await this.compressor.compress(wav);
    if (!flac) return;
    let replaced = false;
    try {
      replaced = store.replaceRecording(id, wav, flac);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.log.warn("a compressed recording could not be recorded; the WAV is kept", { id, error: reason });
    }
    rmSync(replaced ? wav : flac, { force: true });
  }

  /** Adds a finished transcript; returns null, or a message saying why it is not in the history. */
  record(finished: FinishedTranscript): string | null {
    if (!this.store) return null;
    if (this.store.record(finished) !== null) return null;
    return `The transcript was not added to the history: ${this.store.pendingNotice ?? "the database refused it"}`;
  }

  /** Keeps a dictation's text finished anew and its mode; returns null, or a message saying why it is not kept. */
  recordFinished(job: string, finishing: FinishingData): string | null {
    if (!this.store) return null;
    try {
      if (this.store.setFinished(job, finishing)) return null;
      return "The finished text was not added to the history: it has no entry of this dictation (deleted?)";
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return `The finished text was not added to the history: ${reason}`;
    }
  }

  /** Removes a dictation's transcript (cancelled while it was finished); a failure is logged. */
  forget(job: string): void {
    try {
      this.store?.forget(job);
    } catch (error) {
      this.log.warn("a canceled dictation could not be removed from the history", {
        job,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /** The done event answering a history request. Throws ProtocolError (not_found, history). */
  answer(request: HistoryRequest): DoneEvent {
    const store = this.store;
    if (!store) {
      throw new ProtocolError(
        "history",
        'the transcript history is off; set "history": true in the config file and restart the daemon',
        request.id,
      );
    }
    const { id } = request;
    try {
      switch (request.type) {
        case "history.list":
          return { type: "done", id, history: store.list(request.limit, request.beforeId) };
        case "history.search":
          return { type: "done", id, history: store.search(request.query, request.limit, request.beforeId) };
        case "history.get":
          return { type: "done", id, historyEntry: store.get(request.entry) };
        case "history.delete":
          return {
            type: "done",
            id,
            deleted: "entry" in request ? store.delete(request.entry) : store.deleteBefore(dateOf(request.before)),
          };
        case "history.count":
          return { type: "done", id, count: store.countBefore(dateOf(request.before)) };
        case "history.export":
          return { type: "done", id, exported: store.export(request.format) };
        case "history.speakers":
          return { type: "done", id, historyEntry: store.nameSpeakers(request.entry, request.names) };
      }
    } catch (error) {
      if (error instanceof HistoryError) throw new ProtocolError(error.code, error.message, id);
      const reason = error instanceof Error ? error.message : String(error);
      throw new ProtocolError("history", `the history database failed: ${reason}. ${store.notice ?? ""}`.trim(), id);
    }
  }

  close(): void {
    this.compressor.close();
    if (this.retention) clearInterval(this.retention);
    this.store?.close();
  }
}

/** The moment a request's `before` names (parseRequest accepted only dates that exist). */
function dateOf(before: string): Date {
  const date = parseIsoDate(before);
  if (!date) throw new HistoryError("history", `"before" is not a date that exists: ${before}`);
  return date;
}
