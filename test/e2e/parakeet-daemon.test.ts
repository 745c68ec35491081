// A Parakeet model in the real daemon (issue 41): the tiny random-weight fixture (test/fixtures/models/parakeet-tiny)
// as the daemon's model (live dictation: dictation.test.ts, over the families): a socket file job, the CLI through the
// daemon (text, srt, json), the HTTP API with the official `openai` client (json, verbose_json words and segments, srt,
// the event stream; whisper-1 names the loaded model), MCP's transcribe_file, the history and replacements. Its weights
// are random, so each text is compared with what ParakeetModel.transcribe gives for the same file in this process, not
// with the words spoken. What Parakeet cannot do is refused as a typed error: `unsupported` on the socket, 400 on
// HTTP, exit 2 in the CLI. The catalog's parakeet-v3, served by a test hub with the fixture's files, knows its 25
// languages.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import OpenAI, { BadRequestError } from "openai";
import { ParakeetModel, type ParakeetTranscript } from "@verbatim/native";
import { loadAudio } from "../../daemon/src/audio";
import { DaemonError, type DaemonClient } from "../../daemon/src/client";
import type { Event, HistoryPage, TranscriptData, TranscriptionOptions } from "../../daemon/src/protocol";
import { TestHub } from "../../daemon/tests/support/hub-server";
import { apiToken, freePort } from "../support/api";
import { DaemonProcess } from "../support/daemon-process";
import { connectMcp, toolText } from "../support/mcp";
import { heldoutWav } from "../support/dictation";
import { fixtureModel } from "../support/fixtures";

jest.setTimeout(240_000);

const model = fixtureModel("parakeet-tiny");
/** The fixture's most varied text ("is in in is …"). */
const wav = heldoutWav("heldout-02.wav");
let reference: ParakeetTranscript;
let daemon: DaemonProcess;
let client: DaemonClient;
let openai: OpenAI;
let hub: TestHub;
const cache = mkdtempSync(path.join(os.tmpdir(), "verbatim-parakeet-hub-"));

/** The words of a transcript's segments as [text, start, end]. */
const wordsOf = (transcript: TranscriptData) =>
  transcript.segments.flatMap((segment) => (segment.words ?? []).map((w) => [w.word.trim(), w.start, w.end]));
const referenceWords = () => reference.words.map((w) => [w.text, w.start, w.end]);

async function refusal(options: TranscriptionOptions): Promise<DaemonError> {
  const error: unknown = await client.transcribeFile(wav, { options }).promise.then(
    () => new Error("the job was not refused"),
    (caught: unknown) => caught,
  );
  if (!(error instanceof DaemonError)) throw error;
  return error;
}

beforeAll(async () => {
  const parakeet = await ParakeetModel.load(model, { backend: "cpu", threads: 2 }).promise;
  try {
    reference = await parakeet.transcribe((await loadAudio(wav)).samples).promise;
  } finally {
    parakeet.free();
  }
  expect(reference.words.length).toBeGreaterThan(3);

  hub = await TestHub.start();
  await hub.addRepoFromFolder("mlx-community/parakeet-tdt-0.6b-v3", model);
  const port = await freePort();
  // The whole file as one window, as ParakeetModel.transcribe above (the voice activity detector would cut it).
  daemon = await DaemonProcess.ready(
    { model, threads: 2, fileVad: false, api: { enabled: true, port, host: "127.0.0.1" } },
    { env: { HF_ENDPOINT: hub.url, HF_HUB_CACHE: cache, HF_HUB_OFFLINE: "" } },
  );
  client = await daemon.connect();
  openai = new OpenAI({ apiKey: apiToken(daemon), baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  client?.close();
  await daemon?.dispose();
  await hub?.close();
  rmSync(cache, { recursive: true, force: true });
});

test("the status says what the loaded model can do: Parakeet, live dictation, no translation, boosted terms", async () => {
  const status = await daemon.status();
  expect(status.model).toMatchObject({ id: model, state: "ready", backend: "cpu", inUse: model });
  expect(status.model.capabilities).toEqual({
    family: "parakeet",
    languages: null,
    translate: false,
    prompt: false,
    boosting: true,
    decodingOptions: false,
    streaming: true,
  });
  const printed = await daemon.cli("status");
  expect(printed.stdout).toContain("family:  parakeet, languages not known, live dictation, no translation");
  expect(printed.stdout).toContain("vocabulary: terms boosted while decoding (phrase boosting); replacements apply");
});

test("a socket file job: the text, words and times of ParakeetModel.transcribe", async () => {
  const live: string[] = [];
  const transcript = await client.transcribeFile(wav, {
    options: { wordTimestamps: true },
    onEvent: (event: Event) => void (event.type === "token" && live.push(event.text)),
  }).promise;
  expect(transcript.text).toBe(reference.text);
  expect(transcript).toMatchObject({ model, backend: "cpu", language: null });
  expect(wordsOf(transcript)).toEqual(referenceWords());
  // Live text as the transducer emits tokens, the same text in the end.
  expect(live.join("").trim()).toBe(reference.text);
  for (const segment of transcript.segments) {
    expect(segment.start).toBe(segment.words![0].start);
    expect(segment.end).toBe(segment.words![segment.words!.length - 1].end);
  }
});

test("the CLI through the daemon with --model: text, json with words, srt", async () => {
  const text = await daemon.cli("transcribe", "--model", model, wav);
  expect(text.stderr).toBe("");
  expect(text.code).toBe(0);
  expect(text.stdout.trim().split("\n").join(" ")).toBe(reference.text);

  const json = await daemon.cli("transcribe", "--model", model, "--format", "json", "--word-timestamps", wav);
  expect(json.code).toBe(0);
  const parsed = JSON.parse(json.stdout) as TranscriptData;
  expect(parsed.text).toBe(reference.text);
  // JSON gives times to the millisecond.
  expect(wordsOf(parsed)).toEqual(reference.words.map((w) => [w.text, round3(w.start), round3(w.end)]));

  const srt = await daemon.cli("transcribe", "--model", model, "--format", "srt", "--word-timestamps", wav);
  expect(srt.code).toBe(0);
  // --word-timestamps: one cue per word, at the transducer's times (80 ms frames).
  const cues = srt.stdout.trim().split("\n\n");
  expect(cues).toHaveLength(reference.words.length);
  const time = (seconds: number) => new Date(Math.round(seconds * 1000)).toISOString().slice(11, 23).replace(".", ",");
  expect(cues[0]).toBe(
    `1\n${time(reference.words[0].start)} --> ${time(reference.words[0].end)}\n${reference.words[0].text}`,
  );
});

test("the HTTP API with the openai client: whisper-1 is the Parakeet model; json, verbose_json, srt", async () => {
  const json = await openai.audio.transcriptions.create({ file: readFileStream(), model: "whisper-1" });
  expect(json.text).toBe(reference.text);

  const verbose = await openai.audio.transcriptions.create({
    file: readFileStream(),
    model: "whisper-1",
    response_format: "verbose_json",
    timestamp_granularities: ["word", "segment"],
  });
  expect(verbose.text).toBe(reference.text);
  expect(verbose.language).toBe("unknown");
  expect(verbose.words?.map((w) => [w.word, w.start, w.end])).toEqual(
    reference.words.map((w) => [w.text, round3(w.start), round3(w.end)]),
  );
  const segments = verbose.segments ?? [];
  expect(segments.length).toBeGreaterThan(0);
  expect(segments.map((segment) => segment.text.trim()).join(" ")).toBe(reference.text);
  for (const segment of segments) {
    expect(segment.tokens.length).toBeGreaterThan(0);
    expect(segment.avg_logprob).toBeLessThan(0);
    expect(segment.seek).toBe(Math.round(segment.start * 100));
  }
  // The tokens are the transducer's: every one that made a word.
  expect(segments.flatMap((segment) => segment.tokens)).toEqual(reference.words.flatMap((w) => w.tokens));

  const srt = await openai.audio.transcriptions.create({
    file: readFileStream(),
    model: "whisper-1",
    response_format: "srt",
  });
  expect(srt).toMatch(/^1\n\d\d:\d\d:\d\d,\d\d\d --> \d\d:\d\d:\d\d,\d\d\d\n/);
  expect(
    srt
      .split("\n")
      .filter((line) => /^[a-z]/.test(line))
      .join(" "),
  ).toBe(reference.text);

  // temperature 0 is what Parakeet does (greedy), so it is taken.
  const greedy = await openai.audio.transcriptions.create({
    file: readFileStream(),
    model: "whisper-1",
    temperature: 0,
  });
  expect(greedy.text).toBe(reference.text);
});

test("the HTTP API's stream: deltas that add up to the text, usage in Parakeet's 80 ms frames and its tokens", async () => {
  const stream = await openai.audio.transcriptions.create({ file: readFileStream(), model: "whisper-1", stream: true });
  let deltas = "";
  let done: OpenAI.Audio.TranscriptionTextDoneEvent | null = null;
  for await (const event of stream) {
    if (event.type === "transcript.text.delta") deltas += event.delta;
    else if (event.type === "transcript.text.done") done = event;
  }
  expect(deltas).toBe(reference.text);
  expect(done?.text).toBe(reference.text);
  const audioTokens = Math.ceil(((await loadAudio(wav)).samples.length / 16_000) * 12.5);
  const outputTokens = reference.words.reduce((sum, word) => sum + word.tokens.length, 0);
  expect(done?.usage).toEqual({
    type: "tokens",
    input_tokens: audioTokens,
    input_token_details: { audio_tokens: audioTokens },
    output_tokens: outputTokens,
    total_tokens: audioTokens + outputTokens,
  });
});

test("MCP's transcribe_file, and the history keeps every job with the model's name", async () => {
  const mcp = await connectMcp(daemon);
  try {
    const result = await mcp.callTool({ name: "transcribe_file", arguments: { path: wav } });
    expect(result.isError).toBeFalsy();
    const text = toolText(result);
    expect(text).toMatch(new RegExp(`^${reference.text}\\n\\n\\(language unknown, \\d+ s, model .*parakeet-tiny\\)$`));
  } finally {
    await mcp.close();
  }
  const event = await client.request({ type: "history.list", limit: 1 });
  const page = (event as Extract<Event, { type: "done" }>).history as HistoryPage;
  expect(page.entries[0]).toMatchObject({
    kind: "file",
    text: reference.text,
    model,
    backend: "cpu",
    sourceFile: wav,
    app: "e2e-assistant (MCP)",
  });
});

test("replacements apply to Parakeet's text; vocabulary terms are boosted, those its pieces spell", async () => {
  expect((await daemon.cli("vocabulary", "add", "--replace", "in", "--with", "within")).code).toBe(0);
  // The fixture's 64 pieces have no "K" (nor its byte): the term cannot be boosted, and the text is as before.
  const added = await daemon.cli("vocabulary", "add", "Kubernetes");
  expect(added.stdout).toContain("added the term Kubernetes (the loaded model's pieces cannot spell it");
  try {
    const transcript = await client.transcribeFile(wav).promise;
    expect(transcript.text).toBe(reference.text.replace(/\bin\b/g, "within"));
    expect(transcript.text).toContain("within");
    expect((await daemon.cli("vocabulary", "add", "Verbatim")).stdout).toMatch(/added the term Verbatim\n?$/m);
    const listed = await daemon.cli("vocabulary", "list");
    expect(listed.stdout).toContain(
      "Terms (oldest first; * boosted while the loaded model decodes):\n    Kubernetes\n  * Verbatim\n",
    );
    expect(listed.stdout).not.toContain("Note:");
  } finally {
    await daemon.cli("vocabulary", "rm", "--replace", "in");
    await daemon.cli("vocabulary", "rm", "Kubernetes");
    await daemon.cli("vocabulary", "rm", "Verbatim");
  }
});

test.each<[string, TranscriptionOptions, RegExp]>([
  ["translation", { task: "translate" }, /is a Parakeet model and cannot translate; use large-v3-turbo-4bit/],
  ["a language it is not known to have", { language: "de" }, /whose languages are not known .* "de" \(German\)/],
  ["beam search", { beamSize: 5 }, /decodes greedily: beamSize is one of Whisper's decoding options/],
  ["best-of", { bestOf: 3 }, /bestOf is one of Whisper's decoding options/],
  ["a temperature", { temperature: 0.4 }, /temperature is one of Whisper's decoding options/],
  ["a fallback threshold", { logprobThreshold: -0.5 }, /logprobThreshold is one of Whisper's decoding options/],
])("the socket refuses %s as unsupported, naming a model that can", async (_, options, message) => {
  const error = await refusal(options);
  expect(error.code).toBe("unsupported");
  expect(error.message).toMatch(message);
});

test("the HTTP API refuses them with 400 unsupported, which the SDK does not retry", async () => {
  const refused = (request: Promise<unknown>) =>
    request.then(
      () => new Error("not refused"),
      (error: unknown) => error,
    );
  const translation = await refused(openai.audio.translations.create({ file: readFileStream(), model: "whisper-1" }));
  expect(translation).toBeInstanceOf(BadRequestError);
  expect(translation).toMatchObject({ status: 400, code: "unsupported" });
  expect((translation as Error).message).toContain("cannot translate; use large-v3-turbo-4bit");
  for (const extra of [{ language: "de" }, { temperature: 0.5 }]) {
    const error = await refused(
      openai.audio.transcriptions.create({ file: readFileStream(), model: "whisper-1", ...extra }),
    );
    expect(error).toMatchObject({ status: 400, type: "invalid_request_error", code: "unsupported" });
  }
});

test("the CLI exits 2 for a refusal (the exit-code table), printing nothing on stdout", async () => {
  for (const flags of [
    ["--task", "translate"],
    ["--language", "fr"],
    ["--beam-size", "5"],
  ]) {
    const run = await daemon.cli("transcribe", "--model", model, ...flags, wav);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("large-v3-turbo-4bit");
  }
});

test("the catalog's parakeet-v3 downloads like any model, knows its 25 languages, is listed and removed", async () => {
  const pulled = await daemon.cli("models", "pull", "parakeet-v3");
  expect(pulled.stderr).toBe("");
  expect(pulled.stdout).toContain("mlx-community/parakeet-tdt-0.6b-v3 is ready in");

  // German is one of its languages (the model recognizes it itself); Japanese is not: Whisper is named instead.
  const german = await client.transcribeFile(wav, { options: { model: "parakeet-v3", language: "de" } }).promise;
  expect(german).toMatchObject({ text: reference.text, language: "de", model: "parakeet-v3" });
  const japanese = await refusal({ model: "parakeet-v3", language: "ja" });
  expect(japanese.code).toBe("unsupported");
  expect(japanese.message).toBe(
    "parakeet-v3 is a Parakeet model of 25 languages (bg, cs, da, de, el, en, es, et, fi, fr, hr, hu, it, lt, lv, " +
      'mt, nl, pl, pt, ro, ru, sk, sl, sv, uk) and cannot transcribe "ja" (Japanese); use ' +
      "large-v3-turbo-4bit (a Whisper model) for it, or leave the language out",
  );

  const listed = (await daemon.cli("models", "list")).stdout;
  expect(listed).toMatch(/^\* +large-v3-turbo-4bit|^ +large-v3-turbo-4bit/m);
  expect(listed).toMatch(/^ {3}parakeet-v3 +Parakeet +2\.51 GB +1\.25 GB +25 European languages +downloaded, \d+ MB$/m);
  expect(listed).toMatch(/^ {3}parakeet-v2 +Parakeet +2\.47 GB +1\.24 GB +English$/m);
  expect(listed).toMatch(/^ {3}parakeet-110m +Parakeet +459 MB +230 MB +English$/m);
  expect(listed).toContain(`In use by jobs without --model: ${model}`);

  const used = await daemon.cli("models", "use", "parakeet-v3");
  expect(used.code).toBe(0);
  try {
    expect((await daemon.status()).model.capabilities?.languages).toHaveLength(25);
    expect((await daemon.cli("models", "list")).stdout).toMatch(/^\* +parakeet-v3 +Parakeet/m);
  } finally {
    expect((await daemon.cli("models", "use", model)).code).toBe(0);
  }
  const removed = await daemon.cli("models", "rm", "parakeet-v3");
  expect(removed.stdout).toMatch(/^removed mlx-community\/parakeet-tdt-0\.6b-v3 \(\d+ MB freed\)/);
});

function readFileStream() {
  return new File([readFileSync(wav)], "memo.wav", { type: "audio/wav" });
}

/** verbose_json's times: seconds to three decimals. */
function round3(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
