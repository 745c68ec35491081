// The OpenAI contract as apps use it (issue 42), driven by the official `openai` package against the real daemon with
// the trained fixture model: uploads streamed without a length, client errors that SDKs do not retry, OpenAI's model
// names, the details of the answers (usage as the SDK's types declare it, verbose_json's seek and segment text), and
// HTTPS beside plain HTTP.
import { X509Certificate } from "node:crypto";
import { createReadStream, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import OpenAI, { BadRequestError, toFile } from "openai";
import { generate } from "selfsigned";
import { apiToken, curl, freePort } from "../support/api";
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

test("OpenAI's model names are the daemon's model; the diarizing one needs the speaker model, not downloaded here", async () => {
  const printed = (await cli("transcribe", wav)).trim();
  for (const name of ALIASES) {
    const answer = await openai.audio.transcriptions.create({ file: createReadStream(wav), model: name });
    expect([name, answer.text]).toEqual([name, printed]);
  }
  const diarize = await openai.audio.transcriptions
    .create({ file: createReadStream(wav), model: "gpt-4o-transcribe-diarize" })
    .catch((error: unknown) => error);
  expect(diarize).toMatchObject({ status: 503 });
  expect((diarize as Error).message).toContain("The speaker model nemotron-diarization (config speakerModel)");
  expect((diarize as Error).message).toContain("HF_HUB_OFFLINE");

  const listed = (await openai.models.list()).data.map((entry) => entry.id);
  expect(listed).toEqual([...ALIASES, "gpt-4o-transcribe-diarize", path.basename(model)]);
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

  // A segment whose first token is a period (the fixture model's last segment of long-07, with Silero v6 finding the
  // speech) has no space before it, as openai's decode gives it: never " .".
  const otherFile = path.join(repoRoot, "test", "fixtures", "heldout-long", "long-07.flac");
  const other = await openai.audio.transcriptions.create({
    file: createReadStream(otherFile),
    model: "whisper-1",
    response_format: "verbose_json",
  });
  const period = other.segments!.find((segment) => segment.text.trimStart().startsWith("."));
  expect(period?.text).toMatch(/^\./);
});

test("--tls adds HTTPS on a port of its own beside plain HTTP; the certificate names loopback and host.docker.internal", async () => {
  const [plainPort, tlsPort] = [await freePort(), await freePort()];
  const tlsDaemon = new DaemonProcess({ model, threads: 1 });
  const folder = path.join(tlsDaemon.home, "api-tls");
  const certificateFile = path.join(folder, "certificate.pem");
  // A certificate made before host.docker.internal was among its names: made again, once.
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const old = await generate([{ name: "commonName", value: "Verbatim local API" }], {
    keyType: "ec",
    curve: "P-256",
    extensions: [
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
          { type: 7, ip: "::1" },
        ],
      },
    ],
  });
  writeFileSync(certificateFile, old.cert);
  writeFileSync(path.join(folder, "private-key.pem"), old.private, { mode: 0o600 });
  try {
    await tlsDaemon.start();
    const on = await tlsDaemon.cli("api", "on", "--port", String(plainPort), "--tls", "--tls-port", String(tlsPort));
    expect(on.code).toBe(0);
    const plainUrl = `http://127.0.0.1:${plainPort}/v1`;
    const tlsUrl = `https://127.0.0.1:${tlsPort}/v1`;
    expect(on.stdout).toContain(`api:     ${plainUrl} (OpenAI base URL`);
    expect(on.stdout).toContain(`         ${tlsUrl} (HTTPS and WSS, the same API)`);
    expect((await tlsDaemon.status()).api).toMatchObject({
      url: plainUrl,
      tls: true,
      tlsUrl,
      certificate: certificateFile,
    });
    expect((await tlsDaemon.cli("status")).stdout).toContain(tlsUrl);

    const certificate = readFileSync(certificateFile, "utf8");
    expect(certificate).not.toBe(old.cert);
    const x509 = new X509Certificate(certificate);
    for (const name of ["localhost", "host.docker.internal"]) expect(x509.checkHost(name)).toBe(name);
    for (const ip of ["127.0.0.1", "::1"]) expect(x509.checkIP(ip)).toBe(ip);

    // Both at once: the openai package on the plain URL, HTTPS with the certificate trusted, by every name it has.
    const token = apiToken(tlsDaemon);
    const plain = new OpenAI({ apiKey: token, baseURL: plainUrl, maxRetries: 0 });
    expect((await plain.models.list()).data[0].id).toBe("whisper-1");
    const auth = `Authorization: Bearer ${token}`;
    for (const host of ["127.0.0.1", "localhost", "host.docker.internal"]) {
      const answer = await curl([
        "--cacert",
        certificateFile,
        "--resolve",
        `host.docker.internal:${tlsPort}:127.0.0.1`,
        "-H",
        auth,
        `https://${host}:${tlsPort}/v1/models`,
      ]);
      expect([host, answer.status]).toEqual([host, 200]);
    }
    // Plain HTTP is not served on the HTTPS port, nor HTTPS on the plain one.
    expect((await curl(["-H", auth, `http://127.0.0.1:${tlsPort}/v1/models`])).status).not.toBe(200);
    expect((await curl(["--cacert", certificateFile, `https://127.0.0.1:${plainPort}/v1/models`])).status).toBe(0);

    // Made once: the next start of the API keeps it.
    expect((await tlsDaemon.cli("api", "off")).code).toBe(0);
    expect((await tlsDaemon.cli("api", "on")).code).toBe(0);
    expect(readFileSync(certificateFile, "utf8")).toBe(certificate);
  } finally {
    await tlsDaemon.dispose();
  }
});
