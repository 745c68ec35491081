// Models with damaged or degenerate weights in the real daemon (issue 60): a NaN or an infinity in a weight or a
// quantization scale or bias is refused at load, naming the file and the tensor (Whisper and Parakeet, stored as fp16
// or MLX-quantized); a Parakeet model whose finite weights are degenerate (all zero, all the largest fp16) writes
// only "<unk>" for speech, and its jobs and dictations fail saying the model is broken, not "no speech". The daemon
// keeps serving its own model throughout.
import { rmSync } from "node:fs";
import path from "node:path";
import type { DaemonClient } from "../../daemon/src/client";
import { heldoutWav, pcmOf, sendPcm, startDictation } from "../support/dictation";
import { DaemonProcess } from "../support/daemon-process";
import { fixtureModel } from "../support/fixtures";
import { editedModel, elements, filled, isFloat, type TensorInfo } from "../support/safetensors";

jest.setTimeout(240_000);

const wav = heldoutWav("heldout-07.wav");
const SPOKEN = "The level far damage fund regular receive.";
const made: string[] = [];
let daemon: DaemonProcess;
let client: DaemonClient;

/** A copy of a fixture model with the tensors `pick` chooses filled with `value`. */
function filledModel(fixture: string, pick: (tensor: TensorInfo) => boolean, value: number | "largest"): string {
  const file = fixture.startsWith("verbatim") ? "weights.safetensors" : "model.safetensors";
  const folder = editedModel(fixtureModel(fixture), file, (tensor) =>
    isFloat(tensor) && pick(tensor) ? filled(tensor.dtype, elements(tensor), value) : null,
  );
  made.push(folder);
  return folder;
}

beforeAll(async () => {
  daemon = await DaemonProcess.ready({ model: fixtureModel(), threads: 2 });
  client = await daemon.connect();
});

afterAll(async () => {
  client?.close();
  await daemon?.dispose();
  for (const folder of made) rmSync(folder, { recursive: true, force: true });
});

/** The daemon still answers, with the good model's text. */
async function stillServing(): Promise<void> {
  const transcript = await client.transcribeFile(wav, { options: { model: fixtureModel() } }).promise;
  expect(transcript).toMatchObject({ text: SPOKEN, model: fixtureModel() });
}

test.each([
  ["a Parakeet model's joint bias", "parakeet-tiny", "joint.joint_net.2.bias", NaN, "holds NaN (element 0 of 70, F16)"],
  [
    "a Parakeet model's MLX-quantized biases",
    "parakeet-tiny-v3-4bit",
    "encoder.layers.1.self_attn.linear_q.biases",
    -Infinity,
    "holds -inf (element 0 of 64, F16)",
  ],
  [
    "a Whisper model's MLX-quantized scales",
    "verbatim-tiny-en-4bit",
    "decoder.blocks.0.mlp1.scales",
    NaN,
    "holds NaN (element 0 of 1024, F16)",
  ],
  [
    "a Whisper model's fp16 weight",
    "verbatim-tiny-en",
    "encoder.blocks.2.attn.query.weight",
    Infinity,
    "holds +inf (element 0 of 16384, F16)",
  ],
])("a NaN or an infinity in %s is refused at load, naming the tensor", async (_what, fixture, tensor, value, held) => {
  const folder = filledModel(fixture, (t) => t.name === tensor, value);
  const file = path.join(folder, fixture.startsWith("verbatim") ? "weights.safetensors" : "model.safetensors");
  const run = await daemon.cli("transcribe", "--model", folder, wav);
  expect(run.code).toBe(4);
  expect(run.stderr).toContain(`${file}: tensor "${tensor}" ${held}: the model's weights are damaged`);
  await stillServing();
});

describe("a Parakeet model whose finite weights are degenerate", () => {
  const broken = (folder: string) => `the model ${folder} wrote only "<unk>" (its unknown piece, `;

  test.each([
    ["all zero", 0],
    ["all the largest fp16 (norms aside)", "largest"],
  ] as const)("%s: a file job fails saying the model is broken, not that it heard no speech", async (_what, value) => {
    const folder = filledModel("parakeet-tiny", (t) => !/norm|running_var/.test(t.name), value);
    const run = await daemon.cli("transcribe", "--model", folder, wav);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain(broken(folder));
    expect(run.stderr).toContain("its weights are broken");
    expect(run.stderr).not.toContain("no speech");
    expect(run.stdout).not.toContain("<unk>");
    await stillServing();
  });

  test("a dictation on it fails the same way", async () => {
    const folder = filledModel("parakeet-tiny", () => true, 0);
    const following = await startDictation(client, "stream", { model: folder });
    sendPcm(client, following.session, await pcmOf(wav));
    client.request({ type: "dictation.stop", session: following.session }).catch(() => undefined);
    await expect(following.outcome).rejects.toMatchObject({
      code: "model",
      message: expect.stringContaining(broken(folder)),
    });
    await stillServing();
  });
});
