// A live recognition session on a loaded model: push audio as it arrives, mark utterance ends, and receive
// committed text while the engine's thread works. Token ids become text here, from the model's vocabulary.
import type { RawStream, RawStreamEvent, RawUtterance } from "./addon";
import { typed, typedError } from "./errors";
import type { StreamEvent, StreamTranscript, StreamUtterance } from "./types";

/** The UTF-8 text of token ids, from the vocabulary's bytes (special and timestamp tokens have none). */
export class TokenText {
  constructor(private readonly vocabulary: readonly Uint8Array[]) {}

  bytes(tokens: readonly number[]): Uint8Array {
    const parts = tokens.map((token) => this.vocabulary[token] ?? new Uint8Array());
    const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
    let offset = 0;
    for (const part of parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }

  /** Complete characters only: a streaming decoder holds back an unfinished sequence at the end. */
  complete(tokens: readonly number[]): string {
    return new TextDecoder("utf-8", { ignoreBOM: true }).decode(this.bytes(tokens), { stream: true });
  }

  /** All of it; an unfinished character at the end becomes U+FFFD. */
  whole(tokens: readonly number[]): string {
    return new TextDecoder("utf-8", { ignoreBOM: true }).decode(this.bytes(tokens));
  }
}

export class StreamingSession {
  /** Settles when the session ends: the final transcript, or the error that ended it (CancelledError after cancel()). */
  readonly done: Promise<StreamTranscript>;
  private committed: number[] = [];
  private committedText = "";
  private utterance = 0;

  private readonly raw: RawStream;

  /** `start` starts the addon's stream with the handler of its events. */
  constructor(
    private readonly text: TokenText,
    private readonly onEvent: (event: StreamEvent) => void,
    start: (handle: (event: RawStreamEvent) => void) => RawStream,
  ) {
    this.raw = start((event) => this.handle(event));
    this.done = this.raw.promise.then(
      (result) => {
        const utterances = result.utterances.map((u) => this.finalUtterance(u));
        return { utterances, text: utterances.map((u) => u.text).join(" ") };
      },
      (error: unknown) => {
        const typedFailure = typedError(error);
        this.onEvent({ type: "error", error: typedFailure });
        throw typedFailure;
      },
    );
    this.done.catch(() => {}); // the error reaches onEvent; callers that await done see it too
  }

  /** Queues 16 kHz mono samples; returns at once. Throws InvalidArgumentError for non-finite samples, StreamClosedError after finish() or cancel(). */
  push(audio: Float32Array): void {
    typed(() => this.raw.push(audio));
  }

  /** The utterance ends after the audio pushed so far: its final text follows as an "utterance" event. */
  endUtterance(): void {
    this.raw.endUtterance();
  }

  /** No more audio: resolves with the whole final transcript once everything pushed is recognised. */
  finish(): Promise<StreamTranscript> {
    this.raw.finish();
    return this.done;
  }

  /** Stops at once; `done` rejects with CancelledError. */
  cancel(): void {
    this.raw.cancel();
  }

  /** Turns the addon's events into typed ones with text; runs on the JS thread, in order. */
  private handle(event: RawStreamEvent): void {
    if (event.type === "utterance") {
      this.onEvent({ type: "utterance", utterance: this.finalUtterance(event.utterance) });
      this.committed = [];
      this.committedText = "";
      this.utterance = event.utterance.index + 1;
      return;
    }
    this.committed.push(...event.committed);
    const committedText = this.text.complete(this.committed);
    const live = this.text.complete([...this.committed, ...event.tentative]);
    this.onEvent({
      type: "committed",
      utterance: this.utterance,
      tokens: event.committed,
      text: committedText.slice(this.committedText.length),
      tentativeTokens: event.tentative,
      tentativeText: live.slice(committedText.length),
      audioSeconds: event.audioSeconds,
    });
    this.committedText = committedText;
  }

  private finalUtterance(raw: RawUtterance): StreamUtterance {
    const textTokens = raw.segments.flatMap((segment) => segment.tokens);
    return {
      index: raw.index,
      start: raw.start,
      end: raw.end,
      segments: raw.segments,
      language: raw.language,
      text: this.text.whole(textTokens).trim(),
      liveText: this.text.whole(raw.liveTokens).trim(),
    };
  }
}
