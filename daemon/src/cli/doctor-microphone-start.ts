// `verbatim doctor`'s look at how long the microphone took to start in the latest dictation the daemon knows (its
// recorder reports it: capture/buffered-recording.ts). Speech in that time is lost whatever Verbatim does: a
// Bluetooth microphone takes half a second or more to start, a built-in or wired one a few tens of milliseconds.
import { tryConnect } from "../daemon-control";
import type { VerbatimPaths } from "../paths";
import type { DictationInfo } from "../protocol";
import { ok, warning, type Finding } from "./doctor-finding";

/** A microphone slower to start than this loses the first word of a sentence begun at the keypress. */
export const SLOW_MICROPHONE_START_MS = 150;

/** The latest dictation's microphone start, null when the daemon is not running or timed none since it started. */
export async function checkMicrophoneStart(paths: VerbatimPaths): Promise<Finding | null> {
  const client = await tryConnect(paths).catch(() => null);
  if (!client) return null;
  let dictations: DictationInfo[];
  try {
    const answer = await client.request({ type: "dictation.list" });
    dictations = answer.type === "done" ? (answer.dictations ?? []) : [];
  } catch {
    return null; // the daemon check says what is wrong with it
  } finally {
    client.close();
  }
  const timed = dictations
    .filter((dictation) => dictation.microphoneStartMs !== undefined)
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt))
    .at(-1);
  if (!timed) return null;
  const ms = Math.round(timed.microphoneStartMs!);
  const which = timed.device ? `the microphone (${timed.device})` : "the microphone";
  if (ms <= SLOW_MICROPHONE_START_MS) return ok("mic start", `${which} started in ${ms} ms in the last dictation`);
  return warning(
    "mic start",
    `${which} took ${ms} ms to start in the last dictation: what is said in that time after the hotkey is lost`,
    "a Bluetooth microphone starts slowly: dictate with the built-in or a wired one (inputDevice in config.json, " +
      "verbatim dictate --device NAME), or pause a moment after the hotkey",
  );
}
