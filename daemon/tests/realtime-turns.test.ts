// Turns of a Realtime session (api/realtime/turn-detector.ts) on held-out speech joined by pauses: with server VAD
// (the real Silero detector), speech starts and ends in each pause; without it, the client's commits end turns and
// a commit or clear with (almost) no audio ends none.
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
type Heard = ["start", number] | ["end", number, string] | ["nothing", string] | ["returned", number[]];

/**
 * Runs a turn detector (the gate of a Realtime session's dictation: all audio, cut at turn ends) over `audio` in plain Node on the built code (ONNX Runtime makes its tensors in Node's own
 * realm, which Jest's sandbox cannot host), pushing `push` samples at a time, or asking for a commit or clear
 * followed by the empty push that carries it, as the Realtime connection does.
 */
function turns(audio: Int16Array, steps: Step[], vad: boolean): Heard[] {
  const dist = path.join(repoRoot, "daemon", "dist");
  const script = `
    const { TurnDetector } = require(${JSON.stringify(path.join(dist, "api", "realtime", "turn-detector.js"))});
    const { SileroVad } = require(${JSON.stringify(path.join(dist, "audio", "voice-activity.js"))});
    const audio = Int16Array.from(JSON.parse(require("fs").readFileSync(0, "utf8")));
    const heard = [];
    const detector = new TurnDetector(${vad} ? SileroVad.create() : Promise.resolve(null), { silenceDurationMs: 500, threshold: 0.5 }, {
      speechStarted: (sample) => heard.push(["start", sample]),
      turnEnded: (sample, cause) => heard.push(["end", sample, cause]),
      nothingToEnd: (cause) => heard.push(["nothing", cause]),
    });
    (async () => {
      let offset = 0;
      let given = 0;
      for (const step of ${JSON.stringify(steps)}) {
        if (step.request) detector.request(step.request);
        const chunk = audio.subarray(offset, step.request ? offset : offset + step.push);
        offset += chunk.length;
        const ends = [];
        for (const gated of await detector.push(chunk)) {
          if (gated.kind === "end") ends.push(given);
          else if (gated.at !== given) throw new Error("audio out of order at " + gated.at + ", expected " + given);
          else given += gated.samples.length;
        }
        if (ends.length > 0) heard.push(["returned", ends]);
      }
      if (given !== audio.length && offset === audio.length) throw new Error("audio lost: gave " + given);
      console.log(JSON.stringify(heard));
    })();`;
  const out = execFileSync(process.execPath, ["-e", script], { input: JSON.stringify(Array.from(audio)) });
  return JSON.parse(out.toString());
}

const chunks = (samples: number, size: number): Step[] =>
  Array.from({ length: Math.ceil(samples / size) }, () => ({ push: size }));

test("server VAD: speech starts near each sentence's start and the turn ends in the pause after it", () => {
  const heard = turns(stream, chunks(stream.length, 1600), true);
  const starts = heard.filter((h) => h[0] === "start").map((h) => h[1] as number);
  const ends = heard.filter((h) => h[0] === "end");
  expect(starts).toHaveLength(files.length);
  expect(ends).toHaveLength(files.length);
  sentences.forEach((sentence, k) => {
    expect(Math.abs(starts[k] - sentence.start)).toBeLessThan(0.2 * RATE);
    const [, end, cause] = ends[k] as ["end", number, string];
    expect(cause).toBe("vad");
    expect(end).toBeGreaterThanOrEqual(sentence.end - 0.2 * RATE);
    expect(end).toBeLessThan(sentence.end + 0.5 * RATE);
  });
  // What push answered is what the listener heard, in order: the session's n-th utterance is the n-th turn. The VAD
  // knows a turn ended only after 0.5 s of silence, which has gone to the decoder by then: the cut comes at the start
  // of the push that completes that silence.
  const returned = heard.filter((h) => h[0] === "returned").flatMap((h) => h[1] as number[]);
  expect(returned).toHaveLength(ends.length);
  returned.forEach((cut, k) => {
    const end = ends[k][1] as number;
    expect(cut).toBeGreaterThanOrEqual(end);
    expect(cut).toBeLessThan(end + 0.5 * RATE + 1600);
  });
});

test("without VAD, commits end turns; one with under 100 ms of audio since the last turn ends none", () => {
  const heard = turns(
    stream,
    [
      { push: 800 },
      { request: "commit" }, // 50 ms: too little
      { push: 16_000 },
      { request: "commit" },
      { request: "clear" }, // nothing since the commit
      { push: 3200 },
      { request: "clear" },
    ],
    false,
  );
  expect(heard).toEqual([
    ["nothing", "commit"],
    ["end", 16_800, "commit"],
    ["returned", [16_800]],
    ["nothing", "clear"],
    ["end", 20_000, "clear"],
    ["returned", [20_000]],
  ]);
});
