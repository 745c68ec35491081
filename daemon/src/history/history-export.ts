// The whole history as one document: JSON (every field, segments included) or Markdown (one section per
// transcript, newest first, for reading or pasting into notes; a transcript with speakers one line per turn, each
// speaker by the name the user gave, else "Speaker N").
import type { HistoryEntryDetail, HistoryExportFormat } from "../protocol";
import { speakerLabel, speakerTurns } from "../speakers/speaker-turns";

export function exportHistory(entries: HistoryEntryDetail[], format: HistoryExportFormat): string {
  if (format === "json") return JSON.stringify({ entries }, null, 2) + "\n";
  const sections = entries.map((entry) => {
    const facts = [
      sourceOf(entry) + (entry.app ? ` in ${entry.app}` : ""),
      formatDuration(entry.durationSeconds),
      entry.language,
      entry.model,
      entry.recording ? `recording: ${entry.recording}` : null,
    ].filter((fact): fact is string => Boolean(fact));
    const spoken = entry.speakers === undefined ? `${entry.text || "(no speech)"}\n` : turnLines(entry);
    const text = entry.finishedText
      ? `${entry.finishedText}\n\n_Spoken (mode ${entry.mode ?? "?"}, finished by ${entry.finishing ?? "?"}):_\n\n${spoken}`
      : spoken;
    return `## ${entry.createdAt} (#${entry.id})\n\n_${facts.join(" · ")}_\n\n${text}`;
  });
  return ["# Verbatim transcripts\n", ...sections].join("\n");
}

/** "Dictation", "File NAME", "Meeting FOLDER". */
function sourceOf(entry: HistoryEntryDetail): string {
  if (entry.kind === "dictation") return "Dictation";
  return `${entry.kind === "meeting" ? "Meeting" : "File"} ${entry.sourceFile ?? ""}`.trim();
}

/** One Markdown paragraph per turn: the speaker's name in bold, then what they said. */
function turnLines(entry: HistoryEntryDetail): string {
  const turns = speakerTurns(entry.segments);
  if (turns.length === 0) return "(no speech)\n";
  return turns.map((turn) => `**${speakerLabel(turn.speaker, entry.speakerNames)}:** ${turn.text}\n`).join("\n");
}

function formatDuration(seconds: number): string {
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  return minutes > 0 ? `${minutes} min ${whole % 60} s` : `${whole} s`;
}
