// Where utterances end within a dictation: after enough non-speech following speech, as the voice activity
// detector hears it (audio/voice-activity.ts), or only when the dictation stops.
import { createVoiceActivityDetector, UtteranceSegmenter } from "../audio/voice-activity";

export interface UtteranceEnds {
  /** Looks at the next chunk of 16 kHz PCM; answers the utterance ends it completed, as samples since the start. */
  push(pcm: Int16Array): Promise<number[]>;
}

/** No utterance ends before the dictation stops. */
export const endOnStopOnly: UtteranceEnds = { push: () => Promise.resolve([]) };

/**
 * An utterance ends once `silenceSeconds` of non-speech follow speech. A detector that cannot be made (or fails)
 * is reported through `notice` and leaves the dictation going with one utterance up to the stop: nothing is lost.
 */
export function endOnSilence(silenceSeconds: number, notice: (message: string) => void): UtteranceEnds {
  let segmenter: Promise<UtteranceSegmenter | null> = createVoiceActivityDetector().then(
    ({ detector, notice: why }) => {
      if (why) notice(why);
      return new UtteranceSegmenter(detector, silenceSeconds);
    },
    (error: unknown) => {
      notice(`No voice activity detector could be loaded (${(error as Error).message}); utterances end on stop.`);
      return null;
    },
  );
  return {
    async push(pcm) {
      const current = await segmenter;
      if (!current) return [];
      try {
        return (await current.push(pcm)).map((end) => end.speechEndSample);
      } catch (error) {
        notice(`The voice activity detector failed (${(error as Error).message}); utterances end on stop.`);
        segmenter = Promise.resolve(null);
        return [];
      }
    },
  };
}
