// Who feeds a dictation its audio, and noticing when nobody does any more: the client that started it (a "stream"
// dictation's sender, or the one that spawns a "capture" dictation's capture process) and every connection that sent
// it audio. Once all of them have disconnected, a dictation that gets no audio for a grace period has lost its source
// (its client was killed, its capture process never came) and must end, or it would hold the one dictation slot
// until maxDictationSeconds.
import type { DictationPeer } from "./session";

/** After its last source disconnects, how long a dictation waits for audio from a new one. */
export const SOURCE_SILENCE_MS = 3000;
/** The same for a "capture" dictation that has had no audio yet: its capture process may still be starting. */
export const CAPTURE_START_MS = 30_000;

export class AudioSources {
  private readonly peers = new Set<DictationPeer>();
  private heardAudio = false;
  private timer: NodeJS.Timeout | null = null;

  /**
   * `waitMs(heardAudio)`: the grace period once the last source is gone; `gone(ms)` runs when it passes without
   * audio (ms: the grace period that passed).
   */
  constructor(
    private readonly waitMs: (heardAudio: boolean) => number,
    private readonly gone: (ms: number) => void,
  ) {}

  /** `peer` feeds the dictation (it started it, or sent audio): while it is connected the source is there. */
  add(peer: DictationPeer): void {
    this.peers.add(peer);
    this.disarm();
  }

  /** Audio arrived from `peer`. */
  audio(peer: DictationPeer): void {
    this.heardAudio = true;
    this.add(peer);
  }

  /** `peer` disconnected. */
  left(peer: DictationPeer): void {
    if (!this.peers.delete(peer) || this.peers.size > 0 || this.timer) return;
    const ms = this.waitMs(this.heardAudio);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.gone(ms);
    }, ms);
    this.timer.unref();
  }

  /** The dictation ended: nothing more to watch. */
  close(): void {
    this.disarm();
    this.peers.clear();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
