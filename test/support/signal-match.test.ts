import { loadAudio } from "../../daemon/src/audio";
import { heldoutWav } from "./dictation";
import { findSound, findSoundIn } from "./signal-match";

test("speech is found where it starts in a longer recording, with a correlation of 1 when copied exactly", async () => {
  const speech = (await loadAudio(heldoutWav("heldout-07.wav"))).samples;
  const recording = new Float32Array(speech.length + 32_000);
  recording.set(
    speech.map((x) => 0.5 * x),
    3_203,
  );
  const match = findSound(speech, recording);
  expect(match.correlation).toBeCloseTo(1, 6);
  expect(match.offsetSeconds).toBeCloseTo(3_203 / 16_000, 6);
});

test("another sentence does not match; a sound longer than the recording is not in it", async () => {
  expect((await findSoundIn(heldoutWav("heldout-07.wav"), heldoutWav("heldout-08.wav"), 2)).correlation).toBeLessThan(
    0.3,
  );
  expect(findSound(new Float32Array(10).fill(1), new Float32Array(5).fill(1)).correlation).toBe(0);
});
