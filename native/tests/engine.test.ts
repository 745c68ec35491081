import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  buildInfo,
  CancelledError,
  InvalidArgumentError,
  ModelFormatError,
  WhisperModel,
  type Backend,
  type TranscribeEvent,
  type TranscribeResult,
} from "../lib";
import { englishVocabulary, jfkSpeech, makeRandomModel, smallEnglishDims } from "../../test/support/fixtures";

jest.setTimeout(120_000);

const speech = jfkSpeech();
let folder: string;
beforeAll(() => {
  folder = makeRandomModel(smallEnglishDims, ["--dtype", "float16", "--seed", "7"]);
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

// Every test that runs the model runs on each backend this addon was built with.
describe.each(buildInfo().backends as Backend[])("on the %s backend", (backend) => {
  let model: WhisperModel;

  beforeAll(async () => {
    model = await WhisperModel.load(folder, { backend, threads: 2 }).promise;
    model.setVocabulary(englishVocabulary());
  });

  afterAll(() => model.free());

  test("a loaded model reports its dims, backend and load time", () => {
    const info = model.info();
    expect(info.dims).toEqual({
      nMels: 80,
      nAudioCtx: 1500,
      nAudioState: 64,
      nAudioHead: 2,
      nAudioLayer: 1,
      nVocab: 51864,
      nTextCtx: 64,
      nTextState: 64,
      nTextHead: 2,
      nTextLayer: 1,
    });
    expect(info.backend).toBe(backend);
    expect(info.device).toBe(backend === "mlx" && buildInfo().mlxGpu ? "gpu" : "cpu");
    expect(info.quantization).toBeNull();
    expect(info.weightsPath).toBe(path.join(folder, "weights.safetensors"));
    expect(info.loadSeconds).toBeGreaterThan(0);
  });

  test("transcription streams events off the event loop and ends with the segments it streamed", async () => {
    const events: TranscribeEvent[] = [];
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 1);
    const result = await model.transcribe(speech, { temperatures: [0] }, (event) => events.push(event)).promise;
    clearInterval(ticker);

    expect(ticks).toBeGreaterThan(5);
    const streamed = events.flatMap((event) => (event.type === "segment" ? [event.segment] : []));
    expect(streamed).toEqual(result.segments);
    expect(events.some((event) => event.type === "token")).toBe(true);
    const progress = events.filter((event) => event.type === "progress");
    expect(progress.at(-1)).toMatchObject({ doneFrames: progress.at(-1)?.totalFrames });
    expect(result.language).toBe("en");
  });

  test("greedy transcription is deterministic", async () => {
    const tokens = (result: TranscribeResult) => result.segments.flatMap((segment) => segment.tokens);
    const first = await model.transcribe(speech, { temperatures: [0] }).promise;
    const second = await model.transcribe(speech, { temperatures: [0] }).promise;
    expect(tokens(second)).toEqual(tokens(first));
  });

  // Events reach JS after the engine thread queued them, so how many tokens follow a cancel measures the event
  // loop, not the engine (the C++ decoding tests check that no model call follows a cancel). Here: a ten-window
  // job cancelled at its first token never gets to its last window.
  test("a cancelled job stops early and rejects with CancelledError", async () => {
    const long = new Float32Array(16000 * 300);
    long.set(speech);
    let finishedAll = false;
    const job = model.transcribe(long, { temperatures: [0] }, (event) => {
      if (event.type === "token") job.cancel();
      if (event.type === "progress" && event.doneFrames === event.totalFrames) finishedAll = true;
    });
    await expect(job.promise).rejects.toBeInstanceOf(CancelledError);
    expect(finishedAll).toBe(false);
  });

  test("a file of float samples transcribes as the same samples in memory; a missing or ragged one is an error", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "verbatim-samples-"));
    try {
      // Three times the speech, 33 s: the file is read a window at a time, the second from where the first ended.
      const samples = new Float32Array(speech.length * 3);
      for (let copy = 0; copy < 3; copy++) samples.set(speech, copy * speech.length);
      const file = path.join(dir, "samples.f32");
      writeFileSync(file, new Uint8Array(samples.buffer));
      const tokens = (result: TranscribeResult) => result.segments.flatMap((segment) => segment.tokens);
      const fromMemory = await model.transcribe(samples, { temperatures: [0] }).promise;
      const fromFile = await model.transcribe(file, { temperatures: [0] }).promise;
      expect(tokens(fromMemory).length).toBeGreaterThan(0);
      expect(tokens(fromFile)).toEqual(tokens(fromMemory));
      expect(fromFile.segments.map((segment) => segment.seek)).toEqual(fromMemory.segments.map((s) => s.seek));
      expect(fromMemory.segments.some((segment) => segment.seek > 0)).toBe(true);

      writeFileSync(path.join(dir, "ragged.f32"), new Uint8Array(4 * 100 + 3));
      await expect(model.transcribe(path.join(dir, "ragged.f32")).promise).rejects.toThrow(
        /is not whole 32-bit float samples/,
      );
      await expect(model.transcribe(path.join(dir, "missing.f32")).promise).rejects.toThrow(
        /could not open the decoded audio/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("bad options are refused at once with InvalidArgumentError", () => {
    expect(() => model.transcribe(speech, { task: "summarise" as "transcribe" })).toThrow(InvalidArgumentError);
    expect(() => model.transcribe(speech, { language: "de" })).toThrow(/English-only/);
    expect(() => model.transcribe(speech, { suppressTokens: [-5] })).toThrow(InvalidArgumentError);
    expect(() => model.transcribe(speech, { clipTimestamps: [-1, 2] })).toThrow(/clipTimestamps/);
    expect(() => model.transcribe(speech, { clipTimestamps: "0,2" as unknown as number[] })).toThrow(/clipTimestamps/);
    expect(() => model.transcribe(speech, { hallucinationSilenceThreshold: -1 })).toThrow(InvalidArgumentError);
    expect(() => model.transcribe(new Float64Array(10) as unknown as Float32Array)).toThrow(/Float32Array/);
  });

  test("language detection needs a multilingual model", async () => {
    await expect(model.detectLanguage(speech).promise).rejects.toThrow(/English-only/);
  });

  test("a freed model refuses new work, but a job already running finishes", async () => {
    const other = await WhisperModel.load(folder, { backend }).promise;
    other.setVocabulary(englishVocabulary());
    const running = other.transcribe(speech, { temperatures: [0] });
    other.free();
    await expect(running.promise).resolves.toHaveProperty("segments");
    expect(() => other.info()).toThrow(/freed/);
  });
});

describe("model folders that cannot be used", () => {
  const scratch = mkdtempSync(path.join(os.tmpdir(), "verbatim-bad-model-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  test("a missing folder names the file it looked for", async () => {
    await expect(WhisperModel.load(path.join(scratch, "absent")).promise).rejects.toThrow(ModelFormatError);
    await expect(WhisperModel.load(path.join(scratch, "absent")).promise).rejects.toThrow(/config\.json/);
  });

  test("truncated weights are a ModelFormatError, and the process carries on", async () => {
    const truncated = path.join(scratch, "truncated");
    rmSync(truncated, { recursive: true, force: true });
    mkdirSync(truncated);
    copyFileSync(path.join(folder, "config.json"), path.join(truncated, "config.json"));
    const weights = readFileSync(path.join(folder, "weights.safetensors"));
    writeFileSync(path.join(truncated, "weights.safetensors"), weights.subarray(0, weights.length / 2));
    await expect(WhisperModel.load(truncated).promise).rejects.toThrow(/weights\.safetensors/);
    const model = await WhisperModel.load(folder).promise;
    expect(model.info().dims.nVocab).toBe(51864);
    model.free();
  });
});
