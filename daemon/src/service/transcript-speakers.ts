// A finished transcript given speakers: the speaker model runs on the same samples the speech model read, and each
// word goes to the speaker who spoke over most of it (speakers/words-to-speakers.ts).
import { readFile } from "node:fs/promises";
import type { TranscriptData } from "../protocol";
import type { SpeakerCount } from "../speakers/speaker-count";
import { keepSpeakers } from "../speakers/speaker-limit";
import { wordsToSpeakers } from "../speakers/words-to-speakers";
import type { LoadProgressListener } from "./engine-host";
import type { SpeakerHost } from "./speaker-host";

export interface SpeakerCallbacks {
  onProgress(stage: "speakers", fraction: number | null): void;
  onModelProgress: LoadProgressListener;
  onNotice(message: string): void;
}

/**
 * The transcript (its words timed) with a speaker on every segment and word, at most `limit` speakers. Where the
 * speaker model hears no speech at all in audio the transcript has words in, every word goes to one speaker, and a
 * notice says so: the transcript is kept rather than failed.
 */
export async function addSpeakers(
  transcript: TranscriptData,
  samplesFile: string,
  limit: SpeakerCount,
  speakerHost: SpeakerHost,
  callbacks: SpeakerCallbacks,
  signal: AbortSignal,
): Promise<TranscriptData> {
  if (transcript.segments.length === 0) return { ...transcript, speakers: 0 };
  callbacks.onProgress("speakers", 0);
  const samples = await readSamples(samplesFile);
  const { segments } = await speakerHost.use(callbacks.onModelProgress, signal, (model) =>
    model.diarize(samples, { signal, onProgress: (fraction) => callbacks.onProgress("speakers", fraction) }),
  );
  let speech = keepSpeakers(segments, limit);
  if (speech.length === 0 && transcript.segments.length > 0) {
    callbacks.onNotice("The speaker model heard no speech in this audio; every word is given to Speaker 1.");
    speech = [{ speaker: 0, start: 0, end: transcript.durationSeconds }];
  }
  return wordsToSpeakers(transcript, speech);
}

/** The job's decoded samples (16 kHz float32, as written on this machine). */
async function readSamples(file: string): Promise<Float32Array> {
  const bytes = await readFile(file);
  // A small file's bytes may sit in Node's shared pool at an offset a Float32Array cannot start at.
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : Buffer.from(bytes);
  return new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
}
