// Live dictation on a Nemotron model through the real daemon (issue 64): the tiny random-weight fixture
// (test/fixtures/models/nemotron-tiny) dictated at real-time pace over a real socket. Live text is the stream's own
// tokens as each chunk is decoded, never taken back, and there is no final pass: each utterance's final text is what
// NemotronModel's own stream gives for exactly that utterance's audio, in chunks of the config's streamingChunkMs
// (default 160 ms), and it starts with the live text shown; with a vocabulary term, the stream boosts it, live and final
// alike. Random weights: nothing is compared with the words spoken.
import { NemotronModel } from "@verbatim/native";
import { toFloat } from "../../daemon/src/dictation/pcm";
import { NEMOTRON_BOOST_STRENGTH } from "../../daemon/src/families/nemotron/nemotron-family";
import type { Event } from "../../daemon/src/protocol";
import { DaemonProcess } from "../support/daemon-process";
import { heldoutWav, pcmOf, sendPcmInRealTime, startDictation, stopDictation } from "../support/dictation";
import { fixtureModel } from "../support/fixtures";

jest.setTimeout(180_000);

const model = fixtureModel("nemotron-tiny");
const wav = heldoutWav("heldout-03.wav");
let pcm: Uint8Array;
let nemotron: NemotronModel;

beforeAll(async () => {
  pcm = await pcmOf(wav);
  nemotron = await NemotronModel.load(model, { backend: "cpu", threads: 2 }).promise;
});
afterAll(() => nemotron?.free());

/** A text's words: the random fixture's byte pieces write new lines and control characters. */
const wordsOf = (text: string): string => text.replace(/[\p{Cc}\s]+/gu, " ").trim();

/** The dictation's events, `pcm` sent at real-time pace to a daemon with `config`. */
async function dictate(config: Record<string, unknown>): Promise<Event[]> {
  const daemon = await DaemonProcess.ready({ model, threads: 2, ...config });
  try {
    const client = await daemon.connect();
    try {
      const dictation = await startDictation(client);
      await sendPcmInRealTime(client, dictation.session, pcm);
      await stopDictation(client, dictation.session);
      await dictation.outcome;
      return dictation.events;
    } finally {
      client.close();
    }
  } finally {
    await daemon.dispose();
  }
}

/**
 * NemotronModel's own stream over `start`..`end` seconds of `pcm`, chunks of `rightContext` + 1 frames, boosting
 * `boostTerms` at the family's default strength (the daemon's, as no strength is set): its text.
 */
async function streamText(start: number, end: number, rightContext: number, boostTerms?: string[]): Promise<string> {
  const at = (seconds: number) => 2 * Math.round(seconds * 16000);
  const bytes = pcm.slice(at(start), at(end));
  const session = nemotron.startStream({
    rightContext,
    ...(boostTerms && { boostTerms, boostStrength: NEMOTRON_BOOST_STRENGTH }),
  });
  session.push(toFloat(new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2)));
  session.endUtterance();
  return (await session.finish()).text;
}

test.each([
  ["the default chunk, 160 ms", {}, 1, undefined],
  ["a 1120 ms chunk", { streamingChunkMs: 1120 }, 13, undefined],
  // "w19" ("▁w19"), not the piece the fixture writes most, changes what it writes (test/e2e/parakeet-boost.test.ts)
  ["a vocabulary term boosted", { vocabulary: { terms: ["w19"] } }, 1, ["w19"]],
])(
  "%s: each utterance's final text is the stream's own and starts with its live text",
  async (_, config, right, terms) => {
    const events = await dictate(config);
    const utterances = events.flatMap((e) => (e.type === "dictation.utterance" ? [e] : []));
    expect(utterances.length).toBeGreaterThan(0);
    for (const utterance of utterances) {
      const expected = await streamText(utterance.start, utterance.end, right, terms);
      if (terms) expect(wordsOf(expected)).not.toBe(wordsOf(await streamText(utterance.start, utterance.end, right)));
      expect(wordsOf(expected).length).toBeGreaterThan(0);
      expect(wordsOf(utterance.text)).toBe(wordsOf(expected));
      const shown = events
        .map((e) => (e.type === "dictation.committed" && e.utterance === utterance.index ? e.text : ""))
        .join("");
      expect(wordsOf(shown).length).toBeGreaterThan(0);
      expect(wordsOf(utterance.text).startsWith(wordsOf(shown))).toBe(true);
    }
  },
);
