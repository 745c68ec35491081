// What the Dictate view shows for a dictation's state: the live text (the tentative tail quieter, in italics), a
// level meter, the elapsed time and the model, and the screens for a silent microphone and a recovered dictation.
import path from "node:path";
import type { DictationState } from "./dictation-session";
import { liveTextParts } from "./dictation-text";
import { escapeMarkdown } from "./transcript-view";

export const MICROPHONE_SETTINGS_URL = "x-apple.systempreferences:com.apple.preference.security?Privacy_Microphone";

/**
 * Toggle Dictation's word for a microphone that gave only silence: on a first run macOS may be asking for access right
 * now, so the dictation goes on (the first sound clears it) instead of ending and covering the prompt with Settings.
 */
export const MICROPHONE_SILENT_HUD =
  "Verbatim hears only silence: if macOS asks, allow Raycast the microphone (else System Settings → Privacy & " +
  "Security → Microphone). Still listening…";

/** Canceling a dictation longer than this asks first. */
export const CONFIRM_CANCEL_AFTER_SECONDS = 5;

const METER_CELLS = 12;
const METER_FLOOR_DB = -60;

/** The input level as a bar of cells, on a decibel scale (speech sits around -30 to -10 dBFS). */
export function levelMeter(level: { peak: number } | null): string {
  const peak = level?.peak ?? 0;
  const db = peak > 0 ? 20 * Math.log10(peak) : METER_FLOOR_DB;
  const filled = Math.round(Math.min(1, Math.max(0, 1 - db / METER_FLOOR_DB)) * METER_CELLS);
  return "▮".repeat(filled) + "▯".repeat(METER_CELLS - filled);
}

/** 0:07, 1:42, 12:05. */
export function elapsed(seconds: number): string {
  const whole = Math.floor(seconds);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

/** A model id as a person reads it: a local folder by its name. */
export function modelName(id: string | null): string {
  if (!id) return "the daemon's model";
  return path.isAbsolute(id) ? path.basename(id) : id;
}

export function wordCount(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/** "1 word", "12 words". */
export function wordsIn(text: string): string {
  const count = wordCount(text);
  return `${count} word${count === 1 ? "" : "s"}`;
}

/** The final text when there is one, else what the live text shows now. */
export function dictatedText(state: DictationState): string {
  if (state.transcript) return state.transcript.text.trim();
  const { settled, tentative } = liveTextParts(state.text);
  return [settled, tentative].filter(Boolean).join(" ");
}

const STATUS_LINES: Record<DictationState["phase"], string> = {
  connecting: "Connecting to Verbatim…",
  starting: "Starting…",
  recording: "Listening — press Enter to insert the text",
  stopping: "Finishing the text…",
  done: "Done",
  canceled: "Canceled",
  error: "Stopped",
};

function statusLine(state: DictationState): string {
  if (state.phase === "recording" && state.model.loading) {
    return `Loading ${modelName(state.model.id)}… recording already runs; the text follows once the model is ready`;
  }
  if (state.phase === "done" && state.origin === "recover") {
    return "Recovered: this dictation finished while Raycast was closed";
  }
  return STATUS_LINES[state.phase];
}

/**
 * The Detail view's markdown: status line (`status` instead of the phase's, such as Raycast AI finishing the text),
 * then the settled text and the tentative tail in italics.
 */
export function dictationMarkdown(state: DictationState, status?: string | null): string {
  const lines = [`_${escapeMarkdown(status ?? statusLine(state))}_`, ""];
  if (state.error) lines.push(`**${escapeMarkdown(state.error.message)}**`, "");
  if (state.transcript) {
    lines.push(escapeMarkdown(state.transcript.text.trim()) || "*No speech detected.*");
  } else {
    const { settled, tentative } = liveTextParts(state.text);
    const parts = [settled && escapeMarkdown(settled), tentative && `*${escapeMarkdown(tentative)}*`].filter(Boolean);
    if (parts.length > 0) lines.push(parts.join(" "));
    else if (state.phase === "recording") lines.push("*Speak now…*");
  }
  return lines.join("\n") + "\n";
}

/** The screen for a microphone that gives only silence: Raycast has no microphone permission. */
export function microphoneSilentMarkdown(daemonMessage: string): string {
  return `# Raycast Needs Microphone Access

Verbatim records through Raycast, and the microphone gave only silence: macOS is not letting Raycast hear it.

1. Open **System Settings → Privacy & Security → Microphone** (the action below goes there).
2. Turn on **Raycast**. If it is not listed, quit and reopen Raycast, then start Dictate again: macOS asks then.
3. Start Dictate again.

> ${escapeMarkdown(daemonMessage)}
`;
}
