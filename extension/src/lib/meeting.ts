// Record Meeting's logic: a meeting started in the daemon with its two tracks' capture processes (the microphone, and
// the system's audio through the Core Audio tap or a loopback device), what the view shows of it while it records, and
// its final transcript with speakers ("You" for the microphone, the others by the system track's speakers) as text
// and markdown.
import os from "node:os";
import { captureCommandProblem } from "./capture-command";
import { startMeetingTrackCapture, type CaptureExit, type CaptureSetup } from "./capture-process";
import type {
  DaemonClient,
  DaemonStatus,
  MeetingInfo,
  MeetingTrackName,
  MeetingTranscriptData,
  SegmentData,
} from "./daemon-connection";
import { elapsed } from "./dictation-view";
import { escapeMarkdown } from "./transcript-view";
import { speakerLabel, speakerTurns } from "../verbatimd/speaker-turns";
import { systemTapProblem } from "../verbatimd/system-tap-support";

export const MEETING_TRACKS: readonly MeetingTrackName[] = ["microphone", "system"];

/** How long a capture process this command started may take to open its device before its track is flagged. */
export const CAPTURE_START_GRACE_MS = 10_000;

/**
 * A capture process that recorded at least this long and then died (the helper killed, the device gone for a moment)
 * is started again on its own; one that died sooner (no permission, no such device) would only die again, so its
 * track waits for Restart.
 */
export const RESTART_AFTER_RUN_MS = 10_000;

/**
 * What starting a track's capture process may be told: of each time it is started again on its own, and after how
 * long a run.
 */
export interface CaptureKeeping {
  restarted?: (track: MeetingTrackName, why: string) => void;
  restartAfterRunMs?: number;
}

/** Where the capture processes go: the daemon's socket, their log, and the devices each track records. */
export interface MeetingCaptureSetup extends Omit<CaptureSetup, "command" | "device"> {
  /** The microphone's input device; the system's default input when absent. */
  microphone?: string;
  /** The input that carries the system's audio (a loopback device such as BlackHole); on a Mac the tap when absent. */
  system?: string;
}

/**
 * How the command opened: a meeting that records (started now or found running), the device it still needs, or (asked
 * only to follow one) none.
 */
export type MeetingOpening =
  | { kind: "recording"; meeting: MeetingInfo; started: boolean; captures: MeetingCaptures }
  | { kind: "needs-system-device"; message: string }
  | { kind: "none" };

/** The capture processes this command started, by track: each settles when it ends. */
export type MeetingCaptures = Partial<Record<MeetingTrackName, Promise<CaptureExit>>>;

/**
 * Why the system's audio cannot be recorded with this setup, or null: a device is named, or the Mac records its
 * output through the Core Audio tap (macOS 14.2 and later).
 */
export function systemDeviceProblem(
  system: string | undefined,
  platform: string = process.platform,
  release: string = os.release(),
): string | null {
  if (system?.trim()) return null;
  if (platform !== "darwin") {
    return (
      'Name the input that carries the system\'s audio (a monitor source, such as "Monitor of Built-in Audio") in ' +
      "the System Audio Device preference."
    );
  }
  if (systemTapProblem(platform, release) === null) return null;
  return (
    "Recording the others in a call before macOS 14.2 needs the system's audio as an input: install a loopback " +
    "device such as BlackHole, send the call's output to it (a Multi-Output Device keeps your speakers), and name it " +
    'in the System Audio Device preference (for example "BlackHole 2ch"), or update macOS.'
  );
}

/** The meeting that records (or is being transcribed) now, or null. */
export async function currentMeeting(client: DaemonClient): Promise<MeetingInfo | null> {
  const event = await client.request({ type: "meeting.status" });
  return event.type === "done" ? (event.meeting ?? null) : null;
}

/** The capture command the daemon's status names, checked to be Verbatim's own; else it throws, saying why. */
function captureCommandOf(status: DaemonStatus): string[] {
  if (!status.capture) {
    throw new Error(
      "this daemon does not say how to start the capture process: update Verbatim and restart the daemon",
    );
  }
  const refused = captureCommandProblem(status.capture.command);
  if (refused) throw new Error(refused);
  return status.capture.command;
}

/**
 * Starts the capture process of one track of the meeting (a refused command throws, saying why), and again each time
 * one dies after recording RESTART_AFTER_RUN_MS (while this command runs); settles with the exit of the last one (code
 * 0 once the meeting stops).
 */
export function captureTrack(
  status: DaemonStatus,
  setup: MeetingCaptureSetup,
  meeting: MeetingInfo,
  track: MeetingTrackName,
  { restarted, restartAfterRunMs = RESTART_AFTER_RUN_MS }: CaptureKeeping = {},
): Promise<CaptureExit> {
  const command = captureCommandOf(status);
  const { microphone, system, ...rest } = setup;
  const device = (track === "microphone" ? microphone : system)?.trim() || undefined;
  const systemTap = track === "system" && !device && process.platform === "darwin";
  const capture = { ...rest, command, ...(device && { device }), ...(systemTap && { systemTap }) };
  const keep = async (): Promise<CaptureExit> => {
    for (;;) {
      const launched = Date.now();
      const exit = await startMeetingTrackCapture(capture, meeting.tracks[track].id);
      if (exit.code === 0 || Date.now() - launched < restartAfterRunMs) return exit;
      restarted?.(track, exit.message);
    }
  };
  return keep();
}

/**
 * The meeting that records now, or else (unless `start` is false, as for Stop Meeting from the menu bar) a new one:
 * meeting.start, then a detached capture process for each track (so the meeting outlives the command's window),
 * kept going as captureTrack's. Without a system device nothing starts.
 */
export async function openMeeting(
  client: DaemonClient,
  status: DaemonStatus,
  setup: MeetingCaptureSetup,
  { start = true, ...keeping }: { start?: boolean } & CaptureKeeping = {},
): Promise<MeetingOpening> {
  const running = await currentMeeting(client);
  if (running) return { kind: "recording", meeting: running, started: false, captures: {} };
  if (!start) return { kind: "none" };
  const problem = systemDeviceProblem(setup.system);
  if (problem) return { kind: "needs-system-device", message: problem };
  captureCommandOf(status); // before the meeting starts, so that a refused command leaves none without its tracks
  const event = await client.request({ type: "meeting.start" });
  if (event.type !== "done" || !event.meeting) throw new Error(`meeting.start answered ${event.type}`);
  const meeting = event.meeting;
  const captures: MeetingCaptures = {};
  for (const track of MEETING_TRACKS) captures[track] = captureTrack(status, setup, meeting, track, keeping);
  return { kind: "recording", meeting, started: true, captures };
}

/** Stops the meeting that records and waits for its final transcript. */
export async function stopMeeting(client: DaemonClient): Promise<MeetingTranscriptData> {
  const event = await client.request({ type: "meeting.stop" });
  if (event.type !== "done" || !event.meetingTranscript) throw new Error(`meeting.stop answered ${event.type}`);
  return event.meetingTranscript;
}

/** Seconds since the meeting started. */
export function meetingSeconds(meeting: MeetingInfo, now: number = Date.now()): number {
  return Math.max(0, (now - Date.parse(meeting.startedAt)) / 1000);
}

/** What Record Meeting knows of the capture processes it started: when (epoch ms), and why those that failed ended. */
export interface CaptureProgress {
  launched: Partial<Record<MeetingTrackName, number>>;
  errors: Partial<Record<MeetingTrackName, string>>;
}

/** A track whose capture process this command started moments ago and which is not capturing yet: not a problem yet. */
function isStarting(track: MeetingTrackName, progress: CaptureProgress, now: number): boolean {
  const launched = progress.launched[track];
  return launched !== undefined && now - launched < CAPTURE_START_GRACE_MS && progress.errors[track] === undefined;
}

/**
 * The tracks no capture process records while the meeting records (their audio is lost until one does), but for those
 * whose capture process is still starting.
 */
export function tracksWithoutCapture(
  meeting: MeetingInfo,
  progress: CaptureProgress = { launched: {}, errors: {} },
  now: number = Date.now(),
): MeetingTrackName[] {
  if (meeting.state !== "recording") return [];
  return MEETING_TRACKS.filter((track) => !meeting.tracks[track].capturing && !isStarting(track, progress, now));
}

const TRACK_TITLES: Record<MeetingTrackName, string> = { microphone: "Microphone (You)", system: "System Audio" };

export function trackTitle(track: MeetingTrackName): string {
  return TRACK_TITLES[track];
}

/**
 * What Record Meeting shows while a meeting records: the elapsed time, each track's recorded seconds and whether a
 * capture process feeds it, for a track without one why (its capture process's last words, when this command started
 * it), then the live text's latest lines (You, and the others: "Speaker 2" and on where the daemon has a speaker model,
 * else "Others", with why).
 */
export function meetingMarkdown(
  meeting: MeetingInfo,
  progress: CaptureProgress = { launched: {}, errors: {} },
  now: number = Date.now(),
): string {
  const heading =
    meeting.state === "recording"
      ? `# Recording a meeting: ${elapsed(meetingSeconds(meeting, now))}`
      : "# Transcribing the meeting…";
  const lines = MEETING_TRACKS.map((track) => {
    const { seconds, capturing } = meeting.tracks[track];
    const state = capturing ? "capturing" : isStarting(track, progress, now) ? "starting…" : "**no capture process**";
    return `- **${TRACK_TITLES[track]}**: ${elapsed(seconds)} recorded, ${state}`;
  });
  const warnings = tracksWithoutCapture(meeting, progress, now).map((track) => {
    const why = progress.errors[track];
    return (
      `> ⚠️ Nothing records the ${TRACK_TITLES[track].toLowerCase()} track${why ? `: ${escapeMarkdown(why)}` : ""}. ` +
      "Restart its capture, or check the device in the preferences."
    );
  });
  const speakers = meeting.speakersProblem
    ? [`_Live lines name no speakers: ${escapeMarkdown(meeting.speakersProblem)}_`]
    : [];
  const live = meeting.live.map((line) => `**${line.speaker}** (${elapsed(line.start)}): ${escapeMarkdown(line.text)}`);
  return [heading, lines.join("\n"), ...warnings, ...speakers, ...live].join("\n\n");
}

/** The transcript's segments, each with its speaker (a segment without one is the microphone's, as the daemon says). */
function withSpeakers(segments: readonly SegmentData[]): SegmentData[] {
  return segments.map((segment) => ({ ...segment, speaker: segment.speaker ?? 0 }));
}

/** The transcript as text: a line per turn, "[0:12] You: …", "[0:15] Speaker 2: …". */
export function meetingTranscriptText({ transcript, speakerNames }: MeetingTranscriptData): string {
  return speakerTurns(withSpeakers(transcript.segments))
    .map((turn) => `[${elapsed(turn.start)}] ${speakerLabel(turn.speaker, speakerNames)}: ${turn.text}`)
    .join("\n");
}

/**
 * The transcript as Record Meeting shows it: a paragraph per turn, "**You** (0:12): …", then the notes, if a mode
 * wrote them (or why it did not).
 */
export function meetingTranscriptMarkdown({
  transcript,
  speakerNames,
  echoWords,
  notes,
}: MeetingTranscriptData): string {
  const turns = speakerTurns(withSpeakers(transcript.segments));
  const paragraphs =
    turns.length === 0
      ? ["No speech was recognized in either track."]
      : turns.map(
          (turn) =>
            `**${escapeMarkdown(speakerLabel(turn.speaker, speakerNames))}** (${elapsed(turn.start)}): ${escapeMarkdown(turn.text)}`,
        );
  const echo = echoWords > 0 ? [`_${echoWords} words the microphone heard from the speakers were left out._`] : [];
  const written = notes
    ? [`## Notes (mode ${escapeMarkdown(notes.mode)})`, notes.text ?? `_None: ${escapeMarkdown(notes.notice ?? "")}_`]
    : [];
  return ["# Meeting transcript", ...paragraphs, ...echo, ...written].join("\n\n");
}
