// The microphone kept ready between dictations (keepMicrophoneReadyMinutes, issue 61): a capture process whose
// dictation ended keeps its microphone open and offers it here (dictation.ready), holding the last moments it heard
// (capture/pre-roll.ts). The next dictation of the same device is handed to it with its keypress time, so a sentence
// begun before the daemon answered is recorded whole. The daemon never opens the microphone itself: on macOS only a
// process Raycast or a terminal started records as that app. One is kept at a time (one dictation runs at a time);
// it is released (answered `done`, and it closes the microphone) when the minutes pass unused or the setting goes off.
import type { Logger } from "../service/logger";
import type { DictationPeer } from "./session";

/**
 * Audio from this long before the keypress time a starter sends goes into the dictation: its process starts a few to
 * tens of ms after the key (the shell's or Raycast's launch), and a frame is timed by when it was read, after its audio.
 */
export const BEFORE_PRESS_MS = 100;

/** A capture process that offered its open microphone, under its dictation.ready request. */
export interface ReadyCapture {
  peer: DictationPeer;
  requestId: string;
  /** The device it records, as its command line named it (absent: the configured one). */
  device: string | undefined;
}

export class ReadyMicrophone {
  private waiting: { capture: ReadyCapture; timer: NodeJS.Timeout } | null = null;

  constructor(
    private minutes: number,
    private readonly log: Logger,
  ) {}

  /** keepMicrophoneReadyMinutes as it now is. */
  get keepMinutes(): number {
    return this.minutes;
  }

  /** Whether a capture process is kept ready now. */
  get ready(): boolean {
    return this.waiting !== null;
  }

  /** The setting changed: at 0 the one kept ready is released (its microphone closes). */
  setMinutes(minutes: number): void {
    this.minutes = minutes;
    if (minutes === 0) this.release("keepMicrophoneReadyMinutes was set to 0");
  }

  /** A capture process offers its open microphone: kept for the minutes set (an earlier one is released), or refused. */
  offer(capture: ReadyCapture): void {
    if (this.minutes === 0) {
      capture.peer.send({ type: "done", id: capture.requestId });
      return;
    }
    this.release("another capture process is ready");
    const minutes = this.minutes;
    const timer = setTimeout(() => this.release(`unused for ${minutes} min`), minutes * 60_000);
    timer.unref();
    this.waiting = { capture, timer };
    this.log.info("microphone kept ready", { device: capture.device ?? "configured", minutes });
  }

  /** The capture process kept ready for `device` (as a dictation.start names it), now handed a dictation; or null. */
  take(device: string | undefined): ReadyCapture | null {
    const capture = this.waiting?.capture;
    if (!capture || (capture.device ?? "") !== (device ?? "")) return null;
    clearTimeout(this.waiting!.timer);
    this.waiting = null;
    return capture;
  }

  /** Whether `peer` is the capture process kept ready (its connection is not idle). */
  holds(peer: DictationPeer): boolean {
    return this.waiting?.capture.peer === peer;
  }

  /** `peer` disconnected: a capture process kept ready that ended (the microphone failed, it was killed) is gone. */
  left(peer: DictationPeer): void {
    if (!this.holds(peer)) return;
    clearTimeout(this.waiting!.timer);
    this.waiting = null;
    this.log.info("microphone kept ready ended by itself");
  }

  private release(why: string): void {
    if (!this.waiting) return;
    const { capture, timer } = this.waiting;
    clearTimeout(timer);
    this.waiting = null;
    capture.peer.send({ type: "done", id: capture.requestId });
    this.log.info("microphone kept ready released", { why });
  }
}
