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

  /** The current guess as it reads after `text`: a space between them where the settled text ends at a word break
   * (committed text with replacements ends in one and its guess starts without; without them the guess brings its
   * own), none where the guess may finish the last committed word. */
  guessAfter(tentative: string): string {
    if (!this.text) return tentative.trimStart();
    const atWordBreak = this.committed === "" || /\s$/.test(this.committed);
    return atWordBreak && !/^\s/.test(tentative) ? ` ${tentative}` : tentative;
  }
}
