// A dictation's text as far as it got, from its events: each ended utterance's final text, then what is committed
// of the open one. What a dictation that ended without its final pass (cancelled elsewhere, the daemon gone) leaves.
import type { Event } from "../protocol";

export class TextSoFar {
  private readonly finals: string[] = [];
  private committed = "";

  push(event: Event): void {
    if (event.type === "dictation.committed") {
      this.committed += event.text;
    } else if (event.type === "dictation.utterance") {
      if (event.text) this.finals.push(event.text);
      this.committed = "";
    }
  }

  get text(): string {
    return [...this.finals, this.committed.trim()].filter(Boolean).join(" ");
  }
}
