// Where the speech is in a file, so that `transcribe --vad` decodes only that: the voice activity detector's speech
// runs (speech-runs.ts: the thresholds and margins, and why) over the decoded samples, grouped into windows of at
// most 30 s as whisper.cpp's --vad and faster-whisper's vad_filter do.
import { open } from "node:fs/promises";
import type { SileroVad } from "./voice-activity";
import { SPEECH_RUNS, SpeechRuns } from "./speech-runs";

const SAMPLE_RATE = 16_000;
/** Longest window the model takes at once. */
export const MAX_WINDOW_SECONDS = 30;

/** A stretch of audio, in samples from the start of the file. */
export interface SampleSpan {
  start: number;
  end: number;
}

/**
 * The speech in `samplesFile` (16 kHz 32-bit float samples, as decodeAudioToFile writes them): each speech run with
 * its margins, merged where they touch. `progress` hears the share of the file looked at.
 */
export async function findSpeech(
  samplesFile: string,
  sampleCount: number,
  detector: Pick<SileroVad, "frameSamples" | "fileProbabilities">,
  progress: (fraction: number) => void,
  signal: AbortSignal,
): Promise<SampleSpan[]> {
  const frameSamples = detector.frameSamples;
  const runs = new SpeechRuns(frameSamples / SAMPLE_RATE);
  const margin = Math.round(SPEECH_RUNS.marginSeconds * SAMPLE_RATE);
  const speech: SampleSpan[] = [];
  let runStart = -1;
  const add = (start: number, end: number) => {
    const span = {
      start: Math.max(0, start * frameSamples - margin),
      end: Math.min(sampleCount, end * frameSamples + margin),
    };
    const last = speech.at(-1);
    if (last && span.start <= last.end) last.end = Math.max(last.end, span.end);
    else speech.push(span);
  };
  const framesPerRead = Math.ceil((30 * SAMPLE_RATE) / frameSamples); // a progress event each 30 s
  for (let done = 0; done + frameSamples <= sampleCount;) {
    signal.throwIfAborted();
    const want = Math.min(framesPerRead, Math.floor((sampleCount - done) / frameSamples)) * frameSamples;
    for (const probability of await detector.fileProbabilities(samplesFile, done, want)) {
      const event = runs.push(probability);
      if (event?.kind === "speech") runStart = event.start;
      else if (event?.kind === "end") add(runStart, event.end);
    }
    done += want;
    progress(done / sampleCount);
  }
  if (runs.inSpeech) add(runStart, Math.ceil(sampleCount / frameSamples));
  return speech;
}

/**
 * Speech grouped into windows: each window runs from the start of its first span to the end of its last, at most
 * `maxSeconds` long (a longer span of speech is a window of its own, which transcribe() takes 30 s at a time).
 */
export function speechWindows(speech: readonly SampleSpan[], maxSeconds = MAX_WINDOW_SECONDS): SampleSpan[] {
  const most = maxSeconds * SAMPLE_RATE;
  const windows: SampleSpan[] = [];
  for (const span of speech) {
    const last = windows.at(-1);
    if (last && span.end - last.start <= most) last.end = span.end;
    else windows.push({ ...span });
  }
  return windows;
}

/** The samples of `span` from a samples file. */
export async function readSamples(samplesFile: string, span: SampleSpan): Promise<Float32Array> {
  const samples = new Float32Array(span.end - span.start);
  const file = await open(samplesFile, "r");
  try {
    const bytes = new Uint8Array(samples.buffer);
    const { bytesRead } = await file.read(bytes, 0, bytes.length, span.start * 4);
    if (bytesRead < bytes.length) throw new Error(`${samplesFile} ended before sample ${span.end}`);
  } finally {
    await file.close();
  }
  return samples;
}
