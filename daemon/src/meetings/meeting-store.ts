// Meetings on disk: a folder per meeting in meetings/ (0700), holding a WAV per track (16 kHz mono 16-bit, written as
// the audio arrives, so that a daemon killed mid-meeting leaves both tracks readable) and meeting.json, which says
// whether the meeting is still recording (or was, when the daemon died), and, once it is finished, its transcript.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { MeetingRecord, MeetingTrackName, MeetingTranscriptData } from "../protocol";
import { recordedSeconds, RecordingWriter, repairWavHeader, timestampedId } from "../dictation/recordings";

export const TRACK_NAMES: readonly MeetingTrackName[] = ["microphone", "system"];

const STATES: readonly MeetingMeta["state"][] = ["recording", "interrupted", "finished", "failed"];

export interface MeetingMeta {
  meeting: string;
  startedAt: string;
  /** "recording": running, or interrupted when the daemon that ran it is gone. */
  state: "recording" | "interrupted" | "finished" | "failed";
  error?: string;
  transcript?: MeetingTranscriptData;
}

export class MeetingStore {
  constructor(readonly folder: string) {}

  /** A new meeting's folder and its tracks' writers. */
  create(): { meta: MeetingMeta; folder: string; writers: Record<MeetingTrackName, RecordingWriter> } {
    mkdirSync(this.folder, { recursive: true, mode: 0o700 });
    chmodSync(this.folder, 0o700);
    const startedAt = new Date();
    const meeting = timestampedId(startedAt);
    const folder = this.meetingFolder(meeting);
    mkdirSync(folder, { mode: 0o700 });
    const meta: MeetingMeta = { meeting, startedAt: startedAt.toISOString(), state: "recording" };
    this.write(meta);
    const writer = (track: MeetingTrackName) =>
      new RecordingWriter(`${meeting}-${track}`, this.trackFile(meeting, track));
    return { meta, folder, writers: { microphone: writer("microphone"), system: writer("system") } };
  }

  meetingFolder(meeting: string): string {
    return path.join(this.folder, meeting);
  }

  trackFile(meeting: string, track: MeetingTrackName): string {
    return path.join(this.meetingFolder(meeting), `${track}.wav`);
  }

  write(meta: MeetingMeta): void {
    writeFileSync(path.join(this.meetingFolder(meta.meeting), "meeting.json"), JSON.stringify(meta, null, 2) + "\n", {
      mode: 0o600,
    });
  }

  /**
   * The meeting's meta, or null when there is no such meeting. A meeting.json that cannot be read (damaged, or not
   * Verbatim's) leaves the meeting listed as interrupted, saying so: its tracks can still be transcribed.
   */
  read(meeting: string): MeetingMeta | null {
    const metaFile = path.join(this.meetingFolder(meeting), "meeting.json");
    if (!/^[\w-]+$/.test(meeting) || !existsSync(metaFile)) return null;
    try {
      const meta = JSON.parse(readFileSync(metaFile, "utf8")) as Partial<MeetingMeta>;
      if (meta.meeting !== meeting || typeof meta.startedAt !== "string" || !STATES.includes(meta.state!)) {
        throw new Error("it is not a meeting's");
      }
      return meta as MeetingMeta;
    } catch (error) {
      return {
        meeting,
        startedAt: statSync(metaFile).mtime.toISOString(),
        state: "interrupted",
        error: `its meeting.json could not be read (${(error as Error).message})`,
      };
    }
  }

  /** Every meeting on disk, oldest first. */
  list(): MeetingRecord[] {
    if (!existsSync(this.folder)) return [];
    return readdirSync(this.folder)
      .sort()
      .flatMap((meeting) => {
        const meta = this.read(meeting);
        if (!meta) return [];
        const track = (name: MeetingTrackName) => {
          const file = this.trackFile(meeting, name);
          return { file, seconds: recordedSeconds(file) };
        };
        const record: MeetingRecord = {
          meeting,
          startedAt: meta.startedAt,
          state: meta.state,
          folder: this.meetingFolder(meeting),
          tracks: { microphone: track("microphone"), system: track("system") },
        };
        return [meta.error === undefined ? record : { ...record, error: meta.error }];
      });
  }

  /**
   * At start: meetings the last daemon left recording (it was killed) become "interrupted", their tracks' headers made
   * to match the audio on disk. Returns their ids.
   */
  recover(): string[] {
    if (!existsSync(this.folder)) return [];
    const interrupted: string[] = [];
    for (const meeting of readdirSync(this.folder).sort()) {
      const meta = this.read(meeting);
      if (meta?.state !== "recording") continue;
      for (const track of TRACK_NAMES) {
        if (existsSync(this.trackFile(meeting, track))) repairWavHeader(this.trackFile(meeting, track));
      }
      this.write({ ...meta, state: "interrupted", error: "the daemon stopped during the meeting" });
      interrupted.push(meeting);
    }
    return interrupted;
  }
}
