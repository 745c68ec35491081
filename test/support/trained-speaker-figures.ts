// What the trained speaker fixture (test/fixtures/models/diarization-trained) measured on the held-out conversations
// (test/fixtures/conversations/), and the bounds every e2e suite holds it to, computed from these figures and the
// margins below. When the model is retrained, the figures transcribe-speakers.test.ts prints go here (and in the table
// of test/fixtures/models/README.md), and every suite's bound follows.

/** When the figures were measured, and of which export of the model (test/fixtures/models/README.md). */
export const MEASURED_ON = "2026-11-28, the export of 12:05 (README)";

interface Measured {
  /** Diarization error rate of the engine's segments against the RTTM (no collar, overlap scored), a fraction. */
  der: number;
  /** Words of the daemon's `--speakers auto` transcript given the right speaker, of `words`. */
  wordsRight: number;
  words: number;
}

const MEASURED: Record<string, Measured> = {
  "test-2spk-000": { der: 0.007, wordsRight: 30, words: 30 },
  "test-2spk-001-overlap": { der: 0.02, wordsRight: 7, words: 8 },
  "test-3spk-000": { der: 0.213, wordsRight: 11, words: 11 }, // two of its three speakers found
  "test-3spk-001-overlap": { der: 0.099, wordsRight: 5, words: 5 },
  "test-4spk-000": { der: 0.294, wordsRight: 17, words: 20 },
  "test-4spk-001-overlap": { der: 0.203, wordsRight: 19, words: 19 },
};

/**
 * DER a build may add. The engine is within 1e-4 of transformers' probabilities, so where floating point differs
 * segments move a frame or two each side of ~10 turns: under 2% of 9 to 16 s of speech.
 */
export const DER_MARGIN = 0.05;

/** Words a build may give another speaker: the fixture Whisper model's word times move with the build. */
export const WORDS_MARGIN = 2;

export const measuredConversations = Object.keys(MEASURED);

/** The most DER and the least share of words with the right speaker the trained model may give on `conversation`. */
export function trainedSpeakerBounds(conversation: string): { maxDer: number; minWordAccuracy: number } {
  const measured = MEASURED[conversation];
  if (!measured) throw new Error(`no figures measured for ${conversation} (test/support/trained-speaker-figures.ts)`);
  return {
    maxDer: measured.der + DER_MARGIN,
    minWordAccuracy: (measured.wordsRight - WORDS_MARGIN) / measured.words,
  };
}
