// A dictation's live text on a terminal, redrawn in place: final and committed text in normal type, the current
// guess dimmed, after a one-character level meter.
import type { Event } from "../protocol";
import { TextSoFar } from "./text-so-far";

const METER = "▁▂▃▄▅▆▇█";
const DIM = "\x1b[2m";
const RESET = "\x1b[0m";

export class LiveText {
  private readonly settled = new TextSoFar();
  private tentative = "";
  private level = 0;
  private rows = 0;

  constructor(private readonly out: NodeJS.WriteStream) {}

  show(event: Event): void {
    this.settled.push(event);
    if (event.type === "dictation.committed") {
      this.tentative = event.tentativeText;
    } else if (event.type === "dictation.utterance") {
      this.tentative = "";
    } else if (event.type === "dictation.level") {
      this.level = event.peak;
    } else if (event.type === "dictation.microphone_silent" || event.type === "notice") {
      this.clear();
      this.out.write(`verbatim: ${event.message}\n`);
    } else {
      return;
    }
    this.draw();
  }

  /** Removes the live text (before the final text is printed). */
  clear(): void {
    this.out.write(this.erase());
    this.rows = 0;
  }

  private draw(): void {
    const meter = METER[Math.min(METER.length - 1, Math.floor(this.level * METER.length))];
    const text = this.settled.text;
    const tentative = this.settled.guessAfter(this.tentative);
    const width = 2 + [...text].length + [...tentative].length;
    this.out.write(`${this.erase()}${meter} ${text}${DIM}${tentative}${RESET}`);
    this.rows = Math.max(1, Math.ceil(width / (this.out.columns || 80)));
  }

  /** Moves to the start of what was drawn and clears to the end of the screen. */
  private erase(): string {
    if (this.rows === 0) return "";
    return `\r${this.rows > 1 ? `\x1b[${this.rows - 1}A` : ""}\x1b[J`;
  }
}
