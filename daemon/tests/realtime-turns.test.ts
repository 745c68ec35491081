// Turns of a Realtime session (api/realtime/turn-gate.ts) on held-out speech joined by pauses, with the real Silero
// detector: only speech reaches the decoder, each turn from its padding before the speech to the margin after it;
// with server VAD the turn ends in the pause after each sentence; without it, the client's commits end turns, and a
// commit or clear with no speech since the last turn ends none.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { loadAudio } from "../src/audio";
import { repoRoot } from "../../test/support/fixtures";

jest.setTimeout(60_000);

const RATE = 16_000;
const files = ["heldout-00.wav", "heldout-01.wav", "heldout-02.wav"];
const sentences: { start: number; end: number }[] = [];
let stream: Int16Array;

beforeAll(async () => {
  const parts: Float32Array[] = [];
  let length = 0;
  for (const file of files) {
    const samples = (await loadAudio(path.join(repoRoot, "test", "fixtures", "heldout", file))).samples;
    let first = 0;
    while (first < samples.length && Math.abs(samples[first]) <= 1e-3) first++;
    let last = samples.length - 1;
    while (last > 0 && Math.abs(samples[last]) <= 1e-3) last--;
    sentences.push({ start: length + first, end: length + last });
    parts.push(samples, new Float32Array(RATE)); // a one-second pause
    length += samples.length + RATE;
  }
  stream = new Int16Array(length);
  let offset = 0;
  for (const part of parts) {
    stream.set(
      Int16Array.from(part, (s) => Math.round(s * 32767)),
      offset,
    );
    offset += part.length;
  }
});

type Step = { push: number } | { request: "commit" | "clear" };
type Heard = ["start", number] | ["end", number, string] | ["nothing", string] | ["notice", string];
/** The audio the decoder got for one turn: from, to (recording samples). */
type Given = [number, number];

/**
 * Runs a turn gate over `audio` in plain Node on the built code, pushing `push` samples at a time, or asking for a commit or clear followed by the
 * empty push that carries it, as the Realtime connection does. Returns what the listener heard and, per utterance
 * the gate ended, the audio it gave.
 */
function turns(audio: Int16Array, steps: Step[], vad: boolean): { heard: Heard[]; given: Given[] } {
  const dist = path.join(repoRoot, "daemon", "dist");
  const settings = vad
    ? { type: "server_vad", threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 500 }
    : null;
  const script = `
    const { TurnGate } = require(${JSON.stringify(path.join(dist, "api", "realtime", "turn-gate.js"))});
    const { SileroVad } = require(${JSON.stringify(path.join(dist, "audio", "voice-activity.js"))});
    const audio = Int16Array.from(JSON.parse(require("fs").readFileSync(0, "utf8")));
    const heard = [];
    const given = [];
    let received = 0;
    const gate = new TurnGate(SileroVad.create(), ${JSON.stringify(settings)}, {
      turnStarted: (sample) => heard.push(["start", sample]),
      turnEnded: (sample, cause) => heard.push(["end", sample, cause]),
      nothingToEnd: (cause) => heard.push(["nothing", cause]),
      notice: (message) => heard.push(["notice", message]),
    });
    (async () => {
      let offset = 0;
      let open = null;
      for (const step of ${JSON.stringify(steps)}) {
        if (step.request) gate.request(step.request, offset);
        const chunk = audio.subarray(offset, step.request ? offset : offset + step.push);
        offset += chunk.length;
        for (const gated of await gate.push(chunk)) {
          if (gated.kind === "end") {
            given.push(open);
            open = null;
          } else if (open && gated.at !== open[1]) throw new Error("a turn's audio has a gap at " + gated.at);
          else if (gated.at + gated.samples.length > offset) throw new Error("audio given before it was pushed");
          else open = [open ? open[0] : gated.at, gated.at + gated.samples.length];
        }
      }
      console.log(JSON.stringify({ heard, given }));
    })();`;
  const out = execFileSync(process.execPath, ["-e", script], { input: JSON.stringify(Array.from(audio)) });
  return JSON.parse(out.toString());
}

const chunks = (samples: number, size: number): Step[] =>
  Array.from({ length: Math.ceil(samples / size) }, () => ({ push: size }));
const ms = (n: number) => Math.round((n / 1000) * RATE);

test("server VAD: a turn per sentence, from 300 ms before its speech to 500 ms after; the pauses reach no decoder", () => {
  const { heard, given } = turns(stream, chunks(stream.length, 1600), true);
  const starts = heard.filter((h) => h[0] === "start").map((h) => h[1] as number);
  const ends = heard.filter((h) => h[0] === "end");
  expect(starts).toHaveLength(files.length);
  expect(ends).toHaveLength(files.length);
  expect(given).toHaveLength(files.length);
  sentences.forEach((sentence, k) => {
    // The detector hears speech within a few 32 ms frames of the sound (espeak-ng's first samples are quiet).
    expect(starts[k]).toBeGreaterThanOrEqual(sentence.start - ms(300) - ms(100));
    expect(starts[k]).toBeLessThan(sentence.start + ms(200));
    const [, end, cause] = ends[k] as ["end", number, string];
    expect(cause).toBe("vad");
    expect(end).toBeGreaterThanOrEqual(sentence.end + ms(500) - ms(200));
    expect(end).toBeLessThan(sentence.end + ms(500) + ms(100));
    // The decoder gets the turn from its start to 300 ms after the speech: not the rest of the pause.
    expect(given[k][0]).toBe(starts[k]);
    expect(given[k][1]).toBeGreaterThanOrEqual(sentence.end);
    expect(given[k][1]).toBeLessThanOrEqual(end - ms(500) + ms(300));
  });
});

test("without VAD, commits end turns at the audio sent; a commit or clear with no speech since the last ends none", () => {
  const first = sentences[0];
  const midSecond = Math.round((sentences[1].start + sentences[1].end) / 2);
  const { heard, given } = turns(
    stream,
    [
      { push: first.start - ms(100) }, // silence only
      { request: "commit" },
      { push: first.end + ms(200) - (first.start - ms(100)) },
      { request: "commit" },
      { request: "clear" }, // nothing since the commit
      { push: sentences[1].start - ms(500) - (first.end + ms(200)) }, // the pause
      { request: "commit" },
      { push: midSecond - (sentences[1].start - ms(500)) },
      { request: "clear" }, // in the middle of the speech: the rest begins the next turn
      { push: sentences[1].end + ms(400) - midSecond },
      { request: "commit" },
    ],
    false,
  );
  expect(heard.filter((h) => h[0] !== "start")).toEqual([
    ["nothing", "commit"],
    ["end", first.end + ms(200), "commit"],
    ["nothing", "clear"],
    ["nothing", "commit"],
    ["end", midSecond, "clear"],
    ["end", sentences[1].end + ms(400), "commit"],
  ]);
  expect(given).toHaveLength(3);
  // Each turn starts where its audio does (without VAD no speech_started is sent, but the item begins there).
  expect(heard.filter((h) => h[0] === "start").map((h) => h[1])).toEqual(given.map((g) => g[0]));
  expect(given[0][0]).toBeGreaterThanOrEqual(first.start - ms(300) - ms(100));
  expect(given[0][0]).toBeLessThan(first.start);
  expect(given[0][1]).toBeGreaterThan(first.end - ms(100));
  expect(given[0][1]).toBeLessThanOrEqual(first.end + ms(200));
  expect(given[1]).toEqual([expect.any(Number), midSecond]);
  expect(given[1][0]).toBeLessThan(sentences[1].start);
  expect(given[2][0]).toBeGreaterThanOrEqual(midSecond); // the cleared turn's audio is in no later turn
  expect(given[2][0]).toBeLessThan(midSecond + ms(300));
  expect(given[2][1]).toBeGreaterThanOrEqual(sentences[1].end);
  // The margin after the speech, and the frames the detector takes to hear that it ended: Silero v6.2 heard this
  // sentence out 57 ms after its last sample above -60 dBFS (v4: within it); 0.15 s, as speech-gate.test.ts allows.
  expect(given[2][1]).toBeLessThanOrEqual(sentences[1].end + ms(300) + ms(150));
});
