// Live sessions on Parakeet through the addon: the same StreamingSession and events as Whisper's, each utterance's
// final text equal to transcribe() of its audio. The tiny fixtures have random weights (their text is not English),
// so text is compared with transcribe() of the same audio, never with words.
import path from "node:path";
import { InvalidArgumentError, ParakeetModel, type CommittedEvent, type StreamEvent } from "../lib";
import { readSimpleWav } from "../../test/support/fixtures";

jest.setTimeout(120_000);

const repoRoot = path.join(__dirname, "..", "..");
const models = path.join(repoRoot, "test", "fixtures", "models");
const clip = (name: string): Float32Array =>
  readSimpleWav(path.join(repoRoot, "test", "fixtures", "heldout", `${name}.wav`));
const UPDATE_SAMPLES = 3200; // 0.2 s, the session's minChunkSeconds

describe.each(["tiny", "tiny-v3"])("parakeet-%s live", (name) => {
  let model: ParakeetModel;
  beforeAll(async () => {
    model = await ParakeetModel.load(path.join(models, `parakeet-${name}`), { backend: "cpu", threads: 2 }).promise;
  });
  afterAll(() => model.free());

  test("the model says it streams", () => {
    expect(model.info().capabilities.streaming).toBe(true);
  });

  test("two utterances fed an update at a time: committed text never changes, finals are transcribe()", async () => {
    const events: StreamEvent[] = [];
    let nextEvent: (() => void) | null = null;
    const session = model.startStream({ minChunkSeconds: 0.2 }, (event) => {
      events.push(event);
      nextEvent?.();
    });
    const eventArrives = (): Promise<void> => new Promise((resolve) => (nextEvent = resolve));

    const clips = [clip("heldout-00"), clip("heldout-03")];
    for (const audio of clips) {
      // Each push of 0.2 s wakes one update; the next push waits for its event, so every update sees a prefix.
      for (let at = 0; at < audio.length; at += UPDATE_SAMPLES) {
        const arrived = eventArrives();
        session.push(audio.subarray(at, at + UPDATE_SAMPLES));
        if (at + UPDATE_SAMPLES < audio.length) await arrived;
      }
      session.endUtterance();
    }
    const transcript = await session.finish();

    expect(transcript.utterances).toHaveLength(2);
    let start = 0;
    for (const [index, audio] of clips.entries()) {
      const utterance = transcript.utterances[index];
      const batch = await model.transcribe(audio).promise;
      expect(utterance.index).toBe(index);
      expect(utterance.start).toBeCloseTo(start, 6);
      expect(utterance.text).toBe(batch.text);
      expect(utterance.segments.flatMap((s) => s.tokens)).toEqual(batch.tokens.map((t) => t.id));
      // What was committed, event by event, is the utterance's live text: nothing shown was taken back.
      const committed = events.filter((e): e is CommittedEvent => e.type === "committed" && e.utterance === index);
      expect(committed.length).toBeGreaterThan(1);
      expect(
        committed
          .map((e) => e.text)
          .join("")
          .trim(),
      ).toBe(utterance.liveText);
      for (const e of committed) expect(e.audioSeconds).toBeGreaterThan(start);
      start += audio.length / 16000;
    }
    const utteranceEvents = events.filter((e) => e.type === "utterance");
    expect(utteranceEvents.map((e) => e.utterance.text)).toEqual(transcript.utterances.map((u) => u.text));
    expect(events.some((e) => e.type === "error")).toBe(false);
  });

  test("Whisper's policy options and bad values are refused with InvalidArgumentError", () => {
    expect(() => model.startStream({ marginFrames: 101 })).toThrow(InvalidArgumentError);
    expect(() => model.startStream({ minChunkSeconds: 0 })).toThrow(InvalidArgumentError);
    const whisperOptions = { policy: "alignatt" } as unknown as { marginFrames: number };
    expect(() => model.startStream(whisperOptions)).toThrow(/policy/);
  });
});
