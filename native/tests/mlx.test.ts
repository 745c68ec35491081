// The MLX backend through the Node API: what it reports, its memory controls, and transcripts identical to the
// portable CPU backend's at temperature 0. The shared engine tests (engine.test.ts) also run on it.
import { readdirSync, rmSync } from "node:fs";
import path from "node:path";
import {
  buildInfo,
  InvalidArgumentError,
  NemotronModel,
  SpeakerModel,
  WhisperModel,
  type ParakeetTranscript,
  type TranscribeResult,
} from "../lib";
import {
  englishVocabulary,
  jfkSpeech,
  makeRandomModel,
  readSimpleWav,
  repoRoot,
  smallEnglishDims,
} from "../../test/support/fixtures";

jest.setTimeout(120_000);

const mlxBuilt = buildInfo().backends.includes("mlx");
const withMlx = mlxBuilt ? test : test.skip;
const withoutMlx = mlxBuilt ? test.skip : test;
const skipReason = mlxBuilt ? "" : " [skipped: this addon was built without MLX (no MLXConfig.cmake was found)]";

const speech = jfkSpeech();
const tokens = (result: TranscribeResult) => result.segments.map((segment) => segment.tokens);

async function transcribeOn(folder: string, backend: "cpu" | "mlx", clips = [speech]): Promise<TranscribeResult[]> {
  const model = await WhisperModel.load(folder, { backend, threads: 2 }).promise;
  try {
    model.setVocabulary(englishVocabulary());
    const results: TranscribeResult[] = [];
    for (const clip of clips) {
      results.push(await model.transcribe(clip, { temperatures: [0], wordTimestamps: true }).promise);
    }
    return results;
  } finally {
    model.free();
  }
}

const fixtureModels = path.join(repoRoot, "test", "fixtures", "models");
const heldout = path.join(repoRoot, "test", "fixtures", "heldout");

describe(`the MLX backend${skipReason}`, () => {
  const folders: string[] = [];
  const model = (args: string[]) => {
    folders.push(makeRandomModel(smallEnglishDims, args));
    return folders[folders.length - 1];
  };
  afterAll(() => folders.forEach((folder) => rmSync(folder, { recursive: true, force: true })));

  withMlx("reports the MLX backend, its device and MLX's memory", async () => {
    const loaded = await WhisperModel.load(model(["--dtype", "float16", "--seed", "3"]), { backend: "mlx" }).promise;
    try {
      expect(loaded.info()).toMatchObject({ backend: "mlx", device: buildInfo().mlxGpu ? "gpu" : "cpu" });
      const memory = loaded.memory();
      expect(memory?.activeBytes).toBeGreaterThan(0);
      expect(memory?.peakBytes).toBeGreaterThanOrEqual(memory?.activeBytes ?? Infinity);
    } finally {
      loaded.free();
    }
  });

  withMlx("transcripts at temperature 0 are identical to the CPU backend's, fp16 and 4-bit", async () => {
    for (const args of [
      ["--dtype", "float16", "--seed", "7"],
      ["--dtype", "float16", "--seed", "7", "--quantize", "4", "--group-size", "64"],
    ]) {
      const folder = model(args);
      const [[cpu], [mlx]] = [await transcribeOn(folder, "cpu"), await transcribeOn(folder, "mlx")];
      expect(tokens(cpu).flat().length).toBeGreaterThan(0);
      expect(tokens(mlx)).toEqual(tokens(cpu));
      expect(mlx.segments.map((s) => [s.start, s.end])).toEqual(cpu.segments.map((s) => [s.start, s.end]));
    }
  });

  withMlx(
    "the trained fixture models transcribe the held-out speech identically on MLX and CPU",
    async () => {
      const clips = readdirSync(heldout)
        .filter((name) => name.endsWith(".wav"))
        .sort()
        .slice(0, 4) // the under-trained models ramble to the full text context: four clips keep this test in time
        .map((name) => readSimpleWav(path.join(heldout, name)));
      expect(clips.length).toBeGreaterThan(0);
      for (const name of ["verbatim-tiny-en", "verbatim-tiny-en-4bit"]) {
        const folder = path.join(fixtureModels, name);
        const [cpu, mlx] = [await transcribeOn(folder, "cpu", clips), await transcribeOn(folder, "mlx", clips)];
        expect({ name, tokens: mlx.map(tokens) }).toEqual({ name, tokens: cpu.map(tokens) });
      }
    },
    600_000,
  );

  withMlx(
    "a Nemotron streaming model transcribes identically on MLX and CPU, as stored and packed to 4 bits",
    async () => {
      const clip = readSimpleWav(path.join(heldout, "heldout-04.wav"));
      for (const quantize of [undefined, "4bit"] as const) {
        const results: ParakeetTranscript[] = [];
        for (const backend of ["cpu", "mlx"] as const) {
          const model = await NemotronModel.load(path.join(fixtureModels, "nemotron-tiny-3.5"), {
            backend,
            threads: 2,
            quantize,
          }).promise;
          try {
            expect(model.info()).toMatchObject({ backend });
            results.push(await model.transcribe(clip, () => {}).promise);
          } finally {
            model.free();
          }
        }
        const [cpu, mlx] = results;
        expect(cpu.tokens.length).toBeGreaterThan(0);
        // Probabilities differ by float rounding (bounded in nemotron_mlx_test.cpp); ids and times are exact.
        const timed = (result: ParakeetTranscript) => result.tokens.map(({ id, start, end }) => [id, start, end]);
        expect({ quantize, tokens: timed(mlx) }).toEqual({ quantize, tokens: timed(cpu) });
      }
    },
  );

  withMlx("the speaker model gives the same segments on MLX and CPU, offline and streaming", async () => {
    const samples = readSimpleWav(path.join(heldout, "heldout-00.wav"));
    const runs = [];
    for (const backend of ["cpu", "mlx"] as const) {
      const model = await SpeakerModel.load(path.join(fixtureModels, "diarization-tiny"), { backend, threads: 2 });
      try {
        expect(model.info()).toMatchObject({
          backend,
          device: backend === "mlx" && buildInfo().mlxGpu ? "gpu" : "cpu",
        });
        const offline = await model.diarize(samples);
        const stream = model.stream({ mode: "ultra_low_latency" });
        await stream.push(samples);
        runs.push({ offline: offline.segments, streaming: (await stream.finish()).segments });
      } finally {
        model.close();
      }
    }
    // Probabilities differ by float rounding (bounded in speaker_mlx_test.cpp); segments are exact.
    expect(runs[0].offline.length).toBeGreaterThan(0);
    expect(runs[1]).toEqual(runs[0]);
  });

  withMlx("a cache limit of 0 from the load options keeps no freed memory", async () => {
    const loaded = await WhisperModel.load(model(["--dtype", "float16", "--seed", "5"]), {
      backend: "mlx",
      mlxCacheLimitBytes: 0,
    }).promise;
    try {
      loaded.setVocabulary(englishVocabulary());
      await loaded.transcribe(speech, { temperatures: [0] }).promise;
      expect(loaded.memory()?.cacheBytes).toBe(0);
    } finally {
      loaded.free();
    }
  });
});

withoutMlx("without MLX built in, the mlx backend is refused with how to get MLX", async () => {
  const folder = makeRandomModel(smallEnglishDims, ["--seed", "2"]);
  try {
    await expect(WhisperModel.load(folder, { backend: "mlx" }).promise).rejects.toThrow(/brew install mlx/);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

withoutMlx("without MLX built in, the speaker model's mlx backend is refused with how to get MLX", async () => {
  await expect(SpeakerModel.load(path.join(fixtureModels, "diarization-tiny"), { backend: "mlx" })).rejects.toThrow(
    /brew install mlx/,
  );
});

test("MLX memory limits must be whole byte counts", () => {
  expect(() => WhisperModel.load("/nonexistent", { mlxCacheLimitBytes: -1 })).toThrow(InvalidArgumentError);
  expect(() => WhisperModel.load("/nonexistent", { mlxWiredLimitBytes: 1.5 })).toThrow(/whole number/);
});
