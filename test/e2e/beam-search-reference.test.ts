// Beam search, best-of sampling and the temperature fallback on the real engine against the independent PyTorch
// Whisper (test/reference/whisper_reference.py window, written from openai/whisper release 20250625's
// BeamSearchDecoder, GreedyDecoder, MaximumLikelihoodRanker and decode_with_fallback; sampling above temperature 0
// draws the engine's std::mt19937_64 numbers, seeded seed + window index). The engine transcribes each file with the
// case's options; every window it decoded is decoded again by the reference from the same audio, start frame,
// previous-text prompt and window index. Per window, the same temperatures must be tried in the same order, and each
// attempt must choose the same tokens (eot included), unless the reference saw a near-tie there, measured in the same
// run (test/support/measured-ties.ts): for one sequence (a greedy step, a draw, the timestamp rule) a margin within
// the step tie; for beams and best-of groups any decision of the attempt (the beam cut, an eot on either side of it,
// the finished list filling up, the ranker's best two, each draw, the timestamp rule of a beam) within the sum tie. A
// fallback decision within the threshold tie of its threshold may also go either way. Windows parted at a near-tie are
// counted and logged, the rest of such a window is not compared. The engine's seeks, segments and prompts are checked
// against openai's transcribe() bookkeeping from its kept tokens.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { WhisperModel, type Segment, type TranscribeOptions } from "../../native/lib";
import { loadAudio } from "../../daemon/src/audio";
import { loadTokenizer, type Tokenizer } from "../../daemon/src/tokenizer";
import { fixtureModel, repoRoot } from "../support/fixtures";
import { contentFrames, segmentSize, splitWindow } from "../support/openai-transcribe-loop";
import { LogprobGaps, MAX_STEP_GAP } from "../support/measured-ties";
import { writeSamples } from "../support/reference-transcribe";

jest.setTimeout(900_000);

const fixtures = path.join(repoRoot, "test", "fixtures");
const heldoutList = (folder: string, list: string): Array<{ file: string }> =>
  JSON.parse(readFileSync(path.join(fixtures, folder, list), "utf8"));
const longFiles = heldoutList("heldout-long", "heldout-long.json").map((item) => item.file);
const singleFiles = heldoutList("heldout", "heldout.json").map((item) => item.file);
const models = ["verbatim-tiny-en", "verbatim-tiny-en-4bit"];
const TEMPERATURES = [0, 0.2, 0.4, 0.6, 0.8, 1.0];

/** The decoding options of a case, as the addon and (translated) the reference take them. */
interface DecodingCase {
  beamSize?: number;
  bestOf?: number;
  patience?: number;
  lengthPenalty?: number;
  temperatures: number[];
  compressionRatioThreshold?: number;
  logprobThreshold?: number;
  seed?: number;
}

/** One attempt of a window as the engine reported it: its token events share a temperature. */
interface EngineAttempt {
  temperature: number;
  tokens: number[];
  /** Each token's log-probability under the filtered logits (reported for single sequences only). */
  logprobs: number[];
}

interface EngineWindow {
  seek: number;
  attempts: EngineAttempt[];
  segments: Segment[];
}

interface ReferenceAttempt {
  temperature: number;
  tokens: number[];
  logit_margins: number[];
  /** The kept sequence's log-probability of its token at each step (eot's step included). */
  token_logprobs: number[];
  decision_margin: number;
  avg_logprob: number;
  compression_ratio: number;
  needs_fallback: boolean;
  threshold_margin: number;
}

interface ReferenceWindow {
  audio: string;
  seek: number;
  window_index: number;
  tokens: number[];
  temperature: number;
  temperatures_tried: number[];
  no_speech_prob: number;
  avg_logprob: number;
  attempts: ReferenceAttempt[];
}

let tokenizer: Tokenizer;
let workDir: string;
const audio = new Map<string, { samples: Float32Array; file: string }>();

beforeAll(async () => {
  tokenizer = await loadTokenizer({ nVocab: 51864 });
  workDir = mkdtempSync(path.join(os.tmpdir(), "verbatim-beam-reference-"));
  // The reference reads the very samples the engine gets: raw float32, as decoded by the product's loader.
  const everyFile = [
    ...longFiles.map((file) => path.join(fixtures, "heldout-long", file)),
    ...singleFiles.map((file) => path.join(fixtures, "heldout", file)),
  ];
  for (const file of everyFile) {
    const { samples } = await loadAudio(file);
    audio.set(path.basename(file), {
      samples,
      file: writeSamples(path.join(workDir, `${path.parse(file).name}.f32`), samples),
    });
  }
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const suppressTokens = () => tokenizer.resolveSuppressTokens("-1");
const hasText = (tokens: number[]) => tokenizer.decode(tokens.filter((t) => t < tokenizer.special.eot)).trim() !== "";
/** The engine's temperatures are float32 (0.2 arrives as 0.20000000298…). */
const sameTemperature = (a: number, b: number) => Math.fround(a) === Math.fround(b);

function engineOptions(c: DecodingCase): TranscribeOptions {
  const options: TranscribeOptions & Record<string, unknown> = {
    timestamps: true,
    suppressTokens: suppressTokens(),
    temperatures: c.temperatures,
  };
  for (const key of [
    "beamSize",
    "bestOf",
    "patience",
    "lengthPenalty",
    "compressionRatioThreshold",
    "logprobThreshold",
    "seed",
  ] as const) {
    if (c[key] !== undefined) options[key] = c[key];
  }
  return options;
}

/** Transcribes a file and groups its token events by window (window start) and attempt (temperature). */
async function engineRun(model: WhisperModel, file: string, options: TranscribeOptions): Promise<EngineWindow[]> {
  const windows: EngineWindow[] = [];
  const result = await model.transcribe(audio.get(file)!.samples, options, (event) => {
    if (event.type !== "token") return;
    const seek = Math.round(event.windowStart * 100);
    if (windows.length === 0 || windows[windows.length - 1].seek !== seek) {
      windows.push({ seek, attempts: [], segments: [] });
    }
    const attempts = windows[windows.length - 1].attempts;
    if (attempts.length === 0 || attempts[attempts.length - 1].temperature !== event.temperature) {
      attempts.push({ temperature: event.temperature, tokens: [], logprobs: [] });
    }
    attempts[attempts.length - 1].tokens.push(event.token);
    attempts[attempts.length - 1].logprobs.push(Math.log(event.probability));
  }).promise;
  for (const segment of result.segments) {
    const window = windows.find((w) => w.seek === segment.seek);
    if (!window) throw new Error(`${file}: segment at seek ${segment.seek} has no window of decoded tokens`);
    window.segments.push(segment);
  }
  return windows;
}

const kept = (window: EngineWindow) => window.attempts[window.attempts.length - 1];

/**
 * openai's transcribe() around the engine's windows: the seek each must start at (from the previous window's kept
 * tokens; a window without segments was skipped as silence) and its prompt (earlier segments' tokens since the last
 * window kept above temperature 0.5).
 */
function followOpenai(file: string, windows: EngineWindow[]) {
  const content = contentFrames(audio.get(file)!.samples.length);
  const seeks: number[] = [];
  const prompts: number[][] = [];
  const previous: number[] = [];
  let resetSince = 0;
  let seek = 0;
  for (const window of windows) {
    seeks.push(seek);
    prompts.push(previous.slice(resetSince));
    const size = segmentSize(window.seek, content);
    if (window.segments.length === 0) {
      seek = window.seek + size;
      continue;
    }
    const split = splitWindow(kept(window).tokens, size, tokenizer.special.timestampBegin, hasText);
    expect({ file, seek: window.seek, segments: window.segments.map((s) => s.tokens) }).toEqual({
      file,
      seek: window.seek,
      segments: split.segments,
    });
    for (const segment of window.segments) previous.push(...segment.tokens);
    if (kept(window).temperature > 0.5) resetSince = previous.length;
    seek = window.seek + split.advance;
    if (seek <= window.seek) seek = window.seek + size;
  }
  expect(seek).toBeGreaterThanOrEqual(content);
  return { seeks, prompts };
}

function referenceArgs(c: DecodingCase): string[] {
  const args = ["--temperatures", c.temperatures.join(",")];
  if (c.beamSize !== undefined) args.push("--beam-size", String(c.beamSize));
  if (c.bestOf !== undefined) args.push("--best-of", String(c.bestOf));
  if (c.patience !== undefined) args.push("--patience", String(c.patience));
  if (c.lengthPenalty !== undefined) args.push("--length-penalty", String(c.lengthPenalty));
  if (c.compressionRatioThreshold !== undefined) {
    args.push("--compression-ratio-threshold", String(c.compressionRatioThreshold));
  }
  if (c.logprobThreshold !== undefined) args.push("--logprob-threshold", String(c.logprobThreshold));
  if (c.seed !== undefined) args.push("--seed", String(c.seed));
  return args;
}

async function referenceWindows(
  modelName: string,
  c: DecodingCase,
  requests: Array<{ audio: string; seek: number; prompt: number[]; window_index: number }>,
): Promise<ReferenceWindow[]> {
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
      suppressTokens().join(","),
      ...referenceArgs(c),
      "--out",
      out,
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(readFileSync(out, "utf8"));
}

type Outcome = "equal" | "near-tie" | "mismatch";

/** Whether an attempt at this temperature decodes several sequences (beams, or a best-of group). */
const decodesGroups = (c: DecodingCase, temperature: number) =>
  temperature === 0 ? (c.beamSize ?? 1) > 1 : (c.bestOf ?? 1) > 1;

/**
 * One window, attempt by attempt: the same tokens (eot included) up to a near-tie, and the same fallback decision
 * unless it was within the threshold tie of its threshold.
 */
function compareWindow(
  reference: ReferenceWindow,
  engine: EngineWindow,
  c: DecodingCase,
  gaps: LogprobGaps,
): { outcome: Outcome; detail?: object; sampledEqual: number } {
  const choice = (list: number[], j: number) => (j < list.length ? list[j] : "eot");
  let sampledEqual = 0; // attempts above temperature 0 equal to their end
  const result = (outcome: Outcome, detail?: object) => ({ outcome, detail, sampledEqual });
  for (let a = 0; a < reference.attempts.length; a++) {
    const expected = reference.attempts[a];
    const actual = engine.attempts[a];
    if (!actual || !sameTemperature(actual.temperature, expected.temperature)) {
      // The engine kept an earlier attempt, or tried another temperature: only a near-tie on the way explains it.
      return result("mismatch", {
        attempt: a,
        temperature: expected.temperature,
        engine: actual?.temperature ?? "none",
      });
    }
    const steps = expected.logit_margins.length;
    const tie = decodesGroups(c, expected.temperature) ? gaps.sumTie : gaps.stepTie;
    for (let j = 0; j < steps; j++) {
      if (choice(expected.tokens, j) === choice(actual.tokens, j)) continue;
      const where = { attempt: a, temperature: expected.temperature, step: j, margin: expected.logit_margins[j] };
      if (expected.logit_margins[j] < tie) return result("near-tie", where);
      return result("mismatch", { ...where, reference: expected.tokens, engine: actual.tokens });
    }
    if (actual.tokens.length > steps) {
      return result("mismatch", { attempt: a, reference: expected.tokens, engine: actual.tokens });
    }
    if (expected.temperature > 0) sampledEqual++;
    // The same tokens: the engine falls back exactly when the reference does, but at a threshold's near-tie.
    const engineFellBack = engine.attempts.length > a + 1;
    const referenceFellBack = reference.attempts.length > a + 1;
    if (engineFellBack !== referenceFellBack) {
      const where = { attempt: a, temperature: expected.temperature, thresholdMargin: expected.threshold_margin };
      if (expected.threshold_margin < gaps.thresholdTie) return result("near-tie", where);
      return result("mismatch", {
        ...where,
        fallback: { reference: referenceFellBack, engine: engineFellBack },
        avg_logprob: expected.avg_logprob,
        compression_ratio: expected.compression_ratio,
      });
    }
  }
  return result("equal");
}

interface CaseRun {
  mismatches: object[];
  windows: ReferenceWindow[];
  engine: EngineWindow[];
  counts: Record<Outcome, number>;
  /** Attempts above temperature 0 whose tokens and fallback decision equal the reference's. */
  sampledEqual: number;
  /** Files whose segments differ from the engine's run with the rival options (when given). */
  filesChanged: number;
}

/** The case on the engine over `files`, every window decoded again by the reference; returns what differed. */
async function runCase(
  modelName: string,
  c: DecodingCase,
  files: string[],
  label: string,
  rival?: DecodingCase,
): Promise<CaseRun> {
  const started = Date.now();
  let filesChanged = 0;
  const requests: Array<{ audio: string; seek: number; prompt: number[]; window_index: number }> = [];
  const engineWindows: EngineWindow[] = [];
  const model = await WhisperModel.load(fixtureModel(modelName), { threads: 2 }).promise;
  try {
    model.setVocabulary(tokenizer.tokenBytesTable());
    for (const file of files) {
      const windows = await engineRun(model, file, engineOptions(c));
      const { seeks, prompts } = followOpenai(file, windows);
      expect({ file, seeks: windows.map((w) => w.seek) }).toEqual({ file, seeks });
      windows.forEach((window, k) => {
        requests.push({ audio: audio.get(file)!.file, seek: window.seek, prompt: prompts[k], window_index: k });
        engineWindows.push(window);
      });
      if (rival) {
        const segments = (runs: EngineWindow[]) => JSON.stringify(runs.map((w) => w.segments.map((s) => s.tokens)));
        if (segments(await engineRun(model, file, engineOptions(rival))) !== segments(windows)) filesChanged++;
      }
    }
  } finally {
    model.free();
  }
  const engineSeconds = (Date.now() - started) / 1000;
  const references = await referenceWindows(modelName, c, requests);
  expect(references).toHaveLength(requests.length);

  // The engine's distance from the reference on this machine, where both chose the same tokens, gives the ties.
  const gaps = new LogprobGaps();
  references.forEach((reference, i) =>
    reference.attempts.forEach((attempt, a) => {
      const actual = engineWindows[i].attempts[a];
      if (actual && sameTemperature(actual.temperature, attempt.temperature)) gaps.add(attempt, actual);
    }),
  );
  expect(gaps.step).toBeLessThan(MAX_STEP_GAP);

  const mismatches: object[] = [];
  const nearTies: object[] = [];
  const counts: Record<Outcome, number> = { equal: 0, "near-tie": 0, mismatch: 0 };
  let sampledEqual = 0;
  references.forEach((reference, i) => {
    const engine = engineWindows[i];
    const { outcome, detail, sampledEqual: equalAttempts } = compareWindow(reference, engine, c, gaps);
    counts[outcome]++;
    sampledEqual += equalAttempts;
    const where = { audio: path.basename(reference.audio), seek: reference.seek, window: reference.window_index };
    if (outcome === "mismatch") mismatches.push({ ...where, ...detail });
    if (outcome === "near-tie") nearTies.push({ ...where, ...detail });
    if (outcome === "equal") {
      // The window the engine skipped as silence (no segments) is one openai's transcribe() skips.
      const skipped = engine.segments.length === 0;
      const noSpeech = reference.no_speech_prob > 0.6;
      const threshold = c.logprobThreshold ?? -1;
      const silence = noSpeech && !(reference.avg_logprob > threshold);
      const close =
        Math.abs(reference.no_speech_prob - 0.6) < gaps.thresholdTie ||
        Math.abs(reference.avg_logprob - threshold) < gaps.thresholdTie;
      if (!close && silence !== skipped) mismatches.push({ ...where, skippedAsSilence: skipped, reference: silence });
    }
  });
  const fallbacks = references.filter((w) => w.attempts.length > 1).length;
  console.log(
    `${modelName} ${label}: ${references.length} windows of ${files.length} files ` +
      `(engine ${engineSeconds.toFixed(1)} s, total ${((Date.now() - started) / 1000).toFixed(1)} s): ` +
      `${counts.equal} equal, ${counts["near-tie"]} parted at a near-tie, ${counts.mismatch} mismatches; ` +
      `${fallbacks} fell back (temperatures tried per window ${JSON.stringify(tally(references.map((w) => w.temperatures_tried.length)))}, ` +
      `kept ${JSON.stringify(tally(references.map((w) => w.temperature)))}), ${sampledEqual} sampled attempts equal; ` +
      `${gaps}` +
      (rival ? `; ${filesChanged} files transcribed otherwise with ${JSON.stringify(rival)}` : "") +
      (nearTies.length > 0 ? `; near-ties: ${JSON.stringify(nearTies)}` : ""),
  );
  return { mismatches, windows: references, engine: engineWindows, counts, sampledEqual, filesChanged };
}

function tally(values: number[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[String(value)] = (counts[String(value)] ?? 0) + 1;
  return counts;
}

describe.each(models)("%s", (modelName) => {
  test("beam search (beamSize 5) equals PyTorch's on every held-out file", async () => {
    const greedy = { temperatures: [0] };
    const files = [...longFiles, ...singleFiles];
    const run = await runCase(modelName, { beamSize: 5, temperatures: [0] }, files, "beam 5", greedy);
    expect(run.mismatches).toEqual([]);
    // Most windows are compared to their end (a near-tie is the exception: none of 45 on either model, on the
    // machines of issues 32 and 39 and under the Sandybridge kernel), and beams matter: some files' text is not the
    // greedy one (every long file's, on the committed weights).
    expect(run.counts.equal).toBeGreaterThanOrEqual(0.8 * run.windows.length);
    expect(run.filesChanged).toBeGreaterThan(0);
  });

  test("beamSize 1 is the default greedy decoding, token for token", async () => {
    const model = await WhisperModel.load(fixtureModel(modelName), { threads: 2 }).promise;
    try {
      model.setVocabulary(tokenizer.tokenBytesTable());
      for (const file of [...longFiles.slice(0, 3), ...singleFiles]) {
        const greedy = await engineRun(model, file, engineOptions({ temperatures: TEMPERATURES }));
        const beam1 = await engineRun(model, file, engineOptions({ beamSize: 1, temperatures: TEMPERATURES }));
        expect({ file, windows: beam1 }).toEqual({ file, windows: greedy });
      }
    } finally {
      model.free();
    }
  });
});

// The options below change only the search, the same code on any weights: they run on the fp16 fixture, and the 4-bit
// one takes beam 5 above (its logits steering that search). Their 4-bit runs took 128 s of CI's 47 minutes (2026-11-29)
// and passed wherever the fp16 ones did.
const searchModel = models[0];

describe(`${searchModel}: the search's other options`, () => {
  test("patience 2 with lengthPenalty 0.6, and patience 0.5, equal PyTorch's", async () => {
    const beam5 = { beamSize: 5, temperatures: [0] };
    // The single files and the first long one (the long ones' windows are many more steps each). On the committed
    // weights this finds beam 5's text everywhere: the longer search and the penalty are checked decision by decision.
    const c = { beamSize: 5, patience: 2, lengthPenalty: 0.6, temperatures: [0] };
    const run = await runCase(searchModel, c, [longFiles[0], ...singleFiles], "beam 5, patience 2, alpha 0.6", beam5);
    expect(run.mismatches).toEqual([]);
    expect(run.counts.equal).toBeGreaterThanOrEqual(0.8 * run.windows.length);
    // Patience 0.5 keeps round(2.5) = 2 finished sequences (half to even), then adds 3 unfinished beams: two long
    // files whose text it changes on the fp16 weights.
    const half = { beamSize: 5, patience: 0.5, temperatures: [0] };
    const short = await runCase(searchModel, half, ["long-01.flac", "long-04.flac"], "beam 5, patience 0.5", beam5);
    expect(short.mismatches).toEqual([]);
    expect(short.counts.equal).toBeGreaterThanOrEqual(0.8 * short.windows.length);
  });

  test("bestOf 5 with the temperature fallback: the same temperatures tried, the same tokens kept", async () => {
    // openai's command-line defaults (beam 5 at 0, best of 5 above, its thresholds): the long files' windows,
    // conditioned on earlier text, often fall back. The three shortest files keep the case near a minute.
    const c = { beamSize: 5, bestOf: 5, temperatures: TEMPERATURES, seed: 7 };
    const files = ["long-00.flac", "long-06.flac", "long-01.flac"];
    const run = await runCase(searchModel, c, files, "fallback, beam 5 at 0, best of 5 above");
    expect(run.mismatches).toEqual([]);
    // The case tests the fallback: windows kept at 0 and windows that fell back; and sampling itself (best-of
    // groups drawing the engine's numbers agree to the end in many attempts, not only at near-ties).
    const tried = run.windows.map((w) => w.temperatures_tried.length);
    expect(tried.some((n) => n === 1) && tried.some((n) => n > 1)).toBe(true);
    // 27 attempts on each model under OpenBLAS's Sandybridge kernel, and above this floor on the machines of
    // issues 32 and 39 (near-ties part the rest, and they move with the BLAS's rounding).
    expect(run.sampledEqual).toBeGreaterThanOrEqual(10);
  });

  test("one sample per attempt (bestOf 1): every draw agrees but at a near-tie", async () => {
    // Every window tries every temperature (a log-probability threshold of 0 is never met): each attempt above 0 is
    // one sequence, whose step margins are each draw's own.
    const c = { temperatures: [0.2, 0.4, 0.6, 0.8, 1.0], logprobThreshold: 0, seed: 3 };
    const run = await runCase(
      searchModel,
      c,
      ["long-00.flac", "long-06.flac", ...singleFiles.slice(0, 10)],
      "best of 1",
    );
    expect(run.mismatches).toEqual([]);
    expect(run.sampledEqual).toBeGreaterThanOrEqual(10); // 89 of 95 on each model under the Sandybridge kernel
  });
});
