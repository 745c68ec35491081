// Long files window by window against the independent PyTorch Whisper (test/reference/whisper_reference.py
// window): the engine transcribes every held-out long file (and every single held-out file) greedily with
// timestamps, and each of its 30 s windows is decoded again by the reference from the same audio, start frame and
// previous-text prompt. Every step's choice (eot included) must be equal, unless the reference's top two logits
// (or the timestamp rule's decision) are within a near-tie there, measured in the same run
// (test/support/measured-ties.ts): then both are right, and the rest of that window is not compared. The engine's seeks, segments and prompts are checked against openai's transcribe() bookkeeping
// (test/support/openai-transcribe-loop.ts). Word timestamps are off for the token comparison, so every seek follows
// from the tokens alone; with them, openai seeks to the last word's end (or the last segment's, in a window without
// words), which a test of its own checks against the reference's whole transcribe() loop. The reference runs at test
// time, so any weights of the same format work.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { alignmentHeadsFor, WhisperModel, type Segment } from "../../native/lib";
import { loadAudio } from "../../daemon/src/audio";
import { loadTokenizer, type Tokenizer } from "../../daemon/src/tokenizer";
import { fixtureModel, repoRoot } from "../support/fixtures";
import { contentFrames, segmentSize, splitWindow } from "../support/openai-transcribe-loop";
import { LogprobGaps, MAX_STEP_GAP } from "../support/measured-ties";
import { compareWithReference, engineTranscribe, referenceTranscribe } from "../support/reference-transcribe";

jest.setTimeout(900_000);

const fixtures = path.join(repoRoot, "test", "fixtures");
const heldoutList = (folder: string, list: string): Array<{ file: string; text: string }> =>
  JSON.parse(readFileSync(path.join(fixtures, folder, list), "utf8"));
const files = heldoutList("heldout-long", "heldout-long.json");
// The single held-out files are one window each; trained-model.test.ts compares them without timestamps.
const singleFiles = heldoutList("heldout", "heldout.json");
const models = ["verbatim-tiny-en", "verbatim-tiny-en-4bit"];
// transcribe()'s defaults: a window is skipped as silence when its no-speech probability is above 0.6 and its
// average log-probability not above -1. Within the run's threshold tie of either, both judgements are right.
const NO_SPEECH_THRESHOLD = 0.6;
const LOGPROB_THRESHOLD = -1;

/**
 * A window as the engine decoded it: every sampled token (from its token events, with its log-probability) and the
 * segments it kept.
 */
interface EngineWindow {
  seek: number;
  tokens: number[];
  logprobs: number[];
  segments: Segment[];
}

/** One long file as the engine transcribed it, after an optional initial prompt. */
interface FileRun {
  file: string;
  initialPrompt: number[];
  windows: EngineWindow[];
}

/** One window of whisper_reference.py window's output. */
interface ReferenceWindow {
  audio: string;
  seek: number;
  segment_size: number;
  initial_tokens: number[];
  tokens: number[];
  logit_margins: number[];
  token_logprobs: number[];
  stopped_at_eot: boolean;
  no_speech_prob: number;
  avg_logprob: number;
}

interface WindowRequest {
  audio: string;
  seek: number;
  prompt: number[];
}

let tokenizer: Tokenizer;
let workDir: string;
const audioFiles = new Map<string, { path: string; samples: Float32Array }>();

beforeAll(async () => {
  tokenizer = await loadTokenizer({ nVocab: 51864 });
  workDir = mkdtempSync(path.join(os.tmpdir(), "verbatim-long-reference-"));
  // The reference reads the very samples the engine gets: raw float32, as decoded by the product's loader.
  const everyFile = [
    ...files.map((item) => path.join(fixtures, "heldout-long", item.file)),
    ...singleFiles.map((item) => path.join(fixtures, "heldout", item.file)),
  ];
  for (const audio of everyFile) {
    const { samples } = await loadAudio(audio);
    const file = path.join(workDir, `${path.parse(audio).name}.f32`);
    writeFileSync(file, Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength));
    audioFiles.set(path.basename(audio), { path: file, samples });
  }
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const hasText = (tokens: number[]) => tokenizer.decode(tokens.filter((t) => t < tokenizer.special.eot)).trim() !== "";

/** Transcribes greedily with timestamps and groups the token events by window (a window start in seconds). */
async function transcribeFile(model: WhisperModel, file: string, initialPrompt: number[] = []): Promise<FileRun> {
  const windows: EngineWindow[] = [];
  const result = await model.transcribe(
    audioFiles.get(file)!.samples,
    {
      temperatures: [0],
      timestamps: true,
      suppressTokens: tokenizer.resolveSuppressTokens("-1"),
      ...(initialPrompt.length > 0 ? { initialPrompt } : {}),
    },
    (event) => {
      if (event.type !== "token") return;
      const seek = Math.round(event.windowStart * 100);
      if (windows.length === 0 || windows[windows.length - 1].seek !== seek) {
        windows.push({ seek, tokens: [], logprobs: [], segments: [] });
      }
      windows[windows.length - 1].tokens.push(event.token);
      windows[windows.length - 1].logprobs.push(Math.log(event.probability));
    },
  ).promise;
  for (const segment of result.segments) {
    const window = windows.find((w) => w.seek === segment.seek);
    if (!window) throw new Error(`segment at seek ${segment.seek} has no window of decoded tokens`);
    window.segments.push(segment);
  }
  return { file, initialPrompt, windows };
}

/**
 * What openai's transcribe() does with the engine's windows: the seeks they must start at, the segments they must
 * give and the prompt (the initial prompt and all earlier segments' tokens) of each. A window with no segments is
 * one the engine skipped as silence; the reference's no-speech figures check that judgement.
 */
function followOpenai({ file, initialPrompt, windows }: FileRun) {
  const content = contentFrames(audioFiles.get(file)!.samples.length);
  const timestampBegin = tokenizer.special.timestampBegin;
  const expectedSeeks: number[] = [];
  const expectedSegments: number[][][] = [];
  const prompts: number[][] = [];
  const previous = [...initialPrompt];
  let seek = 0;
  for (const window of windows) {
    expectedSeeks.push(seek);
    prompts.push([...previous]);
    const size = segmentSize(window.seek, content);
    if (window.segments.length === 0) {
      expectedSegments.push([]);
      seek = window.seek + size;
      continue;
    }
    const split = splitWindow(window.tokens, size, timestampBegin, hasText);
    expectedSegments.push(split.segments);
    for (const segment of split.segments) previous.push(...segment);
    seek = window.seek + split.advance;
    if (seek <= window.seek) seek = window.seek + size;
  }
  return { expectedSeeks, expectedSegments, prompts, finalSeek: seek, content };
}

async function referenceWindows(modelName: string, requests: WindowRequest[]): Promise<ReferenceWindow[]> {
  const requestFile = path.join(workDir, "requests.json");
  const out = path.join(workDir, "reference.json");
  writeFileSync(requestFile, JSON.stringify(requests));
  await promisify(execFile)(
    "/usr/bin/python3",
    [
      path.join(repoRoot, "test", "reference", "whisper_reference.py"),
      "window",
      fixtureModel(modelName),
      "--requests",
      requestFile,
      "--suppress",
      tokenizer.resolveSuppressTokens("-1").join(","),
      "--out",
      out,
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  return JSON.parse(readFileSync(out, "utf8"));
}

type WindowComparison =
  | { steps: number; outcome: "equal" | "near-tie" }
  | { steps: number; outcome: "mismatch"; expected: number | "eot"; actual: number | "eot" };

/**
 * Compares the engine's choice with the reference's at each step, eot included. Where they differ and the
 * reference's margin there is a near-tie, both choices are right and the rest of the window (conditioned on
 * different text) is not compared; anywhere else a difference is a mismatch.
 */
function compareWindow(reference: ReferenceWindow, tokens: number[], nearTie: number): WindowComparison {
  const choice = (list: number[], j: number) => (j < list.length ? list[j] : "eot");
  const steps = reference.logit_margins.length;
  for (let j = 0; j < steps; j++) {
    const expected = choice(reference.tokens, j);
    const actual = choice(tokens, j);
    if (expected === actual) continue;
    if (reference.logit_margins[j] < nearTie) return { steps: j, outcome: "near-tie" };
    return { steps: j, outcome: "mismatch", expected, actual };
  }
  // The reference stopped without eot (the sample length or the text context): so must the engine.
  if (tokens.length > steps) return { steps, outcome: "mismatch", expected: "eot", actual: tokens[steps] };
  return { steps, outcome: "equal" };
}

/** Decodes every window of the runs with the reference and lists where the engine differs (logging the counts). */
async function mismatchesWithReference(modelName: string, runs: FileRun[]): Promise<object[]> {
  const requests: WindowRequest[] = [];
  const engineWindows: EngineWindow[] = [];
  for (const run of runs) {
    const { prompts } = followOpenai(run);
    run.windows.forEach((window, k) => {
      requests.push({ audio: audioFiles.get(run.file)!.path, seek: window.seek, prompt: prompts[k] });
      engineWindows.push(window);
    });
  }
  const references = await referenceWindows(modelName, requests);
  expect(references).toHaveLength(requests.length);
  const gaps = new LogprobGaps();
  references.forEach((reference, i) => gaps.add(reference, engineWindows[i]));
  expect(gaps.step).toBeLessThan(MAX_STEP_GAP);

  const mismatches: object[] = [];
  let nearTies = 0;
  let stepsEqual = 0;
  let windowsEqual = 0;
  references.forEach((reference, i) => {
    const { tokens, segments } = engineWindows[i];
    const comparison = compareWindow(reference, tokens, gaps.stepTie);
    const where = { audio: path.basename(reference.audio), seek: reference.seek };
    stepsEqual += comparison.steps;
    if (comparison.outcome === "mismatch") {
      mismatches.push({ ...where, ...comparison, reference: reference.tokens, engine: tokens });
    } else if (comparison.outcome === "near-tie") {
      nearTies++;
    } else {
      windowsEqual++;
      const skipped = segments.length === 0;
      if (!silenceIsClose(reference, gaps.thresholdTie) && isSilence(reference) !== skipped) {
        mismatches.push({ ...where, skippedAsSilence: skipped, reference: isSilence(reference) });
      }
    }
  });
  console.log(
    `${modelName}: ${references.length} windows of ${runs.length} files compared with PyTorch: ` +
      `${windowsEqual} equal to their end, ${nearTies} parting at a near-tie; ` +
      `${stepsEqual} steps equal, ${mismatches.length} mismatches; ${gaps}`,
  );
  return mismatches;
}

const isSilence = (w: ReferenceWindow) =>
  w.no_speech_prob > NO_SPEECH_THRESHOLD && !(w.avg_logprob > LOGPROB_THRESHOLD);
const silenceIsClose = (w: ReferenceWindow, tie: number) =>
  Math.abs(w.no_speech_prob - NO_SPEECH_THRESHOLD) < tie || Math.abs(w.avg_logprob - LOGPROB_THRESHOLD) < tie;

/** The engine's seeks and segments are what openai's transcribe() makes of the tokens each window decoded. */
function expectOpenaiLoop(run: FileRun) {
  const loop = followOpenai(run);
  expect({ file: run.file, seeks: run.windows.map((w) => w.seek) }).toEqual({
    file: run.file,
    seeks: loop.expectedSeeks,
  });
  expect(loop.finalSeek).toBeGreaterThanOrEqual(loop.content);
  expect({ file: run.file, segments: run.windows.map((w) => w.segments.map((s) => s.tokens)) }).toEqual({
    file: run.file,
    segments: loop.expectedSegments,
  });
}

async function withModel<T>(modelName: string, work: (model: WhisperModel) => Promise<T>): Promise<T> {
  const model = await WhisperModel.load(fixtureModel(modelName), { threads: 2 }).promise;
  try {
    model.setVocabulary(tokenizer.tokenBytesTable());
    return await work(model);
  } finally {
    model.free();
  }
}

describe.each(models)("%s on long files, window by window", (modelName) => {
  const runs: FileRun[] = [];

  beforeAll(async () => {
    await withModel(modelName, async (model) => {
      for (const item of files) runs.push(await transcribeFile(model, item.file));
    });
  });

  test("seeks and segments follow openai's transcribe() from each window's tokens", () => {
    for (const run of runs) expectOpenaiLoop(run);
  });

  test("every window's greedy tokens equal PyTorch's, but where a near-tie parts them", async () => {
    expect(await mismatchesWithReference(modelName, runs)).toEqual([]);
  });
});

// With word timestamps openai seeks to the end of the last word as add_word_timestamps leaves it (long words cut,
// punctuation merged into its word, times rounded to 0.01 s), or of the last segment in a window without words, and
// moves each segment to its words: the reference runs that whole loop (whisper_reference.py transcribe --heads).
// A window without words moves on only to its last timestamp, so a model that decodes windows of timestamps alone
// makes many windows (dozens over these files on the committed weights): two files suffice.
test("with word timestamps the windows, tokens, segments and words equal PyTorch's transcribe()", async () => {
  await withModel(models[0], async (model) => {
    const info = model.info();
    const alignmentHeads = alignmentHeadsFor(info.dims, info.storedAlignmentHeads);
    const suppressTokens = tokenizer.resolveSuppressTokens("-1");
    for (const item of files.slice(0, 2)) {
      const { samples, path: samplesFile } = audioFiles.get(item.file)!;
      const engine = await engineTranscribe(model, samples, {
        timestamps: true,
        wordTimestamps: true,
        alignmentHeads,
        suppressTokens,
      });
      const reference = await referenceTranscribe(
        fixtureModel(models[0]),
        samplesFile,
        { suppressTokens, alignmentHeads },
        workDir,
      );
      const comparison = compareWithReference(reference, engine);
      console.log(
        `${item.file} with word timestamps: ${comparison.windowsCompared} of ${reference.windows.length} windows ` +
          `compared${comparison.nearTieAt === null ? "" : `, parted at a near-tie in window ${comparison.nearTieAt}`}`,
      );
      expect({ file: item.file, mismatches: comparison.mismatches }).toEqual({ file: item.file, mismatches: [] });
    }
  });
});

// The decoder keeps the last n_text_ctx / 2 - 1 = 223 tokens of earlier text; the long files' own text may stay
// below that (with some weights it does), so a 300-token initial prompt makes both sides cut, whatever the weights.
test("an initial prompt longer than the decoder keeps is cut as PyTorch cuts it", async () => {
  const item = files[0];
  const initialPrompt = tokenizer.encode(" " + files.map((f) => f.text).join(" ")).slice(0, 300);
  expect(initialPrompt.length).toBe(300);
  const run = await withModel(models[0], (model) => transcribeFile(model, item.file, initialPrompt));
  expectOpenaiLoop(run);
  expect(await mismatchesWithReference(models[0], [run])).toEqual([]);
});

describe.each(models)("%s on the single held-out files, with timestamps", (modelName) => {
  test("each window's greedy tokens equal PyTorch's, but where a near-tie parts them", async () => {
    const runs = await withModel(modelName, async (model) => {
      const done: FileRun[] = [];
      for (const item of singleFiles) done.push(await transcribeFile(model, item.file));
      return done;
    });
    for (const run of runs) expectOpenaiLoop(run);
    expect(await mismatchesWithReference(modelName, runs)).toEqual([]);
  });
});
