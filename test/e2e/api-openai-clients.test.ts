// The OpenAI contract as apps use it (issue 42), driven by the official `openai` package against the real daemon with
// the trained fixture model: uploads streamed without a length, client errors that SDKs do not retry, OpenAI's model
// names, and the details of the answers (usage as the SDK's types declare it, verbose_json's seek and segment text).
import { createReadStream, readFileSync } from "node:fs";
import path from "node:path";
import OpenAI, { BadRequestError, toFile } from "openai";
import { apiToken, freePort } from "../support/api";
import { DaemonProcess } from "../support/daemon-process";
import { heldoutWav } from "../support/dictation";
import { fixtureModel, repoRoot } from "../support/fixtures";

jest.setTimeout(240_000);

const model = fixtureModel();
const wav = heldoutWav("heldout-07.wav");
const longFile = path.join(repoRoot, "test", "fixtures", "heldout-long", "long-00.flac");
/** openai's names that apps hard-code, each the daemon's model here. */
const ALIASES = [
  "whisper-1",
  "gpt-4o-transcribe",
  "gpt-4o-mini-transcribe",
  "whisper-large-v3",
  "whisper-large-v3-turbo",
];
let daemon: DaemonProcess;
let openai: OpenAI;
let base: string;

const cli = async (...args: string[]) => {
  const result = await daemon.cli(...args);
  if (result.code !== 0) throw new Error(`verbatim ${args.join(" ")} failed: ${result.stderr}`);
  return result.stdout;
};
const occurrences = (text: string, part: string) => text.split(part).length - 1;

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}/v1`;
  // The default upload room: 8 uploads and 4096 MiB at once.
  daemon = await DaemonProcess.ready({ model, threads: 2, api: { enabled: true, port, host: "127.0.0.1" } });
  openai = new OpenAI({ apiKey: apiToken(daemon), baseURL: base, maxRetries: 0 });
});

afterAll(async () => {
  await daemon?.dispose();
});

test("8 uploads at once, each streamed without a length (createReadStream), are all served", async () => {
  const printed = await cli("transcribe", wav);
  const answers = await Promise.all(
    Array.from({ length: 8 }, () =>
      openai.audio.transcriptions.create({ file: createReadStream(wav), model: "whisper-1", response_format: "text" }),
    ),
  );
  expect(answers).toEqual(Array.from({ length: 8 }, () => printed));
});

test("a language the model cannot transcribe is 400 unsupported, which the SDK does not retry: one job ran", async () => {
  // The SDK's default: 2 retries of a 5xx, none of a 4xx.
  const retrying = new OpenAI({ apiKey: apiToken(daemon), baseURL: base });
  const refused = await retrying.audio.transcriptions
    .create({ file: await toFile(readFileSync(wav), "memo.wav"), model: "whisper-1", language: "de" })
    .catch((error: unknown) => error);
  expect(refused).toBeInstanceOf(BadRequestError);
  expect(refused).toMatchObject({ status: 400, type: "invalid_request_error", code: "unsupported" });
  expect((refused as Error).message).toContain('is an English-only model and cannot transcribe "de" (German)');
  // Each job that fails is logged once: a retried request would have run (and logged) three.
  expect(occurrences(daemon.output, 'cannot transcribe \\"de\\"')).toBe(1);

  // A code Whisper does not know: the same words from the HTTP API and the socket.
  const words = '"klingon" is not a language Whisper knows: give an ISO-639-1 code such as "en" or "de"';
  const unknown = await openai.audio.transcriptions
    .create({ file: createReadStream(wav), model: "whisper-1", language: "klingon" })
    .catch((error: unknown) => error);
  expect(unknown).toMatchObject({ status: 400, param: "language" });
  expect((unknown as Error).message).toContain(words);
  const client = await daemon.connect();
  try {
    const socket = client.transcribeFile(wav, { options: { language: "klingon" } }).promise;
    await expect(socket).rejects.toMatchObject({ code: "bad_message", message: expect.stringContaining(words) });
  } finally {
    client.close();
  }
});

test("OpenAI's model names are the daemon's model; the diarizing one is a 400 saying why", async () => {
  const printed = (await cli("transcribe", wav)).trim();
  for (const name of ALIASES) {
    const answer = await openai.audio.transcriptions.create({ file: createReadStream(wav), model: name });
    expect([name, answer.text]).toEqual([name, printed]);
  }
  const diarize = await openai.audio.transcriptions
    .create({ file: createReadStream(wav), model: "gpt-4o-transcribe-diarize" })
    .catch((error: unknown) => error);
  expect(diarize).toBeInstanceOf(BadRequestError);
  expect(diarize).toMatchObject({ status: 400, code: "unsupported", param: "model" });
  expect((diarize as Error).message).toContain("diarization is not available");

  const listed = (await openai.models.list()).data.map((entry) => entry.id);
  expect(listed).toEqual([...ALIASES, path.basename(model)]);
  for (const name of ALIASES) expect(await openai.models.retrieve(name)).toMatchObject({ id: name, object: "model" });
});

test("usage as the SDK's types declare it; verbose_json's seek and segment text as openai's", async () => {
  const printed = JSON.parse(await cli("transcribe", "--format", "json", longFile)) as {
    text: string;
    duration: number;
    segments: { start: number; text: string }[];
  };
  // transcript.text.done carries token usage (TranscriptionTextDoneEvent.Usage), never duration.
  const stream = await openai.audio.transcriptions.create({
    file: createReadStream(longFile),
    model: "whisper-1",
    stream: true,
  });
  let done: OpenAI.Audio.TranscriptionTextDoneEvent | null = null;
  for await (const event of stream) if (event.type === "transcript.text.done") done = event;
  expect(done?.text).toBe(printed.text);
  const audioTokens = Math.ceil(printed.duration * 50); // the encoder's 1500 positions a 30 s window
  expect(done?.usage).toEqual({
    type: "tokens",
    input_tokens: audioTokens,
    input_token_details: { audio_tokens: audioTokens },
    output_tokens: expect.any(Number),
    total_tokens: audioTokens + done!.usage!.output_tokens,
  });
  expect(done!.usage!.output_tokens).toBeGreaterThan(printed.text.split(" ").length / 2);

  // json and verbose_json: duration usage (Transcription.Duration, TranscriptionVerbose.Usage).
  const json = await openai.audio.transcriptions.create({ file: createReadStream(longFile), model: "whisper-1" });
  expect(json.usage).toEqual({ type: "duration", seconds: Math.ceil(printed.duration) });
  const verbose = await openai.audio.transcriptions.create({
    file: createReadStream(longFile),
    model: "whisper-1",
    response_format: "verbose_json",
  });
  expect(verbose.usage).toEqual({ type: "duration", seconds: Math.ceil(printed.duration) });
  const segments = verbose.segments!;
  expect(segments.length).toBe(printed.segments.length);
  // seek: the start of the segment's 30 s window in mel frames (100 a second) of the whole file, never going back.
  segments.forEach((segment, index) => {
    expect(segment.seek).toBeLessThanOrEqual(Math.round(segment.start * 100));
    expect(segment.start * 100 - segment.seek).toBeLessThan(3000);
    if (index > 0) expect(segment.seek).toBeGreaterThanOrEqual(segments[index - 1].seek);
  });
  expect(segments.at(-1)!.seek).toBeGreaterThan(0); // 49 s: more than one window
  // openai's segment text: the decoded tokens, with their leading space; punctuation stays with the word before it.
  expect(segments.map((segment) => segment.text)).toEqual(printed.segments.map((segment) => ` ${segment.text}`));
  for (const segment of segments) expect(segment.text).not.toMatch(/^\s*[.,!?;:]/);
});
