// A microphone recording from the moment it opens: its frames are held in memory until `sendTo` says where they go
// (a dictation session, once the daemon has started it), then sent there, the held ones first. The capture process
// records so, and so does `verbatim dictate`, which opens the microphone as its first act (microphone-first.ts).
import type { Microphone } from "./microphone";

export class BufferedRecording {
  /** Settles when the recording ends: null once stopped, or the error that ended it (the microphone's, a send's). */
  readonly ended: Promise<unknown>;
  private readonly held: Uint8Array[] = [];
  private send: ((pcm: Uint8Array) => void) | null = null;

  constructor(private readonly microphone: Microphone) {
    this.ended = this.record().then(
      () => null,
      (error: unknown) => {
        microphone.stop();
        return error;
      },
    );
  }

  /** From now on every frame goes to `send`, the frames held so far first. A send that throws ends the recording. */
  sendTo(send: (pcm: Uint8Array) => void): void {
    for (const pcm of this.held.splice(0)) send(pcm);
    this.send = send;
  }

  /** Ends the recording where it is (what was read is sent, or held); `ended` then settles. */
  stop(): void {
    this.microphone.stop();
  }

  private async record(): Promise<void> {
    for await (const frame of this.microphone.frames()) {
      const pcm = new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength);
      if (this.send) this.send(pcm);
      else this.held.push(pcm);
    }
  }
}
