// The microphone settings config.json holds ("inputDevice", "keepMicrophoneReadyMinutes"), as the capture process
// reads them: without the daemon's config module, which loads most of the daemon. A config.json that cannot be used,
// or a setting that is not valid, means its default (the daemon reports such a config.json; service/config.ts holds
// the rules).
import { readConfigTextSync } from "../config-file/config-file-read";

function setting(configFile: string, key: string): unknown {
  try {
    const text = readConfigTextSync(configFile);
    return text === null ? undefined : (JSON.parse(text) as Record<string, unknown>)?.[key];
  } catch {
    return undefined; // unreadable or not JSON: the daemon says what is wrong with it
  }
}

/** The microphone to record: a name, part of one or an index; undefined: the system's input. */
export function configuredInputDevice(configFile: string): string | undefined {
  const value = setting(configFile, "inputDevice");
  return typeof value === "string" && value.trim().length > 0 ? value : undefined;
}

/**
 * Whether the microphone is kept ready after a dictation (the daemon writes the setting there as it changes it): when
 * not, a capture process closes it as soon as its dictation takes no more audio.
 */
export function keepsMicrophoneReady(configFile: string): boolean {
  const value = setting(configFile, "keepMicrophoneReadyMinutes");
  return typeof value === "number" && value > 0;
}
