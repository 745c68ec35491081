// Where utterances end within a dictation: the seam for a voice activity detector (see audio/voice-activity.ts).
// Until one is plugged in, an utterance ends only when the dictation stops.

export interface UtteranceEnds {
  /** Looks at the next chunk of 16 kHz PCM; answers the utterance ends it completed, as samples since the start. */
  push(pcm: Int16Array): Promise<number[]>;
}

/** No utterance ends before the dictation stops. */
export const endOnStopOnly: UtteranceEnds = { push: () => Promise.resolve([]) };
