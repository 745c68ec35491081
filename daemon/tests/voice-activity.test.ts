// Silero VAD detectors share the process's one copy of the weights: streams detected at the same time must still
// each hear only their own audio, a new stream must start from silence whatever streams came before it, and a file's
// frames worked out in one batch (off the event loop) must be the frames heard one by one.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadAudio } from "../src/audio";
import { SileroVad } from "../src/audio/voice-activity";
import { repoRoot } from "../../test/support/fixtures";

const files = ["heldout-00.wav", "heldout-05.wav", "heldout-11.wav"];
let audio: Int16Array[];

beforeAll(async () => {
  audio = await Promise.all(
    files.map(async (name) => {
      const samples = (await loadAudio(path.join(repoRoot, "test", "fixtures", "heldout", name))).samples;
      return Int16Array.from(samples, (s) => Math.max(-32768, Math.min(32767, Math.round(s * 32768))));
    }),
  );
});

async function detect(detector: SileroVad, pcm: Int16Array): Promise<number[]> {
  const out = [];
  for (let i = 0; i + 512 <= pcm.length; i += 512) out.push(await detector.speechProbability(pcm.subarray(i, i + 512)));
  return out;
}

test("detectors in use at once keep their own state: each file's probabilities are the same as through a detector alone", async () => {
  const alone = [];
  for (const pcm of audio) alone.push(await detect(await SileroVad.create(), pcm));
  // Real speech, so the state matters: each file has frames heard as speech and frames heard as silence.
  for (const file of alone) {
    expect(file.some((p) => p > 0.5)).toBe(true);
    expect(file.some((p) => p < 0.1)).toBe(true);
  }
  const detectors = await Promise.all(audio.map(() => SileroVad.create()));
  const together = await Promise.all(audio.map((pcm, i) => detect(detectors[i], pcm)));
  expect(together).toEqual(alone);
  expect(await detect(await SileroVad.create(), audio[0])).toEqual(alone[0]);
});

test("a file's frames, read and worked out off the event loop, give the probabilities of the same frames one by one", async () => {
  const pcm = audio[1];
  const oneByOne = await detect(await SileroVad.create(), pcm);
  const folder = mkdtempSync(path.join(os.tmpdir(), "voice-activity-"));
  try {
    const samplesFile = path.join(folder, "samples.f32");
    writeFileSync(
      samplesFile,
      Float32Array.from(pcm, (s) => s / 32768),
    );
    const detector = await SileroVad.create();
    const cut = 512 * 40; // two stretches, the stream's state carried from one to the next
    const first = await detector.fileProbabilities(samplesFile, 0, cut);
    const rest = await detector.fileProbabilities(samplesFile, cut, pcm.length - cut);
    expect([...first, ...rest]).toEqual(oneByOne.map((p) => Math.fround(p)));
    await expect(detector.fileProbabilities(samplesFile, 0, pcm.length + 1)).rejects.toThrow(
      `the samples file has ${pcm.length} samples, not ${pcm.length + 1}`,
    );
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});
