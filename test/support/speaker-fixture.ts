// The engine's speaker fixtures, and who speaks when in a recording by one, run in the test's own process: the tiny
// random-weight model (test/fixtures/models/diarization-tiny) tells no one apart, so what the daemon says about
// speakers is checked against this, not against the conversation's truth; the trained one (diarization-trained) is
// also scored against the truth.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type LoadOptions, SpeakerModel, type SpeakerSegment } from "@verbatim/native";
import { decodeAudioToFile } from "../../daemon/src/audio";
import { fixtureModel } from "./fixtures";

export const speakerModelFolder = fixtureModel("diarization-tiny");
export const trainedSpeakerModelFolder = fixtureModel("diarization-trained");

/** Who speaks when in `recording`, by a fixture speaker model run on the samples the daemon decodes from it. */
export async function fixtureSpeakerSegments(
  recording: string,
  modelFolder = speakerModelFolder,
  options: LoadOptions = {},
): Promise<SpeakerSegment[]> {
  const folder = mkdtempSync(path.join(os.tmpdir(), "speakers-"));
  try {
    const file = path.join(folder, "samples.f32");
    await decodeAudioToFile(recording, file);
    const bytes = readFileSync(file);
    const samples = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    const model = await SpeakerModel.load(modelFolder, { threads: 2, ...options });
    try {
      return (await model.diarize(samples)).segments;
    } finally {
      model.close();
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
