// The last moments a microphone kept ready recorded (issue 61): its frames, each with the time it was read, in a ring
// that keeps only the newest `keepMs` of audio, so a microphone held open for minutes uses constant memory. A
// dictation that takes it gets the frames from its keypress on: the speech begun before the daemon had answered.

export interface TimedFrame {
  pcm: Uint8Array;
  /** When the frame was read (epoch ms): its audio ended at or before then. */
  readAt: number;
}

export class PreRoll {
  private readonly frames: (TimedFrame | undefined)[];
  private next = 0;

  /** Holds `keepMs` of audio in frames of `frameMs` (one frame more, so a full `keepMs` always reaches back). */
  constructor(keepMs: number, frameMs: number) {
    this.frames = new Array<TimedFrame | undefined>(Math.ceil(keepMs / frameMs) + 1);
  }

  push(pcm: Uint8Array, readAt: number): void {
    this.frames[this.next] = { pcm, readAt };
    this.next = (this.next + 1) % this.frames.length;
  }

  /** The frames held that were read after `since` (epoch ms), oldest first, and empties the ring. */
  takeSince(since: number): Uint8Array[] {
    const ordered = [...this.frames.slice(this.next), ...this.frames.slice(0, this.next)];
    this.frames.fill(undefined);
    this.next = 0;
    return ordered.filter((frame) => frame !== undefined && frame.readAt > since).map((frame) => frame!.pcm);
  }
}
