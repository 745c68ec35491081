// A file through a Parakeet TDT model in this process (`verbatim transcribe --no-daemon --model <parakeet folder>`):
// the audio decoded to 16 kHz samples on disk, the engine's timed tokens, words and segments for every output format.
// Whisper's options that Parakeet cannot honour are refused (unsupported), never ignored. The daemon itself does not
// load Parakeet models yet (issue 41).
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import path from "node:path";
import type { ParakeetModel, ParakeetTranscript } from "@verbatim/native";
import { decodeAudioToFile } from "../audio";
import {
  DECODING_OPTION_NAMES,
  ProtocolError,
  type SegmentData,
  type TranscriptData,
  type TranscriptionOptions,
} from "../protocol";

/** A pause this long between words, or a word ending a sentence, closes a segment. */
const SEGMENT_PAUSE_SECONDS = 1.0;
const SENTENCE_END = /[.!?…。！？]$/;

/** Whether `folder` is a local model folder whose config.json is a NeMo config (encoder, decoder and joint). */
export function isParakeetFolder(folder: string): boolean {
  const config = path.join(folder, "config.json");
  try {
    if (!statSync(folder).isDirectory() || !existsSync(config)) return false;
    const parsed = JSON.parse(readFileSync(config, "utf8")) as Record<string, unknown>;
    return (
      typeof parsed === "object" && parsed !== null && "encoder" in parsed && "decoder" in parsed && "joint" in parsed
    );
  } catch {
    return false;
  }
}

/** Refuses what a Parakeet model cannot do, naming the option. */
export function checkParakeetOptions(id: string, options: TranscriptionOptions): void {
  const refuse = (what: string) => {
    throw new ProtocolError("unsupported", `${id} is a Parakeet model: ${what}; use a Whisper model for it`);
  };
  if (options.task === "translate") refuse("it cannot translate");
  if (options.language !== undefined) refuse("it takes no language (it recognizes its languages itself)");
  if (options.prompt !== undefined) refuse("it takes no prompt");
  if ((options.clipTimestamps?.length ?? 0) > 0) refuse("clip timestamps are not supported yet");
  if (options.vad) refuse("voice activity detection for files is not supported yet");
  if (options.temperature !== undefined) refuse("it decodes greedily, without temperatures");
  if (options.hallucinationSilenceThreshold !== undefined) refuse("hallucinationSilenceThreshold is Whisper's");
  for (const name of DECODING_OPTION_NAMES) {
    if (options[name] !== undefined) refuse(`${name} is one of Whisper's decoding options`);
  }
}

/** Words into segments: a new one after a sentence's end or a pause. */
export function parakeetSegments(transcript: ParakeetTranscript, withWords: boolean): SegmentData[] {
  const segments: SegmentData[] = [];
  let words: ParakeetTranscript["words"] = [];
  const close = () => {
    if (words.length === 0) return;
    segments.push({
      start: words[0].start,
      end: words[words.length - 1].end,
      text: words.map((word) => word.text).join(" "),
      ...(withWords
        ? { words: words.map((w) => ({ word: ` ${w.text}`, start: w.start, end: w.end, probability: w.probability })) }
        : {}),
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

export async function transcribeWithParakeet(
  model: ParakeetModel,
  id: string,
  file: string,
  options: TranscriptionOptions,
  scratchDir: string,
  onSegment: (segment: SegmentData) => void,
  signal: AbortSignal,
): Promise<TranscriptData> {
  checkParakeetOptions(id, options);
  const folder = await mkdtemp(path.join(scratchDir, "decoded-"));
  try {
    const samples = path.join(folder, "samples.f32");
    const audio = await decodeAudioToFile(file, samples, { signal });
    const job = model.transcribe(samples);
    const cancel = () => job.cancel();
    signal.addEventListener("abort", cancel, { once: true });
    let transcript: ParakeetTranscript;
    try {
      transcript = await job.promise;
    } finally {
      signal.removeEventListener("abort", cancel);
    }
    const segments = parakeetSegments(transcript, options.wordTimestamps ?? false);
    for (const segment of segments) onSegment(segment);
    return {
      text: transcript.text,
      language: null,
      durationSeconds: audio.durationSeconds,
      segments,
      model: id,
      backend: model.info().backend,
    };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
