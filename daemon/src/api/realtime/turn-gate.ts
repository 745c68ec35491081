// Turns of a Realtime transcription session, as the speech gate of its dictation: the dictation speech gate
// (dictation/speech-gate.ts), so only speech reaches the decoder and audio without speech is no turn at all. With
// server VAD a turn begins prefix_padding_ms before the speech the detector hears and ends silence_duration_ms after
// it; the client's commits and clears end one at the audio sent before them. Each turn is one utterance of the
// dictation, decoded on its own audio, so the dictation's n-th utterance is the n-th turn.
import type { VoiceActivityDetector } from "../../audio/voice-activity";
import { SPEECH_RUNS } from "../../audio/speech-runs";
import { DetectedSpeechGate, type GateStep, type SpeechGate } from "../../dictation/speech-gate";
import type { ServerVadSettings } from "./session-config";

export type TurnEnd = "vad" | "commit" | "clear";

export interface TurnListener {
  /** Speech was heard: its turn's audio begins at this sample of the dictation. */
  turnStarted(sample: number): void;
  /** A turn ended at this sample: the VAD's silence after its speech, or the client's commit or clear. */
  turnEnded(sample: number, cause: TurnEnd): void;
  /** A commit or clear found no speech since the last turn: nothing was ended. */
  nothingToEnd(cause: Exclude<TurnEnd, "vad">): void;
  /** The voice activity detector failed or could not be had: from then on all audio is decoded. */
  notice(message: string): void;
}

/** Stands in for a detector that could not be loaded: its first frame fails, so the gate decodes all and says why. */
class UnavailableDetector implements VoiceActivityDetector {
  readonly name = "none";
  readonly frameSamples = 512;

  constructor(private readonly why: Error) {}

  speechProbability(): Promise<number> {
    return Promise.reject(this.why);
  }
}

export class TurnGate implements SpeechGate {
  /** Turns end by the client or the VAD's silence setting; no auto-stop. */
  readonly silenceAfterSpeech = null;
  private readonly ready: Promise<DetectedSpeechGate>;
  private gate: DetectedSpeechGate | null = null;
  private received = 0;
  private readonly requests: Array<{ cause: Exclude<TurnEnd, "vad">; at: number }> = [];

  /** `vad` null: no server VAD, turns end only when the client commits. */
  constructor(
    detector: Promise<VoiceActivityDetector>,
    vad: ServerVadSettings | null,
    private readonly listener: TurnListener,
  ) {
    this.ready = detector
      .catch((error: unknown) => new UnavailableDetector(error as Error))
      .then((ready) => {
        this.gate = new DetectedSpeechGate(
          ready,
          vad ? vad.silence_duration_ms / 1000 : 0,
          (error) =>
            listener.notice(
              `the voice activity detector failed (${error.message}); the rest of the Realtime session is transcribed, silence included`,
            ),
          {
            paddingSeconds: vad ? vad.prefix_padding_ms / 1000 : SPEECH_RUNS.marginSeconds,
            threshold: vad?.threshold ?? SPEECH_RUNS.probability,
            opened: (from) => listener.turnStarted(from),
            closed: (at) => listener.turnEnded(at, "vad"),
          },
        );
        return this.gate;
      });
  }

  /** The client's commit or clear, made after the dictation had `at` samples: it ends the turn there. */
  request(cause: Exclude<TurnEnd, "vad">, at: number): void {
    this.requests.push({ cause, at });
  }

  async push(pcm: Int16Array): Promise<GateStep[]> {
    const gate = await this.ready;
    const steps = await gate.push(pcm);
    this.received += pcm.length;
    while (this.requests.length > 0 && this.requests[0].at <= this.received) {
      const { cause } = this.requests.shift()!;
      if (gate.cut(steps)) this.listener.turnEnded(this.received, cause);
      else {
        if (cause === "clear") gate.drop();
        this.listener.nothingToEnd(cause);
      }
    }
    return steps;
  }

  finish(): GateStep[] {
    return this.gate?.finish() ?? [];
  }
}
