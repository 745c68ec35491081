// Live dictation on a Parakeet model through the real daemon on a real socket (issue 41, live text on Parakeet): the
// tiny random-weight fixture (test/fixtures/models/parakeet-tiny) as the daemon's model, held-out speech sent as
// 16-bit PCM frames. Live text comes while the audio still arrives (the engine's transducer policy), each utterance's
// final text is transcribe() of exactly the audio the decoder got, and silence gives no text. The weights are random,
// so texts are compared with the daemon's own transcribe of the same cut, never with the words spoken.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { loadAudio } from "../../daemon/src/audio";
import { toPcmBytes } from "../../daemon/src/dictation/pcm";
import type { Event } from "../../daemon/src/protocol";
import {
  committedText,
  FRAME_BYTES,
  heldoutWav,
  pcmOf,
  sendPcm,
  startDictation,
  stopDictation,
  transcribeExactly,
  waitFor,
  writePcmSlice,
} from "../support/dictation";
import { DaemonProcess } from "../support/daemon-process";
import { fixtureModel } from "../support/fixtures";

jest.setTimeout(240_000);

const model = fixtureModel("parakeet-tiny");
let daemon: DaemonProcess;
/** The fixture's most varied text ("is in in is …"). */
let pcm: Uint8Array;

const utterancesIn = (events: Event[]) => events.flatMap((e) => (e.type === "dictation.utterance" ? [e] : []));
const seconds = (bytes: Uint8Array) => bytes.length / 2 / 16000;

beforeAll(async () => {
  daemon = await DaemonProcess.ready({ model, threads: 2 });
  pcm = await pcmOf(heldoutWav("heldout-02.wav"));
});

afterAll(async () => {
  await daemon?.dispose();
});

test("the status says the Parakeet model dictates live", async () => {
  expect((await daemon.status()).model.capabilities).toMatchObject({ family: "parakeet", streaming: true });
});

test("streamed at real-time pace: live text before the audio ends, the final text is transcribe() on the cut", async () => {
  const client = await daemon.connect();
  const following = await startDictation(client);
  for (let offset = 0; offset < pcm.length; offset += FRAME_BYTES) {
    client.sendAudio(following.session, pcm.subarray(offset, offset + FRAME_BYTES));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const stopped = await stopDictation(client, following.session);
  const transcript = await following.outcome;
  expect(stopped).toEqual(transcript);
  expect(transcript.model).toBe(model);
  expect(transcript.text.length).toBeGreaterThan(0);

  // Text was committed while audio was still arriving (`at`: the seconds of audio the daemon had received).
  const live = following.events.filter((e) => e.type === "dictation.committed" && e.text.trim() !== "");
  expect(live.length).toBeGreaterThan(0);
  expect(live[0].type === "dictation.committed" && live[0].at).toBeLessThan(seconds(pcm));
  expect(committedText(following.events).trim().length).toBeGreaterThan(0);

  // One utterance, whose final pass is transcribe() on exactly the audio the decoder got, times on the recording's.
  const [utterance, ...more] = utterancesIn(following.events);
  expect(more).toEqual([]);
  expect(utterance).toMatchObject({ index: 0, text: transcript.text, segments: transcript.segments });
  const cut = path.join(daemon.home, "parakeet-cut.wav");
  writePcmSlice(pcm, utterance.start, utterance.end, cut);
  const exactly = await transcribeExactly(client, cut);
  expect(transcript.text).toBe(exactly.text);
  expect(transcript.segments.map((s) => [s.text, s.start, s.end])).toEqual(
    exactly.segments.map((s) => [
      s.text,
      expect.closeTo(s.start + utterance.start, 6),
      expect.closeTo(Math.min(s.end + utterance.start, utterance.end), 6),
    ]),
  );
  client.close();
});

test("a pause ends an utterance: each final text is transcribe() on its own cut", async () => {
  const pause = new Uint8Array(2 * 16_000 * 1.5); // 1.5 s of silence, more than utteranceSilenceSeconds (0.6)
  const second = await pcmOf(heldoutWav("heldout-03.wav"));
  const client = await daemon.connect();
  const following = await startDictation(client);
  sendPcm(client, following.session, pcm);
  sendPcm(client, following.session, pause);
  await waitFor(() => utterancesIn(following.events).length === 1, "the first utterance's final text");
  sendPcm(client, following.session, second);
  // Live text of both utterances, each under its own index, while the dictation still runs: a stop sent at once could
  // reach the daemon before its first live update of the second (then only the final pass gives that text).
  const committedUtterances = () =>
    new Set(following.events.flatMap((e) => (e.type === "dictation.committed" && e.text.trim() ? [e.utterance] : [])));
  await waitFor(() => committedUtterances().has(1), "live text of the second utterance");
  const transcript = await stopDictation(client, following.session);

  expect([...committedUtterances()].sort()).toEqual([0, 1]);
  const utterances = utterancesIn(following.events);
  expect(utterances).toHaveLength(2);
  const all = Buffer.concat([pcm, pause, second]);
  for (const utterance of utterances) {
    const cut = path.join(daemon.home, `parakeet-utterance-${utterance.index}.wav`);
    writePcmSlice(all, utterance.start, utterance.end, cut);
    expect(utterance.text).toBe((await transcribeExactly(client, cut)).text);
  }
  expect(transcript.text).toBe(
    utterances
      .map((u) => u.text)
      .filter(Boolean)
      .join(" "),
  );
  client.close();
});

test("quiet noise and silence give no text at all, live or final", async () => {
  const noise = path.join(daemon.home, "quiet-noise.wav");
  execFileSync("sox", ["-n", "-r", "16000", "-c", "1", "-b", "16", noise, "synth", "3", "whitenoise", "vol", "0.01"]);
  const audio = Buffer.concat([toPcmBytes((await loadAudio(noise)).samples), new Uint8Array(2 * 16_000 * 2)]);
  const client = await daemon.connect();
  const following = await startDictation(client);
  sendPcm(client, following.session, audio);
  const transcript = await stopDictation(client, following.session);
  expect(transcript).toMatchObject({ text: "", noSpeech: true, segments: [] });
  expect(committedText(following.events)).toBe("");
  expect(utterancesIn(following.events)).toEqual([]);
  client.close();
});
