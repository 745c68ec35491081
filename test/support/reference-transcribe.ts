// A whole transcribe() on the engine against the same on the independent PyTorch Whisper
// (test/reference/whisper_reference.py transcribe: openai's loop at temperature 0, with its word timestamps,
// clip_timestamps and hallucination_silence_threshold). Both runs are compared window by window: where each window
// starts, every token it chose (eot included), and the segments the file ends with (tokens, times, words).
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import type { AlignmentHeads, Segment, TranscribeOptions, WhisperModel } from "../../native/lib";
import { repoRoot } from "./fixtures";
import { LogprobGaps, MAX_STEP_GAP } from "./measured-ties";

/** One decoded window of the reference; `outcome` says what the loop did with it. */
export interface ReferenceWindow {
  seek: number;
  segment_size: number;
  tokens: number[];
  logit_margins: number[];
  token_logprobs: number[];
  no_speech_prob: number;
  avg_logprob: number;
  outcome: "segments" | "silence" | "leading-silence-skipped";
}

export interface ReferenceWord {
  word: string;
  tokens: number[];
  start: number;
  end: number;
  probability: number;
}

export interface ReferenceSegment {
  seek: number;
  start: number;
  end: number;
  tokens: number[];
  words: ReferenceWord[];
}

export interface ReferenceTranscript {
  windows: ReferenceWindow[];
  segments: ReferenceSegment[];
  /** What hallucination_silence_threshold's rules did: "leading silence" or "surrounded by silence". */
  hallucinations: Array<{ seek: number; rule: string; next: number }>;
  text: string;
  content_frames: number;
}

export interface ReferenceOptions {
  suppressTokens: number[];
  initialPrompt?: number[];
  /** Word timestamps with these heads. */
  alignmentHeads?: AlignmentHeads;
  clipTimestamps?: number[];
  hallucinationSilenceThreshold?: number;
}

/** whisper_reference.py transcribe over raw float32 samples (`samplesFile`), its JSON written into `workDir`. */
export async function referenceTranscribe(
  modelFolder: string,
  samplesFile: string,
  options: ReferenceOptions,
  workDir: string,
): Promise<ReferenceTranscript> {
  const out = path.join(workDir, `reference-${path.basename(samplesFile)}-${Date.now()}.json`);
  const args = [
    path.join(repoRoot, "test", "reference", "whisper_reference.py"),
    "transcribe",
    modelFolder,
    "--audio",
    samplesFile,
    "--suppress",
    options.suppressTokens.join(","),
    "--out",
    out,
  ];
  if (options.initialPrompt) args.push("--initial-prompt", options.initialPrompt.join(","));
  if (options.alignmentHeads) args.push("--heads", options.alignmentHeads.map(([l, h]) => `${l}:${h}`).join(","));
  if (options.clipTimestamps) args.push("--clip-timestamps", options.clipTimestamps.join(","));
  if (options.hallucinationSilenceThreshold !== undefined) {
    args.push("--hallucination-silence-threshold", String(options.hallucinationSilenceThreshold));
  }
  await promisify(execFile)("/usr/bin/python3", args, { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(readFileSync(out, "utf8")) as ReferenceTranscript;
}

/** The samples as raw little-endian float32, the reference's input (the very samples the engine gets). */
export function writeSamples(file: string, samples: Float32Array): string {
  writeFileSync(file, Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength));
  return file;
}

/** A window as the engine decoded it (from its token events: a fallback would restart it; temperature 0 has none). */
export interface EngineWindow {
  seek: number;
  tokens: number[];
  logprobs: number[];
}

export interface EngineTranscript {
  windows: EngineWindow[];
  segments: Segment[];
}

/** transcribe() on the engine at temperature 0, its windows gathered from the token events. */
export async function engineTranscribe(
  model: WhisperModel,
  samples: Float32Array,
  options: TranscribeOptions,
): Promise<EngineTranscript> {
  const windows: EngineWindow[] = [];
  let lastStart: number | null = null;
  const result = await model.transcribe(samples, { ...options, temperatures: [0] }, (event) => {
    if (event.type !== "token") return;
    // A window's tokens arrive together, and consecutive windows start at different times.
    if (lastStart !== event.windowStart) {
      windows.push({ seek: Math.round(event.windowStart * 100), tokens: [], logprobs: [] });
    }
    lastStart = event.windowStart;
    windows[windows.length - 1].tokens.push(event.token);
    windows[windows.length - 1].logprobs.push(Math.log(event.probability));
  }).promise;
  return { windows, segments: result.segments };
}

/** Word and segment times are rounded to 0.01 s (words) or on the 0.02 s timestamp grid: equal but for float noise. */
const TIME_TOLERANCE = 1e-6;

export interface Comparison {
  /** Where the engine differs from the reference (empty: equal everywhere compared). */
  mismatches: object[];
  windowsCompared: number;
  /** The window where a near-tie parted the runs (the rest not compared), or null. */
  nearTieAt: number | null;
  /** The engine's distance from the reference where they agreed, which gave the near-ties. */
  gaps: LogprobGaps;
}

/**
 * Compares the runs window by window, then the segments the compared windows made. Below the run's measured near-tie
 * (test/support/measured-ties.ts) the engine's float rounding may pick either token, and each continuation is right;
 * the rest of the file is then conditioned on different text and not compared.
 */
export function compareWithReference(reference: ReferenceTranscript, engine: EngineTranscript): Comparison {
  const gaps = new LogprobGaps();
  reference.windows.forEach((window, k) => {
    if (engine.windows[k]?.seek === window.seek) gaps.add(window, engine.windows[k]);
  });
  if (!(gaps.step < MAX_STEP_GAP)) {
    return {
      mismatches: [{ largestLogprobGap: gaps.step, above: MAX_STEP_GAP }],
      windowsCompared: 0,
      nearTieAt: null,
      gaps,
    };
  }
  const mismatches: object[] = [];
  let nearTieAt: number | null = null;
  let windowsCompared = 0;
  for (let k = 0; k < reference.windows.length && nearTieAt === null; k++) {
    const expected = reference.windows[k];
    const actual = engine.windows[k];
    if (!actual || actual.seek !== expected.seek) {
      mismatches.push({ window: k, seek: expected.seek, engineSeek: actual?.seek ?? "none" });
      break;
    }
    windowsCompared++;
    const choice = (list: number[], j: number) => (j < list.length ? list[j] : "eot");
    for (let j = 0; j < expected.logit_margins.length; j++) {
      if (choice(expected.tokens, j) === choice(actual.tokens, j)) continue;
      if (expected.logit_margins[j] < gaps.stepTie) nearTieAt = k;
      else
        mismatches.push({ window: k, seek: expected.seek, step: j, reference: expected.tokens, engine: actual.tokens });
      break;
    }
    if (nearTieAt === null && actual.tokens.length > expected.logit_margins.length) {
      mismatches.push({ window: k, seek: expected.seek, reference: expected.tokens, engine: actual.tokens });
    }
  }
  if (nearTieAt === null && mismatches.length === 0 && engine.windows.length !== reference.windows.length) {
    mismatches.push({ windows: { reference: reference.windows.length, engine: engine.windows.length } });
  }
  if (mismatches.length > 0) return { mismatches, windowsCompared, nearTieAt, gaps };

  // Segments of the windows compared to their end (all of them, unless a near-tie parted the runs).
  const lastSeek = nearTieAt === null ? Infinity : reference.windows[nearTieAt].seek;
  const comparable = (segment: { seek: number }) => segment.seek < lastSeek;
  const expected = reference.segments.filter(comparable);
  const actual = engine.segments.filter(comparable);
  const close = (a: number, b: number, tolerance: number) => Math.abs(a - b) <= tolerance;
  if (expected.length !== actual.length) {
    mismatches.push({ segments: { reference: expected.length, engine: actual.length } });
  }
  expected.forEach((segment, i) => {
    const other = actual[i];
    if (!other) return;
    const words = other.words ?? [];
    const same =
      other.seek === segment.seek &&
      close(other.start, segment.start, TIME_TOLERANCE) &&
      close(other.end, segment.end, TIME_TOLERANCE) &&
      JSON.stringify(other.tokens) === JSON.stringify(segment.tokens) &&
      words.length === segment.words.length &&
      segment.words.every(
        (word, w) =>
          JSON.stringify(words[w].tokens) === JSON.stringify(word.tokens) &&
          close(words[w].start, word.start, TIME_TOLERANCE) &&
          close(words[w].end, word.end, TIME_TOLERANCE) &&
          // A probability p moves by about p times its log-probability's gap: within the threshold tie.
          close(words[w].probability, word.probability, gaps.thresholdTie),
      );
    if (!same) mismatches.push({ segment: i, reference: segment, engine: other });
  });
  return { mismatches, windowsCompared, nearTieAt, gaps };
}
