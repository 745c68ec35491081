// What a recording reads from: the microphone (microphone.ts) or, on a Mac, the system's audio output through a Core
// Audio tap (system-audio-tap.ts).

export interface AudioSource {
  /** When it began to open (performance.now()). */
  readonly openedAt: number;
  /** 16 kHz mono 16-bit frames as they are recorded, until stop(); a source that fails ends it with an error. */
  frames(): AsyncGenerator<Int16Array>;
  stop(): void;
}
