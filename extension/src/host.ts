// The host boundary: Raycast's preferences, LocalStorage, clipboard and commands, adapted to the extension's logic
// modules.
import {
  Clipboard,
  closeMainWindow,
  getFrontmostApplication,
  getPreferenceValues,
  launchCommand,
  LaunchType,
  LocalStorage,
} from "@raycast/api";
import os from "node:os";
import path from "node:path";
import { captureCommandProblem } from "./lib/capture-command";
import { startCapture } from "./lib/capture-process";
import { logFolder, socketPath, withConnection, type DaemonClient, type DaemonStatus } from "./lib/daemon-connection";
import { serviceDefinitionFile } from "./lib/daemon-setup";
import { JobStore, type KeyValueStorage } from "./lib/job-store";
import type { FinishedTextAction } from "./lib/outputs";
import { deliverText, type ClipboardOperations, type Delivery } from "./lib/paste-keeping-clipboard";
import { restoreDelayMs, type VerbatimPreferences } from "./lib/preferences";
import { DaemonService, execRunner } from "./lib/service-control";

const raycastStorage: KeyValueStorage = {
  getItem: (key) => LocalStorage.getItem<string>(key),
  setItem: (key, value) => LocalStorage.setItem(key, value),
};

export const preferences = () => getPreferenceValues<VerbatimPreferences>();
export const daemonSocket = () => socketPath(preferences().socketPath);
/** Runs one request (or a few) on a connection of its own: actions outlive the view that started them. */
export const withDaemon = <T>(use: (client: DaemonClient) => Promise<T>) => withConnection(daemonSocket(), use);
export const jobStore = () => new JobStore(raycastStorage);
export const daemonService = () => new DaemonService(os.userInfo().uid, serviceDefinitionFile(), execRunner);

/** The app the user was in (the history keeps it as a dictation's source); undefined when Raycast cannot tell. */
export async function frontmostAppName(): Promise<string | undefined> {
  try {
    return (await getFrontmostApplication()).name || undefined;
  } catch {
    return undefined;
  }
}

const raycastClipboard: ClipboardOperations = {
  read: () => Clipboard.read(),
  copy: (content, { concealed }) => Clipboard.copy(content, { concealed }),
  paste: (text) => Clipboard.paste(text),
  wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Pastes (into the app that was frontmost before Raycast) and/or copies the text, putting the clipboard back after a
 * paste as the Clipboard After Paste preference says. Every command inserts text through here.
 */
export async function insertText(text: string, action: FinishedTextAction): Promise<Delivery> {
  // With Raycast's window in front, the paste would land in Raycast itself.
  if (text && (action === "paste" || action === "both")) await closeMainWindow();
  return deliverText(text, action, raycastClipboard, restoreDelayMs(preferences()));
}

/**
 * Starts `verbatim capture` for the session as the daemon's status says, from Raycast's process so that macOS asks
 * for the microphone as Raycast, once it is checked to be Verbatim's own command. Resolves with why it failed (or
 * was refused), or null once it ended normally.
 */
export async function startMicrophoneCapture(session: string, status: DaemonStatus): Promise<string | null> {
  if (!status.capture) {
    return "this daemon does not say how to start the capture process: update Verbatim and restart the daemon";
  }
  const refused = captureCommandProblem(status.capture.command);
  if (refused) return refused;
  const capture = startCapture({
    command: status.capture.command,
    session,
    socket: daemonSocket(),
    logFile: path.join(logFolder(), "capture.log"),
  });
  const exit = await capture.exited;
  return exit.code === 0 ? null : exit.message;
}

/** Redraws the menu bar now (its own interval is a minute); quiet when it is not enabled. */
export async function refreshMenuBar(): Promise<void> {
  try {
    await launchCommand({ name: "verbatim", type: LaunchType.Background });
  } catch {
    // The menu-bar command is disabled: nothing to refresh.
  }
}
