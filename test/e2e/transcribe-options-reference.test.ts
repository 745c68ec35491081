// openai's clip_timestamps and hallucination_silence_threshold on the real engine, against the independent PyTorch
// Whisper running openai's transcribe() loop with them (test/reference/whisper_reference.py transcribe): the same
// windows at the same seeks, the same tokens (but where a near-tie parts the runs), the same segments, times and
// words. The audio with pauses is made by sox, the clips lie inside a held-out long file.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { alignmentHeadsFor, WhisperModel, type AlignmentHeads, type TranscribeOptions } from "../../native/lib";
import { loadAudio } from "../../daemon/src/audio";
import { loadTokenizer, type Tokenizer } from "../../daemon/src/tokenizer";
import { fixtureModel, repoRoot } from "../support/fixtures";
import {
  compareWithReference,
  engineTranscribe,
  referenceTranscribe,
  writeSamples,
  type ReferenceOptions,
  type ReferenceTranscript,
} from "../support/reference-transcribe";

jest.setTimeout(900_000);

const MODEL = "verbatim-tiny-en";
const heldout = (file: string) => path.join(repoRoot, "test", "fixtures", "heldout", file);
const FORMAT = ["-r", "16000", "-c", "1", "-b", "16"];

let tokenizer: Tokenizer;
let model: WhisperModel;
let heads: AlignmentHeads;
let workDir: string;
const audio = new Map<string, { samples: Float32Array; file: string }>();

/** sox -R: its noise the same on every run. */
const sox = (args: string[]) => execFileSync("sox", ["-R", ...args], { stdio: "pipe" });

async function addAudio(name: string, file: string): Promise<void> {
  const { samples } = await loadAudio(file);
  audio.set(name, { samples, file: writeSamples(path.join(workDir, `${name}.f32`), samples) });
}

beforeAll(async () => {
  tokenizer = await loadTokenizer({ nVocab: 51864 });
  workDir = mkdtempSync(path.join(os.tmpdir(), "verbatim-options-reference-"));
  model = await WhisperModel.load(fixtureModel(MODEL), { threads: 2 }).promise;
  model.setVocabulary(tokenizer.tokenBytesTable());
  const info = model.info();
  heads = alignmentHeadsFor(info.dims, info.storedAlignmentHeads);

  await addAudio("long-02", path.join(repoRoot, "test", "fixtures", "heldout-long", "long-02.flac"));
  const part = (name: string) => path.join(workDir, `${name}.wav`);
  // A sentence, 5 s of digital silence, another sentence.
  sox([heldout("heldout-00.wav"), ...FORMAT, part("first")]);
  sox([heldout("heldout-03.wav"), ...FORMAT, part("second")]);
  sox(["-n", ...FORMAT, part("silence"), "trim", "0", "5"]);
  sox([part("first"), part("silence"), part("second"), part("pause")]);
  await addAudio("pause", part("pause"));
  // 5 s of pink noise (peak -35 dBFS), then a sentence.
  sox(["-n", ...FORMAT, part("noise"), "synth", "5", "pinknoise", "gain", "-n", "-35"]);
  sox([heldout("heldout-02.wav"), ...FORMAT, part("third")]);
  sox([part("noise"), part("third"), part("noise-first")]);
  await addAudio("noise-first", part("noise-first"));
});

afterAll(() => {
  model?.free();
  rmSync(workDir, { recursive: true, force: true });
});

interface Case {
  audio: string;
  clipTimestamps?: number[];
  hallucinationSilenceThreshold?: number;
  wordTimestamps: boolean;
}

/** The case on the engine and on the reference; expects them equal and returns the reference's run. */
async function expectEqualToReference(c: Case): Promise<ReferenceTranscript> {
  const { samples, file } = audio.get(c.audio)!;
  const suppressTokens = tokenizer.resolveSuppressTokens("-1");
  const engineOptions: TranscribeOptions = { timestamps: true, wordTimestamps: c.wordTimestamps, suppressTokens };
  const referenceOptions: ReferenceOptions = { suppressTokens };
  if (c.wordTimestamps) {
    engineOptions.alignmentHeads = heads;
    referenceOptions.alignmentHeads = heads;
  }
  if (c.clipTimestamps) {
    engineOptions.clipTimestamps = c.clipTimestamps;
    referenceOptions.clipTimestamps = c.clipTimestamps;
  }
  if (c.hallucinationSilenceThreshold !== undefined) {
    engineOptions.hallucinationSilenceThreshold = c.hallucinationSilenceThreshold;
    referenceOptions.hallucinationSilenceThreshold = c.hallucinationSilenceThreshold;
  }
  const engine = await engineTranscribe(model, samples, engineOptions);
  const reference = await referenceTranscribe(fixtureModel(MODEL), file, referenceOptions, workDir);
  const comparison = compareWithReference(reference, engine);
  console.log(
    `${JSON.stringify(c)}: ${comparison.windowsCompared} of ${reference.windows.length} windows compared` +
      (comparison.nearTieAt === null ? "" : `, parted at a near-tie in window ${comparison.nearTieAt}`) +
      `; hallucination rules: ${JSON.stringify(reference.hallucinations.map((h) => h.rule))}; text: ${reference.text}`,
  );
  expect({ case: c, mismatches: comparison.mismatches }).toEqual({ case: c, mismatches: [] });
  return reference;
}

describe("clip_timestamps", () => {
  const clips = [5, 20, 32.5, 47];
  const inClips = (seek: number) => (seek >= 500 && seek < 2000) || (seek >= 3250 && seek < 4700);

  test.each([false, true])(
    "two clips inside a held-out long file (word timestamps %s): the engine decodes what PyTorch does",
    async (wordTimestamps) => {
      const reference = await expectEqualToReference({ audio: "long-02", clipTimestamps: clips, wordTimestamps });
      const seeks = reference.windows.map((w) => w.seek);
      expect(seeks.filter((seek) => !inClips(seek))).toEqual([]);
      // Both clips were decoded, and no window reads past its clip's end.
      expect(seeks.some((seek) => seek < 2000) && seeks.some((seek) => seek >= 3250)).toBe(true);
      for (const window of reference.windows) {
        expect(window.seek + window.segment_size).toBeLessThanOrEqual(window.seek < 2000 ? 2000 : 4700);
      }
    },
  );

  test("a clip without an end runs to the end of the audio; an end past the audio is cut to it", async () => {
    const open = await expectEqualToReference({ audio: "long-02", clipTimestamps: [60], wordTimestamps: false });
    expect(open.windows[0].seek).toBe(6000);
    const last = open.windows[open.windows.length - 1];
    expect(last.seek + last.segment_size).toBe(open.content_frames);
    await expectEqualToReference({ audio: "long-02", clipTimestamps: [0, 5, 70, 1000], wordTimestamps: false });
  });
});

describe("hallucination_silence_threshold", () => {
  test("sentences with silence or noise between and before them: the engine skips what PyTorch skips", async () => {
    const rules = new Set<string>();
    for (const c of [
      { audio: "pause", hallucinationSilenceThreshold: 4, wordTimestamps: true },
      { audio: "pause", hallucinationSilenceThreshold: 0.3, wordTimestamps: true },
      { audio: "noise-first", hallucinationSilenceThreshold: 0.6, wordTimestamps: true },
      { audio: "noise-first", clipTimestamps: [1], hallucinationSilenceThreshold: 0.6, wordTimestamps: true },
    ]) {
      const reference = await expectEqualToReference(c);
      for (const h of reference.hallucinations) rules.add(h.rule);
    }
    // Both of openai's rules acted on this audio (else the comparison would not test them: choose other pauses).
    expect([...rules].sort()).toEqual(["leading silence", "surrounded by silence"]);
  });

  test("without word timestamps the threshold changes nothing, as in openai's transcribe()", async () => {
    const { samples } = audio.get("pause")!;
    const options: TranscribeOptions = { timestamps: true, suppressTokens: tokenizer.resolveSuppressTokens("-1") };
    const plain = await engineTranscribe(model, samples, options);
    const withThreshold = await engineTranscribe(model, samples, { ...options, hallucinationSilenceThreshold: 0.3 });
    expect(withThreshold).toEqual(plain);
  });
});
