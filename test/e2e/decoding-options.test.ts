// openai's beam search, best-of and fallback thresholds as options everywhere, through a real daemon on a real socket
// with the fixture model: `verbatim transcribe` flags and their usage errors, the protocol's refusals, config.json's
// defaults (accuracy, beamSize, …, the thresholds) and a request's options winning over them. What the daemon asks of
// the engine is proven by its output: the CLI's equals the engine's own output with the same options, computed here
// through the addon, and differs from greedy decoding's on a recording where beam search finds other words.
// Dictations use the options for their final text only (live text stays greedy), which still equals transcribe on
// exactly the cut audio with the same options.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { WhisperModel } from "../../native/lib";
import { loadAudio } from "../../daemon/src/audio";
import type { DaemonClient } from "../../daemon/src/client";
import type { DecodingOptionName, TranscriptData, TranscriptionOptions } from "../../daemon/src/protocol";
import { fileEngineOptions } from "../../daemon/src/families/whisper/whisper-decoding";
import { loadTokenizer, type Tokenizer } from "../../daemon/src/tokenizer";
import { cliEntry, DaemonProcess } from "../support/daemon-process";
import {
  FRAME_BYTES,
  heldoutWav,
  pcmOf,
  startDictation,
  stopDictation,
  waitFor,
  writePcmSlice,
} from "../support/dictation";
import { fixtureModel } from "../support/fixtures";

jest.setTimeout(180_000);

type Decoding = Partial<Record<DecodingOptionName, number | null>>;

const model = fixtureModel();
const wav = heldoutWav("heldout-07.wav");
const spoken = "The level far damage fund regular receive.";
/** A recording the fixture model hears otherwise with any beam search (2 to 5 beams) than greedily. */
const beamy = heldoutWav("heldout-11.wav");
const greedyText = "That kids effective lost in once.";
const media = mkdtempSync(path.join(os.tmpdir(), "verbatim-decoding-"));
/** The defaults: greedy, openai's thresholds. */
let plain: DaemonProcess;
/**
 * accuracy "best" (beam 5, best of 5), patience and a length penalty, and a no-speech rule that takes every window for
 * silence (no-speech probability above 0, no log probability rule to save it); one invalid value, not used.
 */
const CONFIG = {
  accuracy: "best",
  patience: 2,
  lengthPenalty: 0.6,
  noSpeechThreshold: 0,
  logprobThreshold: null,
  compressionRatioThreshold: "high",
};
let configured: DaemonProcess;
let engine: WhisperModel;
let tokenizer: Tokenizer;

beforeAll(async () => {
  [plain, configured, engine, tokenizer] = await Promise.all([
    DaemonProcess.ready({ model, threads: 2 }),
    DaemonProcess.ready({ model, threads: 2, ...CONFIG }),
    WhisperModel.load(model, { threads: 2 }).promise,
    loadTokenizer({ nVocab: 51864 }),
  ]);
  engine.setVocabulary(tokenizer.tokenBytesTable());
});

afterAll(async () => {
  engine?.free();
  await Promise.all([plain?.dispose(), configured?.dispose()]);
  rmSync(media, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(daemon: DaemonProcess, args: string[]): Promise<Run> {
  const child = spawn(process.execPath, [cliEntry, ...args], { env: daemon.env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

interface JsonTranscript {
  text: string;
  segments: { start: number; end: number; text: string }[];
}

/** `verbatim transcribe --format json --no-vad … FILE` against `daemon`: the transcript (exit 6 when it is empty). */
async function cliTranscript(daemon: DaemonProcess, flags: string[], file = wav): Promise<JsonTranscript> {
  const result = await run(daemon, ["transcribe", "--format", "json", "--no-vad", ...flags, file]);
  const transcript: JsonTranscript = JSON.parse(result.stdout);
  expect(result.code).toBe(transcript.text === "" ? 6 : 0);
  return transcript;
}

/**
 * The file through the addon in this process, all of its audio, with the engine options a file job without options
 * gets and `decoding` written out: the transcript's text and its segments' times.
 */
async function engineDirect(file: string, decoding: Decoding) {
  const { samples } = await loadAudio(file);
  const options = { ...fileEngineOptions(tokenizer, { vad: false }), ...decoding };
  const result = await engine.transcribe(samples, options).promise;
  const segments = result.segments.filter((segment) => tokenizer.decode(segment.tokens).trim() !== "");
  return {
    text: tokenizer.decode(segments.flatMap((segment) => segment.tokens)).trim(),
    segments: segments.map((segment) => [Math.round(segment.start * 1000), Math.round(segment.end * 1000)]),
  };
}

const timesOf = (transcript: JsonTranscript) =>
  transcript.segments.map((segment) => [Math.round(segment.start * 1000), Math.round(segment.end * 1000)]);

/** What the configured daemon's config gives every job that does not say otherwise. */
const CONFIGURED: Decoding = {
  beamSize: 5,
  bestOf: 5,
  patience: 2,
  lengthPenalty: 0.6,
  compressionRatioThreshold: 2.4,
  logprobThreshold: null,
  noSpeechThreshold: 0,
};

const DEFAULTS: Decoding = {
  beamSize: 1,
  bestOf: 1,
  patience: 1,
  lengthPenalty: null,
  compressionRatioThreshold: 2.4,
  logprobThreshold: -1,
  noSpeechThreshold: 0.6,
};

test("the defaults are greedy with openai's thresholds, as the engine decodes with those options", async () => {
  for (const [file, text] of [
    [wav, spoken],
    [beamy, greedyText],
  ]) {
    const transcript = await cliTranscript(plain, [], file);
    const direct = await engineDirect(file, DEFAULTS);
    expect(transcript.text).toBe(text);
    expect(transcript.text).toBe(direct.text);
    expect(timesOf(transcript)).toEqual(direct.segments);
  }
  // The engine's own defaults are the same.
  expect((await engineDirect(beamy, {})).text).toBe(greedyText);
});

test("config.json's decoding defaults reach the engine; an invalid one is named and not used", async () => {
  const transcript = await cliTranscript(configured, []);
  // Its no-speech rule took the speech for silence: the engine gives the same (nothing) with the same options.
  expect(transcript.text).toBe("");
  expect(transcript.text).toBe((await engineDirect(wav, CONFIGURED)).text);
  // Without the daemon, the CLI reads the same config.
  expect((await cliTranscript(configured, ["--no-daemon"])).text).toBe("");

  const client = await configured.connect();
  try {
    expect((await client.status()).config?.problems).toEqual([
      expect.stringMatching(
        /"compressionRatioThreshold" has an invalid value "high" \(it must be a number from 0 to 1000, or null to switch the rule off\); using 2\.4$/,
      ),
    ]);
  } finally {
    client.close();
  }
});

test("a request's options win over the config's, each on its own", async () => {
  // The no-speech rule off: the speech is transcribed, with the config's beam search, patience and length penalty.
  const transcript = await cliTranscript(configured, ["--no-speech-threshold", "none"], beamy);
  const direct = await engineDirect(beamy, { ...CONFIGURED, noSpeechThreshold: null });
  expect(transcript.text).toBe(direct.text);
  expect(timesOf(transcript)).toEqual(direct.segments);
  expect(transcript.text).not.toBe("");
  expect(transcript.text).not.toBe(greedyText); // the config's accuracy "best" searched beams

  // --accuracy fast is beam 1 and best of 1 over the config's accuracy "best"; --logprob-threshold brings that rule
  // back, so speech is not silence.
  const fast = await cliTranscript(configured, ["--accuracy", "fast", "--logprob-threshold=-1"], beamy);
  const fastDirect = await engineDirect(beamy, { ...CONFIGURED, beamSize: 1, bestOf: 1, logprobThreshold: -1 });
  expect(fast.text).toBe(fastDirect.text);
  expect(timesOf(fast)).toEqual(fastDirect.segments);
  expect(fast.text).toBe(greedyText);
});

test("every decoding flag reaches the engine as its option", async () => {
  const flags = [
    ["--beam-size", "4"],
    ["--best-of", "3"],
    ["--patience", "1.5"],
    ["--length-penalty", "1"],
    ["--compression-ratio-threshold", "1.8"],
    ["--logprob-threshold=-0.8"],
    ["--no-speech-threshold", "0.5"],
  ].flat();
  const transcript = await cliTranscript(plain, flags, beamy);
  const direct = await engineDirect(beamy, {
    beamSize: 4,
    bestOf: 3,
    patience: 1.5,
    lengthPenalty: 1,
    compressionRatioThreshold: 1.8,
    logprobThreshold: -0.8,
    noSpeechThreshold: 0.5,
  });
  expect(transcript.text).toBe(direct.text);
  expect(timesOf(transcript)).toEqual(direct.segments);
  expect(transcript.text).not.toBe(greedyText);
  // --beam-size and --best-of win over --accuracy; none switches the no-speech rule off.
  const args = ["--accuracy", "best", "--beam-size", "2", "--no-speech-threshold", "none"];
  const mixed = await cliTranscript(plain, args, beamy);
  const mixedDirect = await engineDirect(beamy, { ...DEFAULTS, beamSize: 2, bestOf: 5, noSpeechThreshold: null });
  expect(mixed.text).toBe(mixedDirect.text);
  expect(timesOf(mixed)).toEqual(mixedDirect.segments);
  expect(mixed.text).not.toBe(greedyText);
});

test.each([
  [["--beam-size", "0"], "--beam-size must be a whole number from 1 (greedy) to 16"],
  [["--beam-size", "2.5"], "--beam-size must be a whole number from 1 (greedy) to 16"],
  [["--beam-size", "none"], "--beam-size must be a whole number from 1 (greedy) to 16"],
  [["--best-of", "17"], "--best-of must be a whole number from 1 to 16"],
  [["--patience", "0"], "--patience must be a number from 0.5 to 10"],
  [["--patience", "soon"], "--patience must be a number from 0.5 to 10"],
  [["--length-penalty=-1"], "--length-penalty must be a number from 0 to 1, or none for plain length normalization"],
  [
    ["--length-penalty", "1.5"],
    "--length-penalty must be a number from 0 to 1, or none for plain length normalization",
  ],
  [["--compression-ratio-threshold", "x"], "--compression-ratio-threshold must be a number from 0 to 1000, or none"],
  [["--logprob-threshold", "0.5"], "--logprob-threshold must be a number from -1000 to 0, or none"],
  [["--logprob-threshold", "-1"], "To specify an option argument starting with a dash use '--logprob-threshold=-XYZ'"],
  [["--no-speech-threshold", "1.5"], "--no-speech-threshold must be a probability from 0 to 1, or none"],
  [["--accuracy", "medium"], "--accuracy must be fast or best"],
])("verbatim transcribe %j is a usage error", async (flags, message) => {
  const result = await run(plain, ["transcribe", ...flags, wav]);
  expect(result.code).toBe(2);
  expect(result.stdout).toBe("");
  expect(result.stderr).toContain(message);
});

test("verbatim dictate takes the same flags and refuses the same mistakes", async () => {
  const result = await run(plain, ["dictate", "--input", wav, "--best-of", "0"]);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain("--best-of must be a whole number from 1 to 16");
});

test("the protocol refuses decoding options out of range, naming the option and what it takes", async () => {
  const client = await plain.connect();
  try {
    const source = { kind: "file" as const, path: wav };
    const request = (options: Record<string, unknown>) =>
      client.request({ type: "transcribe", source, options: options as TranscriptionOptions });
    const refusals: [Record<string, unknown>, string][] = [
      [{ beamSize: 0 }, '"beamSize" must be a whole number from 1 (greedy) to 16'],
      [{ beamSize: 2.5 }, '"beamSize" must be a whole number from 1 (greedy) to 16'],
      [{ beamSize: "5" }, '"beamSize" must be a whole number from 1 (greedy) to 16'],
      [{ beamSize: null }, '"beamSize" must be a whole number from 1 (greedy) to 16'],
      [{ bestOf: 17 }, '"bestOf" must be a whole number from 1 to 16'],
      [{ patience: 0 }, '"patience" must be a number from 0.5 to 10'],
      [{ lengthPenalty: -0.5 }, '"lengthPenalty" must be a number from 0 to 1, or null for plain length normalization'],
      [{ lengthPenalty: 1.5 }, '"lengthPenalty" must be a number from 0 to 1, or null'],
      [{ compressionRatioThreshold: -1 }, '"compressionRatioThreshold" must be a number from 0 to 1000, or null to'],
      [
        { logprobThreshold: 0.5 },
        '"logprobThreshold" must be a number from -1000 to 0, or null to switch the rule off',
      ],
      [
        { noSpeechThreshold: 2 },
        '"noSpeechThreshold" must be a probability from 0 to 1, or null to switch the rule off',
      ],
    ];
    for (const [options, message] of refusals) {
      await expect(request(options)).rejects.toMatchObject({
        code: "bad_message",
        message: expect.stringContaining(message),
      });
    }
    // null switches a rule off (and asks for plain length normalization): taken.
    const taken = await request({ lengthPenalty: null, logprobThreshold: null, noSpeechThreshold: null, vad: false });
    expect(taken.type === "done" && taken.transcript?.text).toBe(spoken);
    // A dictation's options are checked the same way.
    await expect(
      client.request({ type: "dictation.start", source: "stream", options: { bestOf: 0 } as TranscriptionOptions }),
    ).rejects.toMatchObject({ code: "bad_message", message: expect.stringContaining('"bestOf" must be') });
  } finally {
    client.close();
  }
});

/** A dictation of `file` (no pauses: one utterance) with `options`: its final transcript, utterance and live text. */
async function dictate(client: DaemonClient, file: string, options?: TranscriptionOptions) {
  const pcm = await pcmOf(file);
  const following = await startDictation(client, "stream", options);
  // At real-time pace, so that live updates run while the audio arrives.
  for (let offset = 0; offset < pcm.length; offset += FRAME_BYTES) {
    client.sendAudio(following.session, pcm.subarray(offset, offset + FRAME_BYTES));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const transcript = await stopDictation(client, following.session);
  await waitFor(() => following.events.at(-1)?.type === "dictation.done", "dictation.done");
  const utterance = following.events.find((event) => event.type === "dictation.utterance");
  const committed = following.events.map((event) => (event.type === "dictation.committed" ? event.text : "")).join("");
  return { pcm, transcript, utterance, committed };
}

/** transcribe on exactly the utterance's audio, with `options`. */
async function transcribeCut(
  client: DaemonClient,
  pcm: Uint8Array,
  utterance: { start: number; end: number },
  options: TranscriptionOptions,
): Promise<TranscriptData> {
  const cut = path.join(media, `cut-${Date.now()}.wav`);
  writePcmSlice(pcm, utterance.start, utterance.end, cut);
  return client.transcribeFile(cut, { options: { ...options, vad: false } }).promise;
}

test("a dictation's final text uses its decoding options and equals transcribe on exactly the cut with them", async () => {
  const options: TranscriptionOptions = {
    beamSize: 5,
    bestOf: 5,
    patience: 2,
    lengthPenalty: 1,
    noSpeechThreshold: 0.5,
  };
  const client = await plain.connect();
  try {
    const { pcm, transcript, utterance } = await dictate(client, beamy, options);
    if (utterance?.type !== "dictation.utterance") throw new Error("no dictation.utterance");
    const exactly = await transcribeCut(client, pcm, utterance, options);
    expect(transcript.text).toBe(exactly.text);
    expect(utterance.text).toBe(exactly.text);
    // Beam search chose the words: greedy decoding of the same cut finds others.
    expect(transcript.text).not.toBe((await transcribeCut(client, pcm, utterance, { beamSize: 1, bestOf: 1 })).text);
    expect(transcript.segments.map((s) => [s.start, s.end])).toEqual(
      exactly.segments.map((s) => [
        expect.closeTo(s.start + utterance.start, 6),
        expect.closeTo(Math.min(s.end + utterance.start, utterance.end), 6),
      ]),
    );
  } finally {
    client.close();
  }
});

test("a dictation's final pass takes the config's decoding; its live text stays greedy, without those rules", async () => {
  const client = await configured.connect();
  try {
    // The config's no-speech rule makes the final pass silence, while the live updates showed the words.
    const silenced = await dictate(client, wav);
    expect(silenced.committed.trim().length).toBeGreaterThan(0);
    expect(silenced.transcript).toMatchObject({ text: "", noSpeech: true });

    // The request's rules win; the config's beam search stays: equal to transcribe on the cut on the same daemon.
    const options: TranscriptionOptions = { noSpeechThreshold: 0.6, logprobThreshold: -1 };
    const { pcm, transcript, utterance } = await dictate(client, beamy, options);
    if (utterance?.type !== "dictation.utterance") throw new Error("no dictation.utterance");
    expect(transcript.text).toBe((await transcribeCut(client, pcm, utterance, options)).text);
    expect(transcript.text).not.toBe("");
    expect(transcript.text).not.toBe((await transcribeCut(client, pcm, utterance, { ...options, beamSize: 1 })).text);
  } finally {
    client.close();
  }
});
