// A transducer model's transcript (Parakeet's, Nemotron's: words with their pieces' times and probabilities) as
// segments in the engine's shape, as openai's verbose_json reports them.
import { deflateSync } from "node:zlib";
import type { ParakeetTranscript, Segment } from "@verbatim/native";
import type { SegmentData } from "../protocol";
import type { WindowPlace } from "./family";

/** A pause this long between words, or a word ending a sentence, closes a segment. */
const SEGMENT_PAUSE_SECONDS = 1.0;
const SENTENCE_END = /[.!?…。！？]$/;
/** Mel frames a second (openai's `seek` unit, which verbose_json reports for every model). */
const FRAMES_PER_SECOND = 100;

/**
 * The transcript's words in segments, placed `place.offset` seconds into the file and ending by `place.end`: a new
 * segment after a sentence's end or a pause. Each comes with a segment in the engine's shape (its token ids, average
 * log-probability and compression ratio, as openai's verbose_json reports them). `withWords`: the job asked for them.
 */
export function transducerSegments(
  transcript: ParakeetTranscript,
  place: WindowPlace,
  withWords: boolean,
): Array<{ segment: SegmentData; decoded: Segment }> {
  const within = (seconds: number) => Math.min(seconds + place.offset, place.end);
  const probabilities = tokenProbabilities(transcript);
  const segments: Array<{ segment: SegmentData; decoded: Segment }> = [];
  let words: ParakeetTranscript["words"] = [];
  const close = () => {
    if (words.length === 0) return;
    const text = words.map((word) => word.text).join(" ");
    const start = within(words[0].start);
    const end = within(words[words.length - 1].end);
    const tokens = words.flatMap((word) => word.tokens);
    const segment: SegmentData = { start, end, text };
    if (withWords) {
      segment.words = words.map((w) => ({
        word: ` ${w.text}`,
        start: within(w.start),
        end: within(w.end),
        probability: w.probability,
      }));
    }
    segments.push({
      segment,
      decoded: {
        seek: Math.round(start * FRAMES_PER_SECOND),
        start,
        end,
        tokens,
        temperature: 0,
        avgLogprob: averageLogprob(words.flatMap((word) => probabilities.get(word) ?? [])),
        compressionRatio: compressionRatio(text),
        noSpeechProb: 0,
      },
    });
    words = [];
  };
  for (const word of transcript.words) {
    const previous = words[words.length - 1];
    if (previous && word.start - previous.end >= SEGMENT_PAUSE_SECONDS) close();
    words.push(word);
    if (SENTENCE_END.test(word.text)) close();
  }
  close();
  return segments;
}

/**
 * The probability of each word's tokens: a word's tokens are the next ones in the transcript's with its ids (tokens
 * that made no word, a lone "▁", are passed over).
 */
function tokenProbabilities(transcript: ParakeetTranscript): Map<ParakeetTranscript["words"][number], number[]> {
  const byWord = new Map<ParakeetTranscript["words"][number], number[]>();
  let cursor = 0;
  for (const word of transcript.words) {
    const matches = (at: number) => word.tokens.every((id, i) => transcript.tokens[at + i]?.id === id);
    let at = cursor;
    while (at < transcript.tokens.length && !matches(at)) at++;
    if (at >= transcript.tokens.length) continue;
    byWord.set(
      word,
      transcript.tokens.slice(at, at + word.tokens.length).map((token) => token.probability),
    );
    cursor = at + word.tokens.length;
  }
  return byWord;
}

/** openai's avg_logprob: the sum of the tokens' log-probabilities over their count plus one (the end token). */
function averageLogprob(probabilities: number[]): number {
  const sum = probabilities.reduce((total, p) => total + Math.log(Math.max(p, 1e-30)), 0);
  return sum / (probabilities.length + 1);
}

/** openai's compression ratio of a text: its UTF-8 bytes over their zlib-compressed size. */
function compressionRatio(text: string): number {
  const bytes = Buffer.from(text, "utf8");
  return bytes.length === 0 ? 0 : bytes.length / deflateSync(bytes).length;
}
