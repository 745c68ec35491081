// Live recognition through the real engine on the trained fixture models: held-out speech fed in chunks as a
// microphone would deliver it. What the user sees live only grows, and each utterance's final text is exactly
// what transcribing the same audio as a file gives.
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  buildInfo,
  CancelledError,
  InvalidArgumentError,
  StreamClosedError,
  WhisperModel,
  type StreamEvent,
  type StreamOptions,
  type StreamTranscript,
} from "../../native/lib";
import { loadAudio } from "../../daemon/src/audio";
import { loadTokenizer, type Tokenizer } from "../../daemon/src/tokenizer";
import { repoRoot } from "../support/fixtures";
import { wordErrorRate } from "../support/wer";

jest.setTimeout(600_000);

const fixtures = path.join(repoRoot, "test", "fixtures");
const heldout: Array<{ file: string; text: string }> = JSON.parse(
  readFileSync(path.join(fixtures, "heldout", "heldout.json"), "utf8"),
);
const SAMPLE_RATE = 16_000;

let tokenizer: Tokenizer;
const samples = new Map<string, Float32Array>();
let options: StreamOptions;

beforeAll(async () => {
  tokenizer = await loadTokenizer({ nVocab: 51864 });
  for (const item of heldout) {
    samples.set(item.file, (await loadAudio(path.join(fixtures, "heldout", item.file))).samples);
  }
  options = { temperatures: [0], suppressTokens: tokenizer.resolveSuppressTokens("-1") };
});

function batchText(segments: Array<{ tokens: number[] }>): string {
  return tokenizer.decode(segments.flatMap((segment) => segment.tokens)).trim();
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

interface LiveRun {
  transcript: StreamTranscript;
  events: StreamEvent[];
  /** Committed text, and committed + tentative text, after each update. */
  steps: Array<{ committed: string; live: string }>;
}

/**
 * Feeds `audio` in chunks of `chunkSeconds`, one update per chunk: each push waits for the update it starts, as a
 * microphone's audio arrives no faster than the engine recognises it. Utterances end at `utteranceEnds` (samples).
 */
async function streamInLockstep(
  model: WhisperModel,
  audio: Float32Array,
  chunkSeconds: number,
  extra: StreamOptions = {},
  utteranceEnds: number[] = [],
): Promise<LiveRun> {
  const events: StreamEvent[] = [];
  const steps: LiveRun["steps"] = [];
  let committed = "";
  let wake: (() => void) | null = null;
  const session = model.startStream({ ...options, minChunkSeconds: chunkSeconds, ...extra }, (event) => {
    events.push(event);
    if (event.type === "committed") {
      committed += event.text;
      steps.push({ committed, live: committed + event.tentativeText });
    } else if (event.type === "utterance") {
      committed = "";
    }
    wake?.();
  });
  const nextEvent = () => new Promise<void>((resolve) => (wake = resolve));
  const chunk = Math.round(chunkSeconds * SAMPLE_RATE);
  const bounds = [...utteranceEnds, audio.length];
  let start = 0;
  for (const end of bounds) {
    for (let at = start; at < end; at += chunk) {
      const piece = audio.subarray(at, Math.min(at + chunk, end));
      const waiting = piece.length === chunk ? nextEvent() : null;
      session.push(piece);
      await waiting;
    }
    if (end !== audio.length) {
      const waiting = nextEvent();
      session.endUtterance();
      await waiting; // the last update
      await nextEvent(); // the final pass
    }
    start = end;
  }
  return { transcript: await session.finish(), events, steps };
}

/** Committed text is never taken back: every step's committed text begins every later step's live text. */
function expectCommittedNeverRetracted(steps: LiveRun["steps"]): void {
  for (let i = 1; i < steps.length; i++) {
    if (steps[i].committed.length < steps[i - 1].committed.length) continue; // a new utterance began
    expect(steps[i].live.startsWith(steps[i - 1].committed)).toBe(true);
    expect(steps[i].live.startsWith(steps[i].committed)).toBe(true);
  }
}

// Every backend this addon was built with (MLX only where it was found at build time).
const backends = buildInfo().backends as Array<"cpu" | "mlx">;
const runs = [
  { name: "verbatim-tiny-en", backend: "cpu" as const, chunks: [0.1, 0.32, 1], files: heldout.length },
  { name: "verbatim-tiny-en-4bit", backend: "cpu" as const, chunks: [0.32], files: 10 },
  ...(backends.includes("mlx")
    ? [
        { name: "verbatim-tiny-en", backend: "mlx" as const, chunks: [0.32], files: 10 },
        { name: "verbatim-tiny-en-4bit", backend: "mlx" as const, chunks: [0.32], files: 10 },
      ]
    : []),
];

describe.each(runs)("$name on $backend", ({ name, backend, chunks, files }) => {
  let model: WhisperModel;

  beforeAll(async () => {
    model = await WhisperModel.load(path.join(fixtures, "models", name), { backend, threads: 2 }).promise;
    model.setVocabulary(tokenizer.tokenBytesTable());
  });
  afterAll(() => model.free());

  test.each(chunks)("in %p s chunks: the final text equals transcribe's and live text only grows", async (chunk) => {
    const pairs: Array<{ reference: string; live: string; final: string }> = [];
    for (const item of heldout.slice(0, chunk < 0.3 ? 6 : files)) {
      const audio = samples.get(item.file)!;
      const run = await streamInLockstep(model, audio, chunk);
      const batch = await model.transcribe(audio, options).promise;

      expect(run.transcript.utterances).toHaveLength(1);
      const [utterance] = run.transcript.utterances;
      expect(utterance.text).toBe(batchText(batch.segments));
      expect(utterance.segments).toEqual(batch.segments);
      expectCommittedNeverRetracted(run.steps);
      expect(utterance.liveText).toBe(run.steps.at(-1)!.committed.trim());
      pairs.push({ reference: item.text, live: utterance.liveText, final: utterance.text });
    }
    const liveWer = wordErrorRate(pairs.map((p) => ({ reference: p.reference, hypothesis: p.live })));
    const finalWer = wordErrorRate(pairs.map((p) => ({ reference: p.reference, hypothesis: p.final })));
    console.log(
      `${name}, ${chunk} s chunks, ${pairs.length} files: live WER ${pct(liveWer)}, final WER ${pct(finalWer)}`,
    );
    // Regression bound on what the live text shows (8.0% fp16, 8.7-9.4% 4-bit on two machines and three OpenBLAS
    // kernels); the final text has transcribe's bound.
    expect(liveWer).toBeLessThanOrEqual(0.15);
  });
});

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

describe("a session", () => {
  let model: WhisperModel;

  beforeAll(async () => {
    model = await WhisperModel.load(path.join(fixtures, "models", "verbatim-tiny-en"), { threads: 2 }).promise;
    model.setVocabulary(tokenizer.tokenBytesTable());
  });
  afterAll(() => model.free());

  test("splits utterances where the caller says, each final text as transcribe gives it for that audio", async () => {
    const parts = heldout.slice(0, 3).map((item) => samples.get(item.file)!);
    const ends = [parts[0].length, parts[0].length + parts[1].length];
    const run = await streamInLockstep(model, concat(parts), 0.5, {}, ends);

    expect(run.transcript.utterances.map((u) => u.index)).toEqual([0, 1, 2]);
    let start = 0;
    for (const [i, part] of parts.entries()) {
      const utterance = run.transcript.utterances[i];
      const batch = await model.transcribe(part, options).promise;
      expect(utterance.text).toBe(batchText(batch.segments));
      expect(utterance.start).toBeCloseTo(start / SAMPLE_RATE, 6);
      expect(utterance.end).toBeCloseTo((start + part.length) / SAMPLE_RATE, 6);
      for (const [k, segment] of utterance.segments.entries()) {
        expect(segment.start).toBeCloseTo(batch.segments[k].start + start / SAMPLE_RATE, 6);
      }
      start += part.length;
    }
    expect(run.transcript.text).toBe(run.transcript.utterances.map((u) => u.text).join(" "));
    const utteranceEvents = run.events.filter((event) => event.type === "utterance");
    expect(utteranceEvents).toHaveLength(3);
  });

  test("keeps going past 30 s in one utterance: earlier text moves into the context, the final pass covers it all", async () => {
    const items = heldout.slice(0, 10);
    const audio = concat(items.map((item) => samples.get(item.file)!));
    expect(audio.length / SAMPLE_RATE).toBeGreaterThan(32);
    const run = await streamInLockstep(model, audio, 1);
    expectCommittedNeverRetracted(run.steps);

    const [utterance] = run.transcript.utterances;
    const batch = await model.transcribe(audio, options).promise;
    expect(utterance.text).toBe(batchText(batch.segments));
    const reference = items.map((item) => item.text).join(" ");
    const liveWer = wordErrorRate([{ reference, hypothesis: utterance.liveText }]);
    const finalWer = wordErrorRate([{ reference, hypothesis: utterance.text }]);
    console.log(
      `one ${(audio.length / SAMPLE_RATE).toFixed(1)} s utterance: live WER ${pct(liveWer)}, final ${pct(finalWer)}`,
    );
    // Committed text keeps arriving after the window first rolls over at 30 s.
    const late = run.events.filter((e) => e.type === "committed" && e.audioSeconds > 31 && e.text.trim() !== "");
    expect(late.length).toBeGreaterThan(0);
    // The fixture model knows one sentence per window and ends its text after one or two (issue 15), so most of
    // this utterance is never committed live: 81% on two machines and under three OpenBLAS kernels (default,
    // Sandybridge, Nehalem). A regression bound until the model learns more, with room for rounding to move a few
    // of its 69 words: live text that stops at the first rollover scores 100%.
    expect(liveWer).toBeLessThanOrEqual(0.95);
  });

  test("LocalAgreement-2 commits what consecutive updates agree on, with the same final pass", async () => {
    const item = heldout[3];
    const audio = samples.get(item.file)!;
    const run = await streamInLockstep(model, audio, 0.5, { policy: "localagreement" });
    expectCommittedNeverRetracted(run.steps);
    const batch = await model.transcribe(audio, options).promise;
    expect(run.transcript.utterances[0].text).toBe(batchText(batch.segments));
    expect(run.transcript.utterances[0].liveText.length).toBeGreaterThan(0);
  });

  test("pushing returns at once and falling behind coalesces updates", async () => {
    const audio = samples.get(heldout[0].file)!;
    const updates: number[] = [];
    const session = model.startStream({ ...options, minChunkSeconds: 0.1 }, (event) => {
      if (event.type === "committed") updates.push(event.audioSeconds);
    });
    const started = performance.now();
    for (let at = 0; at < audio.length; at += 1600) session.push(audio.subarray(at, at + 1600));
    expect(performance.now() - started).toBeLessThan(1000);
    const transcript = await session.finish();
    expect(updates.length).toBeLessThan(Math.ceil(audio.length / 1600));
    expect(updates.at(-1)).toBeCloseTo(audio.length / SAMPLE_RATE, 6);
    expect(transcript.utterances[0].text).toBe(batchText((await model.transcribe(audio, options).promise).segments));
  });

  test("bad input gets a typed error or does nothing, and the session carries on", async () => {
    const audio = samples.get(heldout[1].file)!;
    const session = model.startStream(options);
    session.push(new Float32Array(0));
    expect(() => session.push(Float32Array.of(0, Number.NaN))).toThrow(InvalidArgumentError);
    expect(() => session.push(Float32Array.of(Number.POSITIVE_INFINITY))).toThrow(InvalidArgumentError);
    expect(() => session.push(new Float64Array(4) as unknown as Float32Array)).toThrow(InvalidArgumentError);
    session.push(audio);
    const first = session.finish();
    const second = session.finish();
    expect(() => session.push(audio)).toThrow(StreamClosedError);
    const [a, b] = await Promise.all([first, second]);
    expect(b).toBe(a);
    expect(a.utterances[0].text).toBe(batchText((await model.transcribe(audio, options).promise).segments));
  });

  test("rejects bad options before starting", () => {
    expect(() => model.startStream({ ...options, frameThreshold: -1 })).toThrow(InvalidArgumentError);
    expect(() => model.startStream({ ...options, minChunkSeconds: 0 })).toThrow(InvalidArgumentError);
    expect(() => model.startStream({ ...options, maxContextTokens: 10_000 })).toThrow(InvalidArgumentError);
    expect(() => model.startStream({ ...options, alignmentHeads: [] })).toThrow(/alignment heads/);
    expect(() => model.startStream({ ...options, alignmentHeads: [[9, 0]] })).toThrow(InvalidArgumentError);
    expect(() => model.startStream({ ...options, policy: "sometimes" as unknown as StreamOptions["policy"] })).toThrow(
      InvalidArgumentError,
    );
  });

  test("cancel stops at once, mid-update or idle, and the session's promise says so", async () => {
    const audio = concat(heldout.slice(0, 8).map((item) => samples.get(item.file)!));
    const errors: Error[] = [];
    const busy = model.startStream(options, (event) => event.type === "error" && errors.push(event.error));
    busy.push(audio);
    busy.endUtterance();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = performance.now();
    busy.cancel();
    await expect(busy.done).rejects.toBeInstanceOf(CancelledError);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(errors[0]).toBeInstanceOf(CancelledError);
    expect(() => busy.push(audio)).toThrow(StreamClosedError);

    const idle = model.startStream(options);
    idle.cancel();
    await expect(idle.finish()).rejects.toBeInstanceOf(CancelledError);
  });

  test("a model freed mid-session finishes the session first", async () => {
    const other = await WhisperModel.load(path.join(fixtures, "models", "verbatim-tiny-en"), { threads: 1 }).promise;
    other.setVocabulary(tokenizer.tokenBytesTable());
    const audio = samples.get(heldout[2].file)!;
    const session = other.startStream(options);
    session.push(audio.subarray(0, 16_000));
    other.free();
    session.push(audio.subarray(16_000));
    const transcript = await session.finish();
    expect(transcript.utterances[0].text).toBe(batchText((await model.transcribe(audio, options).promise).segments));
    expect(() => other.startStream(options)).toThrow(/freed/);
  });
});
