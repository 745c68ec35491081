// `verbatim meeting`: start a meeting (two capture processes, detached: the microphone, and the system's audio
// through a monitor source or a Mac's Core Audio tap), see it, and stop it for its final transcript with speakers
// ("You" and the others).
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import path from "node:path";
import type { DaemonClient } from "../client";
import { CAPTURE_ENTRY } from "../capture/capture-entry";
import { listInputDevices } from "../capture/microphone";
import { systemTapProblem } from "../capture/system-tap-support";
import { connectRunning, ensureDaemon } from "../daemon-control";
import type { VerbatimPaths } from "../paths";
import type { MeetingInfo, MeetingRecord, MeetingTrackName, MeetingTranscriptData } from "../protocol";
import { formatTranscript } from "../formats";
import { TRACK_NAMES } from "../meetings/meeting-store";
import { meetingClock, transcriptLines } from "../meetings/meeting-transcript";
import { parseCommandLine } from "./command-line";
import { needsOneOf } from "./did-you-mean";
import { EXIT, UsageError } from "./exit-codes";

const ACTIONS = ["start", "stop", "status", "list", "transcribe"];
/** How long `start` waits for both capture processes to send audio before saying which did not. */
const CAPTURE_WAIT_MS = 10_000;

export interface MeetingCommand {
  action: "start" | "stop" | "status" | "list" | "transcribe";
  /** transcribe: the meeting. */
  meeting?: string;
  microphone?: string;
  system?: string;
  json: boolean;
  /** stop and transcribe: the transcript as subtitles (with the speakers' names) instead of lines. */
  format?: "srt" | "vtt";
  /** stop and transcribe: the mode whose local model writes the meeting's notes. */
  mode?: string;
}

export function parseMeeting(args: string[]): MeetingCommand {
  const [action, ...rest] = args;
  if (!ACTIONS.includes(action)) {
    throw new UsageError(needsOneOf("meeting", action, ACTIONS, "start, stop, status, list, transcribe ID"));
  }
  const { values, positionals } = parseCommandLine({
    args: rest,
    options: {
      microphone: { type: "string" },
      system: { type: "string" },
      json: { type: "boolean" },
      format: { type: "string" },
      mode: { type: "string" },
    },
    allowPositionals: true,
  });
  if (positionals.length !== (action === "transcribe" ? 1 : 0)) {
    throw new UsageError(
      action === "transcribe" ? "meeting transcribe takes a meeting's id" : `meeting ${action} takes no id`,
    );
  }
  const format = values.format;
  if (
    format !== undefined &&
    (!["srt", "vtt"].includes(format) || values.json || !["stop", "transcribe"].includes(action))
  ) {
    throw new UsageError("--format takes srt or vtt, on meeting stop or transcribe, and not with --json");
  }
  if ((values.microphone !== undefined || values.system !== undefined) && action !== "start") {
    throw new UsageError("--microphone and --system name the devices a meeting records: meeting start takes them");
  }
  if (values.mode !== undefined && !["stop", "transcribe"].includes(action)) {
    throw new UsageError("--mode names the mode that writes a meeting's notes, on meeting stop or transcribe");
  }
  return {
    action: action as MeetingCommand["action"],
    ...(format !== undefined && { format: format as "srt" | "vtt" }),
    ...(values.mode !== undefined && { mode: values.mode }),
    ...(action === "transcribe" && { meeting: positionals[0] }),
    ...(values.microphone !== undefined && { microphone: values.microphone }),
    ...(values.system !== undefined && { system: values.system }),
    json: values.json === true,
  };
}

export async function runMeeting(command: MeetingCommand, paths: VerbatimPaths): Promise<number> {
  if (command.action === "start") return start(command, paths);
  // Only transcribing an ended meeting needs the engine: the rest leaves a stopped daemon stopped.
  const client = command.action === "transcribe" ? await ensureDaemon(paths) : await connectRunning(paths);
  try {
    if (command.action === "status") {
      const meeting = await status(client);
      if (command.json) process.stdout.write(JSON.stringify(meeting ?? null, null, 2) + "\n");
      else process.stdout.write(meeting ? describe(meeting) : "No meeting is recording.\n");
      return EXIT.ok;
    }
    if (command.action === "list") {
      const event = await client.request({ type: "meetings.list" });
      const meetings = event.type === "done" ? (event.meetings ?? []) : [];
      process.stdout.write(command.json ? JSON.stringify(meetings, null, 2) + "\n" : meetings.map(listed).join(""));
      return EXIT.ok;
    }
    const mode = command.mode === undefined ? {} : { mode: command.mode };
    const event = await client.request(
      command.action === "stop"
        ? { type: "meeting.stop", ...mode }
        : { type: "meetings.transcribe", meeting: command.meeting!, ...mode },
    );
    if (event.type !== "done" || !event.meetingTranscript) throw new Error(`${command.action} answered ${event.type}`);
    process.stdout.write(render(event.meetingTranscript, command));
    return EXIT.ok;
  } finally {
    client.close();
  }
}

async function start(command: MeetingCommand, paths: VerbatimPaths): Promise<number> {
  const sources: Record<MeetingTrackName, string[]> = {
    microphone: command.microphone === undefined ? [] : ["--device", command.microphone],
    system: systemAudioSource(command.system),
  };
  const client = await ensureDaemon(paths);
  try {
    const running = await status(client);
    const uncaptured =
      running?.state === "recording" ? TRACK_NAMES.filter((name) => !running.tracks[name].capturing) : [];
    let meeting: MeetingInfo;
    if (running && uncaptured.length > 0) {
      // A meeting whose capture process died (killed, its device gone) takes a new one where the old one stopped.
      meeting = running;
      for (const name of uncaptured) startCapture(meeting.tracks[name].id, sources[name], paths);
      process.stderr.write(
        `verbatim: meeting ${meeting.meeting} was recording without the ${uncaptured.join(" and the ")} track's ` +
          "capture process; started again\n",
      );
    } else {
      const event = await client.request({ type: "meeting.start" });
      if (event.type !== "done" || !event.meeting) throw new Error(`meeting.start answered ${event.type}`);
      meeting = event.meeting;
      for (const name of TRACK_NAMES) startCapture(meeting.tracks[name].id, sources[name], paths);
    }
    const silent = await untilCapturing(client);
    process.stdout.write(describe((await status(client)) ?? meeting));
    if (silent.length > 0) {
      process.stderr.write(
        `verbatim: no audio came for the ${silent.join(" and the ")} track yet; the meeting records what comes ` +
          `(see ${path.join(paths.logDir, "capture.log")} for why a capture process ended)\n`,
      );
    }
    return EXIT.ok;
  } finally {
    client.close();
  }
}

/**
 * The capture arguments that record the system's audio: the input named with --system; else on a Mac the Core Audio
 * tap (macOS 14.2 and later), and on Linux the one monitor source (PulseAudio and PipeWire name them "Monitor of ...").
 */
function systemAudioSource(named: string | undefined): string[] {
  if (named !== undefined) return ["--device", named];
  if (process.platform === "darwin") {
    const problem = systemTapProblem();
    if (problem) throw new UsageError(problem);
    return ["--system-tap"];
  }
  const monitors = listInputDevices().filter((name) => /^monitor of /i.test(name));
  if (monitors.length === 1) return ["--device", monitors[0]];
  throw new UsageError(
    monitors.length === 0
      ? "no monitor source records the system's audio (PulseAudio or PipeWire); name an input with --system NAME"
      : `more than one monitor source could record the system's audio; name one with --system NAME:\n` +
          monitors.map((name) => `  ${name}`).join("\n"),
  );
}

/** A detached capture process for a track (`source`: its device arguments), its messages in the log's capture.log. */
function startCapture(track: string, source: string[], paths: VerbatimPaths): void {
  mkdirSync(paths.logDir, { recursive: true });
  const log = openSync(path.join(paths.logDir, "capture.log"), "a");
  try {
    const args = [CAPTURE_ENTRY, "--meeting-track", track, ...source];
    spawn(process.execPath, args, { detached: true, stdio: ["ignore", "ignore", log] }).unref();
  } finally {
    closeSync(log);
  }
}

/** Waits until both tracks have a capture process sending audio; returns those that still have none. */
async function untilCapturing(client: DaemonClient): Promise<MeetingTrackName[]> {
  const deadline = Date.now() + CAPTURE_WAIT_MS;
  for (;;) {
    const meeting = await status(client);
    const silent = TRACK_NAMES.filter((name) => !meeting?.tracks[name].capturing || meeting.tracks[name].seconds === 0);
    if (silent.length === 0 || Date.now() > deadline) return silent;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function status(client: DaemonClient): Promise<MeetingInfo | undefined> {
  const event = await client.request({ type: "meeting.status" });
  return event.type === "done" ? event.meeting : undefined;
}

function describe(meeting: MeetingInfo): string {
  const track = (name: MeetingTrackName) => {
    const { seconds, capturing, file } = meeting.tracks[name];
    return `  ${name}: ${seconds.toFixed(1)} s, ${capturing ? "recording" : "no capture process"} (${file})\n`;
  };
  const speakers = meeting.speakersProblem ? `  live lines name no speakers: ${meeting.speakersProblem}\n` : "";
  const live = meeting.live.map((line) => `  [${meetingClock(line.start)}] ${line.speaker}: ${line.text}\n`).join("");
  return `Meeting ${meeting.meeting}, ${meeting.state} since ${meeting.startedAt}\n${track("microphone")}${track("system")}${speakers}${live}`;
}

function render(result: MeetingTranscriptData, { json, format }: MeetingCommand): string {
  if (json) return asJson(result);
  if (format)
    return formatTranscript(format, path.dirname(result.tracks.system), result.transcript, result.speakerNames);
  return asText(result);
}

function listed(meeting: MeetingRecord): string {
  const { microphone, system } = meeting.tracks;
  const why = meeting.error ? ` (${meeting.error}; verbatim meeting transcribe ${meeting.meeting})` : "";
  return (
    `${meeting.meeting}  ${meeting.state}${why}\n  microphone ${microphone.seconds.toFixed(1)} s, ` +
    `system ${system.seconds.toFixed(1)} s: ${meeting.folder}\n`
  );
}

function asText({ transcript, speakerNames, notes }: MeetingTranscriptData): string {
  const lines = transcriptLines(transcript, speakerNames);
  if (!notes) return lines;
  return `${lines}\nNotes (mode ${notes.mode}):\n${notes.text ?? `none: ${notes.notice}`}\n`;
}

function asJson({ meeting, transcript, speakerNames, tracks, echoWords, notes }: MeetingTranscriptData): string {
  const segments = transcript.segments.map((segment) => ({
    start: segment.start,
    end: segment.end,
    speaker: speakerNames[segment.speaker ?? 0],
    text: segment.text.trim(),
    words: (segment.words ?? []).map(({ word, start, end }) => ({ word, start, end })),
  }));
  const json = { meeting, segments, tracks, echoWords, text: transcript.text, ...(notes && { notes }) };
  return JSON.stringify(json, null, 2) + "\n";
}
