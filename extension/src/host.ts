// The host boundary: Raycast's preferences, LocalStorage, clipboard and commands, adapted to the extension's logic
// modules.
import {
  AI,
  Clipboard,
  closeMainWindow,
  environment,
  getFrontmostApplication,
  getPreferenceValues,
  getSelectedText,
  launchCommand,
  LaunchType,
  LocalStorage,
} from "@raycast/api";
import { runAppleScript } from "@raycast/utils";
import os from "node:os";
import path from "node:path";
import { openMicrophone, type MicrophoneCapture } from "./lib/capture-process";
import { logFolder, socketPath, withConnection, type DaemonClient, type DaemonStatus } from "./lib/daemon-connection";
import { serviceDefinitionFile } from "./lib/daemon-setup";
import { keepReadyChange } from "./lib/dictation-start";
import type { Ask } from "./lib/ai-finishing";
import { JobStore, type KeyValueStorage } from "./lib/job-store";
import type { MeetingCaptureSetup } from "./lib/meeting";
import type { DeliveryPlan } from "./lib/modes";
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

/** The frontmost app's name (kept in the history) and bundle id (which chooses the dictation's mode). */
export async function frontmostApp(): Promise<{ name?: string; bundleId?: string }> {
  try {
    const app = await getFrontmostApplication();
    return { name: app.name || undefined, bundleId: app.bundleId || undefined };
  } catch {
    return {};
  }
}

/**
 * The text selected in the frontmost app, for a mode that uses it (lib/selection.ts); null when nothing is selected
 * or Raycast cannot read it (getSelectedText throws then): a dictation starts without it.
 */
export async function selectedText(): Promise<string | null> {
  try {
    return (await getSelectedText()) || null;
  } catch {
    return null;
  }
}

/** Whether this Raycast account may use Raycast AI (Raycast Pro, or AI for a team). */
export const canUseRaycastAI = () => environment.canAccess(AI);

/**
 * Raycast's AI.ask as the finishing module takes it (null without access): low creativity, for a rewrite, and
 * aborted at the finishing's time limit. The prompt goes to Raycast's cloud service.
 */
export function raycastAsk(): Ask | null {
  if (!canUseRaycastAI()) return null;
  return (prompt, signal) => AI.ask(prompt, { creativity: "low", signal });
}

const raycastClipboard: ClipboardOperations = {
  read: () => Clipboard.read(),
  copy: (content, { concealed }) => Clipboard.copy(content, { concealed }),
  paste: (text) => Clipboard.paste(text),
  wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  // Return (key code 36) in the frontmost app, through System Events: Raycast asks once for the Accessibility
  // permission macOS requires for it. A moment first, so the app has taken the paste.
  pressReturn: async () => {
    await new Promise((resolve) => setTimeout(resolve, 100));
    await runAppleScript('tell application "System Events" to key code 36');
  },
};

/**
 * Pastes (into the app that was frontmost before Raycast) and/or copies the text, putting the clipboard back after a
 * paste as the Clipboard After Paste preference says. Every command inserts text through here.
 */
export async function insertText(text: string, action: FinishedTextAction, pressReturn = false): Promise<Delivery> {
  // With Raycast's window in front, the paste would land in Raycast itself.
  if (text && (action === "paste" || action === "both")) await closeMainWindow();
  return deliverText(text, action, raycastClipboard, restoreDelayMs(preferences()), pressReturn);
}

/** Delivers a dictation's text as its mode's plan says (deliveryPlan). */
export const deliverPlanned = (text: string, plan: DeliveryPlan) => insertText(text, plan.action, plan.pressReturn);

/**
 * Starts the capture process the daemon's status names, for a dictation about to start, from Raycast's process so
 * that macOS asks for the microphone as Raycast, once it is checked to be Verbatim's own command.
 */
export function openMicrophoneCapture(status: DaemonStatus): MicrophoneCapture {
  return openMicrophone({ status, socket: daemonSocket(), logFile: path.join(logFolder(), "capture.log") });
}

/** Where Record Meeting's capture processes go and what they record: the system's audio from its preference. */
export function meetingCaptureSetup(): MeetingCaptureSetup {
  return {
    socket: daemonSocket(),
    logFile: path.join(logFolder(), "capture.log"),
    system: preferences().systemAudioDevice,
  };
}

/**
 * Sets the daemon's keepMicrophoneReadyMinutes to the Keep Microphone Ready preference when they differ (before a
 * dictation starts, so that its capture process stays ready after it); a daemon that refuses it is left as it is.
 */
export function applyKeepMicrophoneReady(client: DaemonClient, status: DaemonStatus): void {
  const minutes = keepReadyChange(preferences().keepMicrophoneReady, status);
  if (minutes !== null) void client.request({ type: "dictation.keepReady", minutes }).catch(() => undefined);
}

/** Redraws the menu bar now (its own interval is a minute); quiet when it is not enabled. */
export async function refreshMenuBar(): Promise<void> {
  try {
    await launchCommand({ name: "verbatim", type: LaunchType.Background });
  } catch {
    // The menu-bar command is disabled: nothing to refresh.
  }
}
