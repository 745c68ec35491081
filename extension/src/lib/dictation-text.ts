// The live text of a dictation: per utterance, the committed text (appended, never taken back) until the
// utterance's final text replaces it; after the last utterance, the current tentative guess.
import type { Event } from "./daemon-connection";

export interface LiveText {
  /** Per utterance index: its final text once known, else its committed text so far. */
  utterances: { text: string; final: boolean }[];
  /** The guess after the committed text, replaced on every update. */
  tentative: string;
}

export const emptyLiveText = (): LiveText => ({ utterances: [], tentative: "" });

/** The live text after one of the dictation's events (others leave it as it was). */
export function applyTextEvent(live: LiveText, event: Event): LiveText {
  if (event.type === "dictation.committed") {
    const utterances = [...live.utterances];
    const current = utterances[event.utterance] ?? { text: "", final: false };
    // A late committed update for an utterance whose final text came already changes nothing but the guess.
    if (!current.final) utterances[event.utterance] = { text: current.text + event.text, final: false };
    return { utterances, tentative: event.tentativeText };
  }
  if (event.type === "dictation.utterance") {
    const utterances = [...live.utterances];
    utterances[event.index] = { text: event.text, final: true };
    // The guess belonged to this utterance when it was the last one; a later utterance's guess stays.
    const tentative = event.index >= utterances.length - 1 ? "" : live.tentative;
    return { utterances, tentative };
  }
  return live;
}

/** The settled text (committed and final, joined) and the tentative tail, each trimmed. */
export function liveTextParts(live: LiveText): { settled: string; tentative: string } {
  const settled = live.utterances
    .map((utterance) => (utterance ?? { text: "" }).text.trim())
    .filter(Boolean)
    .join(" ");
  return { settled, tentative: live.tentative.trim() };
}
