// Silero VAD detectors share the daemon's one ONNX Runtime session (issue 39): streams detected at the same time must
// still each hear only their own audio, and a new stream must start from silence, whatever streams came before it.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadAudio } from "../src/audio";
import { repoRoot } from "../../test/support/fixtures";

jest.setTimeout(60_000);

let work: string;
const pcmFiles: string[] = [];

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), "voice-activity-"));
  for (const name of ["heldout-00.wav", "heldout-05.wav", "heldout-11.wav"]) {
    const samples = (await loadAudio(path.join(repoRoot, "test", "fixtures", "heldout", name))).samples;
    const pcm = Int16Array.from(samples, (s) => Math.max(-32768, Math.min(32767, Math.round(s * 32768))));
    const file = path.join(work, name.replace(".wav", ".pcm"));
    writeFileSync(file, pcm);
    pcmFiles.push(file);
  }
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Probabilities {
  /** Each file through a detector of its own, one after another. */
  alone: number[][];
  /** The same files through new detectors, all at once: their frames take turns on the session. */
  together: number[][];
  /** The first file again, through a detector made after all the others. */
  again: number[];
}

/**
 * Silero's speech probabilities for each file, frame by frame, in plain Node on the built code (ONNX Runtime makes
 * its tensors in Node's own realm, which Jest's sandbox cannot host).
 */
function probabilities(files: string[]): Probabilities {
  const script = `
    const { SileroVad } = require(${JSON.stringify(path.join(repoRoot, "daemon", "dist", "audio", "voice-activity.js"))});
    const audio = ${JSON.stringify(files)}.map((file) => {
      const bytes = require("fs").readFileSync(file);
      return new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2);
    });
    const detect = async (detector, pcm) => {
      const out = [];
      for (let i = 0; i + 512 <= pcm.length; i += 512) out.push(await detector.speechProbability(pcm.subarray(i, i + 512)));
      return out;
    };
    (async () => {
      const alone = [];
      for (const pcm of audio) alone.push(await detect(await SileroVad.create(), pcm));
      const detectors = await Promise.all(audio.map(() => SileroVad.create()));
      const together = await Promise.all(audio.map((pcm, i) => detect(detectors[i], pcm)));
      const again = await detect(await SileroVad.create(), audio[0]);
      console.log(JSON.stringify({ alone, together, again }));
    })();`;
  return JSON.parse(execFileSync(process.execPath, ["-e", script]).toString()) as Probabilities;
}

test("detectors in use at once keep their own state: each file's probabilities are the same as through a detector alone", () => {
  const { alone, together, again } = probabilities(pcmFiles);
  // Real speech, so the state matters: each file has frames heard as speech and frames heard as silence.
  for (const file of alone) {
    expect(file.some((p) => p > 0.5)).toBe(true);
    expect(file.some((p) => p < 0.1)).toBe(true);
  }
  expect(together).toEqual(alone);
  expect(again).toEqual(alone[0]);
});
