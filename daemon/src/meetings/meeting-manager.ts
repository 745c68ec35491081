// The running meeting: two tracks recorded to disk as their capture processes send audio (the microphone and the
// system's audio, each under its own track id), and, when it stops, its final transcript: each track transcribed in
// the job queue (the system track with its speakers), the microphone's echo of the system dropped, the two merged.
import type { DictationPeer } from "../dictation/session";
import type { RecordingWriter } from "../dictation/recordings";
import { describeFailure } from "../service/failures";
import type { Logger } from "../service/logger";
import {
  ProtocolError,
  type DictationMode,
  type MeetingInfo,
  type MeetingTrackName,
  type MeetingTranscriptData,
  type Request,
  type TranscriptData,
  type TranscriptionOptions,
} from "../protocol";
import type { SpeechGate } from "../dictation/speech-gate";
import { pcmSamples, SAMPLE_RATE } from "../dictation/pcm";
import { MeetingLiveText } from "./live-text";
import type { SpeakerStreamOpener } from "./speaker-feed";
import { findMode } from "../modes/modes";
import { meetingNotes, notesModeProblem } from "./meeting-notes";
import { mergeMeetingTracks, transcriptLines } from "./meeting-transcript";
import { MeetingStore, TRACK_NAMES, type MeetingMeta } from "./meeting-store";
import { trackEcho } from "./track-echo";

export interface MeetingServices {
  store: MeetingStore;
  log: Logger;
  /**
   * A track's (or a live utterance's) transcript, through the job queue, kept out of the history (the meeting's own
   * entry goes there); `live` jobs go ahead of file jobs.
   */
  transcribeTrack(job: string, file: string, options: TranscriptionOptions, live?: boolean): Promise<TranscriptData>;
  cancelJob(job: string): void;
  /** Where each track's utterances end (the voice activity detector), for the live text. */
  speechGate(): SpeechGate;
  /** A stream of the speaker model from disk, for the system track's live speakers. */
  speakerStream: SpeakerStreamOpener;
  /** The modes now (a meeting's notes are written by one's local model). */
  modes?(): DictationMode[];
  /** Keeps the meeting's transcript in the history (its folder as its source); returns a problem. */
  recordMeeting?(meeting: MeetingTranscriptData, folder: string): string | null;
}

interface Track {
  name: MeetingTrackName;
  id: string;
  writer: RecordingWriter;
  /** The capture process sending its audio, if one is. */
  capture: DictationPeer | null;
  /** Its capture process's meeting.attach, answered when the track takes no more audio. */
  attachId: string | null;
  /** Whether its capture process's audio has been put on the meeting's clock (align). */
  aligned: boolean;
  /** When its capture process's first sample was recorded (epoch ms), if it said. */
  recordedFrom: number | null;
}

interface RunningMeeting {
  meta: MeetingMeta;
  folder: string;
  tracks: Record<MeetingTrackName, Track>;
  state: MeetingInfo["state"];
  live: MeetingLiveText;
}

export class MeetingManager {
  private running: RunningMeeting | null = null;
  /** Aborted when the daemon stops: notes being written are given up. */
  private readonly closing = new AbortController();

  constructor(private readonly services: MeetingServices) {}

  /** At start: meetings the last daemon did not finish keep their tracks, marked interrupted. */
  recover(): void {
    const interrupted = this.services.store.recover();
    if (interrupted.length > 0) {
      this.services.log.warn("meetings interrupted by the last daemon's end; their tracks are in their folders", {
        meetings: interrupted.map((meeting) => this.services.store.meetingFolder(meeting)),
      });
    }
  }

  handle(request: Extract<Request, { type: `meeting.${string}` | `meetings.${string}` }>, peer: DictationPeer): void {
    switch (request.type) {
      case "meetings.list":
        peer.send({ type: "done", id: request.id, meetings: this.services.store.list() });
        return;
      case "meetings.transcribe":
        this.transcribeEnded(request.id, request.meeting, this.notesMode(request.id, request.mode)).then(
          (meetingTranscript) => peer.send({ type: "done", id: request.id, meetingTranscript }),
          (error: unknown) => peer.send({ type: "error", id: request.id, ...describeFailure(error) }),
        );
        return;
      case "meeting.start":
        peer.send({ type: "done", id: request.id, meeting: this.start(request.id) });
        return;
      case "meeting.status":
        peer.send({ type: "done", id: request.id, ...(this.running && { meeting: this.describe(this.running) }) });
        return;
      case "meeting.attach":
        this.attach(request.id, request.track, request.recordedFrom ?? null, peer);
        return;
      case "meeting.stop":
        this.stop(request.id, this.notesMode(request.id, request.mode)).then(
          (meetingTranscript) => peer.send({ type: "done", id: request.id, meetingTranscript }),
          (error: unknown) => peer.send({ type: "error", id: request.id, ...describeFailure(error) }),
        );
        return;
    }
  }

  /** A binary frame for `trackId`; false when no meeting track has that id. */
  audio(trackId: string, pcm: Uint8Array, peer: DictationPeer): boolean {
    const track = this.trackById(trackId);
    if (!track) return false;
    if (this.running?.state !== "recording") return true; // its stop is under way: the capture process ends soon
    const refuse = (message: string) => peer.send({ type: "error", id: trackId, code: "bad_message", message });
    if (track.capture !== peer) {
      refuse(`the meeting's ${track.name} track takes audio from the capture process attached to it (meeting.attach)`);
    } else if (pcm.length % 2 !== 0) {
      refuse(`meeting audio must be whole 16-bit samples, but this frame has ${pcm.length} bytes; it was not used`);
    } else this.record(track, pcm, peer);
    return true;
  }

  private record(track: Track, pcm: Uint8Array, peer: DictationPeer): void {
    try {
      if (!track.aligned) this.align(track, pcm.length / 2);
      track.writer.append(pcm);
      this.running!.live.push(track.name, pcmSamples(pcm));
    } catch (error) {
      // The meeting goes on (the other track, this one once there is room); its capture process hears why.
      peer.send({ type: "error", id: track.id, ...describeFailure(error) });
    }
  }

  /** Whether `peer` is a track's capture process. */
  involves(peer: DictationPeer): boolean {
    return this.running !== null && TRACK_NAMES.some((name) => this.running!.tracks[name].capture === peer);
  }

  /** A capture process went away: the meeting goes on, recording the other track; its client may start another. */
  disconnected(peer: DictationPeer): void {
    if (!this.running) return;
    for (const name of TRACK_NAMES) {
      const track = this.running.tracks[name];
      if (track.capture !== peer) continue;
      track.capture = null;
      track.attachId = null;
      if (this.running.state === "recording") {
        this.services.log.warn(`the meeting's ${name} capture process ended; the meeting goes on without it`, {
          meeting: this.running.meta.meeting,
          track: track.id,
        });
      }
    }
  }

  /** The daemon is stopping: the tracks are closed where they are, the meeting left for recovery. */
  shutdown(): void {
    this.closing.abort();
    if (!this.running) return;
    this.running.live.stop();
    for (const name of TRACK_NAMES) this.running.tracks[name].writer.close();
  }

  private start(requestId: string): MeetingInfo {
    if (this.running) {
      throw new ProtocolError(
        "busy",
        `a meeting is already ${this.running.state} (${this.running.meta.meeting}); stop it first: verbatim meeting stop`,
        requestId,
      );
    }
    const { meta, folder, writers } = this.services.store.create();
    const track = (name: MeetingTrackName): Track => ({
      name,
      id: writers[name].id,
      writer: writers[name],
      capture: null,
      attachId: null,
      aligned: false,
      recordedFrom: null,
    });
    const tracks = { microphone: track("microphone"), system: track("system") };
    const files = { microphone: tracks.microphone.writer.file, system: tracks.system.writer.file };
    const { transcribeTrack, cancelJob, speechGate, speakerStream, log } = this.services;
    const live = new MeetingLiveText(meta.meeting, folder, files, {
      transcribe: (job, file, options) => transcribeTrack(job, file, options, true),
      cancel: cancelJob,
      speechGate,
      failed: (error) => log.warn("a meeting's live text failed", { meeting: meta.meeting, error: String(error) }),
      speakerStream,
      noSpeakers: (why) => log.warn("a meeting's live text names no speakers", { meeting: meta.meeting, why }),
    });
    this.running = { meta, folder, tracks, state: "recording", live };
    this.services.log.info("meeting started", { meeting: meta.meeting, folder });
    return this.describe(this.running);
  }

  private attach(requestId: string, trackId: string, recordedFrom: number | null, peer: DictationPeer): void {
    const track = this.trackById(trackId);
    if (!track || this.running?.state !== "recording") {
      throw new ProtocolError("not_found", `no meeting is recording a track "${trackId}"`, requestId);
    }
    if (track.capture && track.capture !== peer) {
      throw new ProtocolError("busy", `another capture process records the meeting's ${track.name} track`, requestId);
    }
    track.capture = peer;
    track.attachId = requestId;
    track.aligned = false;
    track.recordedFrom = recordedFrom;
    this.services.log.info("meeting track capturing", { meeting: this.running.meta.meeting, track: track.name });
  }

  /** The mode a request names for the meeting's notes (checked before anything stops), or null. */
  private notesMode(requestId: string, name: string | undefined): DictationMode | null {
    if (name === undefined) return null;
    const mode = findMode(this.services.modes?.() ?? [], name);
    const problem = notesModeProblem(mode, name, requestId);
    if (problem) throw problem;
    return mode!;
  }

  private async stop(requestId: string, notesMode: DictationMode | null): Promise<MeetingTranscriptData> {
    const meeting = this.running;
    if (!meeting || meeting.state !== "recording") {
      throw new ProtocolError(
        "not_found",
        meeting ? "the meeting is already stopping" : "no meeting is recording",
        requestId,
      );
    }
    meeting.state = "transcribing";
    meeting.live.stop();
    for (const name of TRACK_NAMES) {
      const track = meeting.tracks[name];
      track.writer.close();
      if (track.capture && track.attachId) track.capture.send({ type: "done", id: track.attachId });
    }
    const { store } = this.services;
    const files = { microphone: meeting.tracks.microphone.writer.file, system: meeting.tracks.system.writer.file };
    try {
      const result = await this.transcribe(meeting.meta.meeting, files, notesMode);
      store.write({ ...meeting.meta, state: "finished", transcript: result });
      this.keepInHistory(result, meeting.folder);
      this.services.log.info("meeting finished", {
        meeting: meeting.meta.meeting,
        segments: result.transcript.segments.length,
      });
      return result;
    } catch (error) {
      store.write({ ...meeting.meta, state: "failed", error: (error as Error).message });
      throw error;
    } finally {
      this.running = null;
    }
  }

  /** The transcript of a meeting that no longer records (interrupted, failed, or finished and made again). */
  private async transcribeEnded(
    requestId: string,
    meeting: string,
    notesMode: DictationMode | null,
  ): Promise<MeetingTranscriptData> {
    const { store } = this.services;
    const meta = store.read(meeting);
    if (!meta) throw new ProtocolError("not_found", `no meeting "${meeting}" (verbatim meeting list)`, requestId);
    if (this.running?.meta.meeting === meeting) {
      throw new ProtocolError("busy", `the meeting ${meeting} is still ${this.running.state}`, requestId);
    }
    const files = { microphone: store.trackFile(meeting, "microphone"), system: store.trackFile(meeting, "system") };
    const result = await this.transcribe(meeting, files, notesMode);
    store.write({ meeting, startedAt: meta.startedAt, state: "finished", transcript: result });
    this.keepInHistory(result, store.meetingFolder(meeting));
    return result;
  }

  private async transcribe(
    meeting: string,
    files: Record<MeetingTrackName, string>,
    notesMode: DictationMode | null,
  ): Promise<MeetingTranscriptData> {
    const { transcribeTrack } = this.services;
    const microphone = await transcribeTrack(`${meeting}-microphone`, files.microphone, { wordTimestamps: true });
    const system = await transcribeTrack(`${meeting}-system`, files.system, { wordTimestamps: true, speakers: "auto" });
    const merged = mergeMeetingTracks(microphone, system, trackEcho(files));
    const result = { meeting, ...merged, tracks: files };
    if (!notesMode) return result;
    const lines = transcriptLines(merged.transcript, merged.speakerNames);
    return { ...result, notes: await meetingNotes(notesMode, lines, this.closing.signal) };
  }

  private keepInHistory(result: MeetingTranscriptData, folder: string): void {
    const unrecorded = this.services.recordMeeting?.(result, folder);
    if (unrecorded) this.services.log.warn(unrecorded);
  }

  /**
   * Puts a capture process's first audio where it was recorded on the meeting's clock: silence for the time since
   * the meeting's start (or since the track's last capture process ended) that the track holds no audio for, so that
   * both tracks share one clock (sample i of each is the same instant). Where it was recorded is the capture
   * process's recordedFrom (its first sample's time: the frames it held while it connected arrive together, late), or
   * else its first frame's arrival; never later than that arrival, and never over audio already written.
   */
  private align(track: Track, firstSamples: number): void {
    const startedAt = Date.parse(this.running!.meta.startedAt);
    const arrived = Math.round(((Date.now() - startedAt) / 1000) * SAMPLE_RATE) - firstSamples;
    const recorded =
      track.recordedFrom === null ? arrived : Math.round(((track.recordedFrom - startedAt) / 1000) * SAMPLE_RATE);
    const elapsed = Math.min(arrived, recorded);
    const silence = new Uint8Array(SAMPLE_RATE * 2);
    for (let gap = elapsed - track.writer.samples; gap > 0; gap -= SAMPLE_RATE) {
      track.writer.append(silence.subarray(0, Math.min(gap, SAMPLE_RATE) * 2));
    }
    this.running!.live.resume(track.name, track.writer.samples);
    track.aligned = true;
  }

  private describe(meeting: RunningMeeting): MeetingInfo {
    const track = (name: MeetingTrackName) => {
      const { id, writer, capture } = meeting.tracks[name];
      return { id, file: writer.file, seconds: writer.samples / SAMPLE_RATE, capturing: capture !== null };
    };
    return {
      meeting: meeting.meta.meeting,
      startedAt: meeting.meta.startedAt,
      state: meeting.state,
      folder: meeting.folder,
      tracks: { microphone: track("microphone"), system: track("system") },
      live: meeting.live.lines,
      ...(meeting.live.speakersProblem !== null && { speakersProblem: meeting.live.speakersProblem }),
    };
  }

  private trackById(id: string): Track | null {
    if (!this.running) return null;
    return TRACK_NAMES.map((name) => this.running!.tracks[name]).find((track) => track.id === id) ?? null;
  }
}
