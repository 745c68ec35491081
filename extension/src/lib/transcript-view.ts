// The markdown the Transcribe commands' Detail view shows: one section per file, text as it arrives.
import path from "node:path";
import { formatTranscript } from "../verbatimd/formats";
import { hasSpeakers, speakerLabel, speakerTurns } from "../verbatimd/speaker-turns";
import type { FileTranscription } from "./transcription";

const STAGE_NAMES: Record<string, string> = {
  queued: "Waiting for the daemon",
  download: "Downloading the model",
  loading: "Loading the model",
  decoding: "Reading the audio",
  detecting: "Finding the speech",
  transcribing: "Transcribing",
  speakers: "Telling speakers apart",
};

/** "Transcribing 42%" and the like, for a section heading and the toast. */
export function progressLabel(state: FileTranscription): string {
  if (state.status === "done") return "Done";
  if (state.status === "failed") return "Failed";
  if (state.status === "queued" && !state.stage) return "Queued";
  const stage = STAGE_NAMES[state.stage ?? "transcribing"] ?? "Transcribing";
  return state.fraction === null ? stage : `${stage} ${Math.round(state.fraction * 100)}%`;
}

// Markdown would read a leading "#", "-" or "1." in spoken text as structure.
export const escapeMarkdown = (text: string) =>
  text.replace(/([\\`*_[\]<>#|])/g, "\\$1").replace(/^(\s*)([-+]|\d+\.)\s/gm, "$1\\$2 ");

function body(state: FileTranscription): string {
  if (state.status === "failed") return `**Could not transcribe this file.** ${escapeMarkdown(state.error ?? "")}`;
  // A transcript with speakers: a paragraph per turn, the speaker's name first.
  if (state.transcript && hasSpeakers(state.transcript.segments)) {
    return speakerTurns(state.transcript.segments)
      .map((turn) => `**${speakerLabel(turn.speaker)}:** ${escapeMarkdown(turn.text)}`)
      .join("\n\n");
  }
  const text = state.segments
    .map((segment) => segment.text.trim())
    .join(" ")
    .trim();
  const provisional = state.provisional.trim();
  const parts = [text && escapeMarkdown(text), provisional && `*${escapeMarkdown(provisional)}*`].filter(Boolean);
  if (parts.length > 0) return parts.join(" ");
  return state.status === "done" ? "*No speech found.*" : "*Waiting for the first words…*";
}

export function transcriptMarkdown(states: FileTranscription[]): string {
  if (states.length === 0) return "Nothing to transcribe.";
  return states
    .map((state) => {
      const heading = states.length > 1 ? `## ${escapeMarkdown(path.basename(state.file))}\n\n` : "";
      const status = state.status === "done" ? "" : `_${progressLabel(state)}_\n\n`;
      const notices = state.notices.map((notice) => `> ${escapeMarkdown(notice)}\n\n`).join("");
      return `${heading}${status}${notices}${body(state)}\n`;
    })
    .join("\n");
}

/** The text every finished file gave, in order (what Copy and Paste use): with speakers, a "Speaker N: " line a turn. */
export function finishedText(states: FileTranscription[]): string {
  return states
    .filter((state) => state.transcript)
    .map((state) => formatTranscript("text", state.file, state.transcript!).trim())
    .join("\n\n");
}

/** One line for the toast: how far the whole batch has come. */
export function overallProgress(states: FileTranscription[]): string {
  const done = states.filter((state) => state.status === "done" || state.status === "failed").length;
  const current = states.find((state) => state.status === "running");
  if (states.length === 0) return "Nothing to transcribe";
  if (done === states.length) return `Transcribed ${states.length} file${states.length === 1 ? "" : "s"}`;
  const prefix = states.length > 1 ? `${done + 1} of ${states.length}: ` : "";
  return prefix + (current ? progressLabel(current) : "Queued");
}
