// The OpenAI-compatible HTTP API of the real daemon, driven by the official `openai` npm client and by curl, with
// the real engine on the trained fixture model and held-out speech: every response format equals what `verbatim
// transcribe` prints, streaming, translation, models, errors in OpenAI's shape with their statuses, the Host check,
// the bearer token, the history, and `verbatim api on|off|token`.
import { createReadStream, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import OpenAI, { AuthenticationError, BadRequestError, NotFoundError, toFile } from "openai";
import { apiToken, curl, freePort } from "../support/api";
import { heldoutWav, waitFor } from "../support/dictation";
import { DaemonProcess } from "../support/daemon-process";
import { fixtureModel, makeRandomModel, repoRoot, smallEnglishDims } from "../support/fixtures";

jest.setTimeout(180_000);

const model = fixtureModel();
const wav = heldoutWav("heldout-07.wav");
const longFile = path.join(repoRoot, "test", "fixtures", "heldout-long", "long-00.flac");
let daemon: DaemonProcess;
let port: number;
let openai: OpenAI;
let base: string;

const cli = async (...args: string[]) => {
  const result = await daemon.cli(...args);
  if (result.code !== 0) throw new Error(`verbatim ${args.join(" ")} failed: ${result.stderr}`);
  return result.stdout;
};
const bearer = () => `Authorization: Bearer ${apiToken(daemon)}`;

beforeAll(async () => {
  port = await freePort();
  base = `http://127.0.0.1:${port}/v1`;
  // 1 MiB of upload room: the held-out files fit, a 2 MiB one does not.
  daemon = await DaemonProcess.ready({
    model,
    threads: 2,
    maxUnfinishedUploadMB: 1,
    api: { enabled: true, port, host: "127.0.0.1", allowOrigins: ["app://obsidian.md"] },
  });
  openai = new OpenAI({ apiKey: apiToken(daemon), baseURL: base, maxRetries: 0 });
});

afterAll(async () => {
  await daemon?.dispose();
});

test("the openai client transcribes in every response format, each equal to what verbatim transcribe prints", async () => {
  const printed = await cli("transcribe", wav);
  expect(printed).toBe("The level far damage fund regular receive.\n");

  const text = await openai.audio.transcriptions.create({
    file: createReadStream(wav), // sent chunked, without a length
    model: "whisper-1",
    response_format: "text",
  });
  expect(text).toBe(printed);

  const json = await openai.audio.transcriptions.create({
    file: await toFile(readFileSync(wav), "memo.wav"),
    model: "whisper-1",
  });
  expect(json).toMatchObject({ text: printed.trim(), usage: { type: "duration", seconds: 3 } });

  for (const format of ["srt", "vtt"] as const) {
    const subtitles = await openai.audio.transcriptions.create({
      file: createReadStream(wav),
      model: "whisper-1",
      response_format: format,
    });
    expect(subtitles).toBe(await cli("transcribe", "--format", format, wav));
  }

  const verbose = await openai.audio.transcriptions.create({
    file: createReadStream(wav),
    model: "whisper-1",
    response_format: "verbose_json",
    timestamp_granularities: ["word", "segment"],
  });
  const printedJson = JSON.parse(await cli("transcribe", "--format", "json", "--word-timestamps", wav));
  expect(verbose).toMatchObject({ task: "transcribe", language: "english", duration: printedJson.duration });
  expect(verbose.text).toBe(printed.trim());
  expect(verbose.segments).toHaveLength(printedJson.segments.length);
  verbose.segments!.forEach((segment, id) => {
    const expected = printedJson.segments[id];
    expect(segment).toMatchObject({
      id,
      start: expected.start,
      end: expected.end,
      text: ` ${expected.text}`, // openai's segment text: the decoded tokens, with their leading space
      temperature: 0,
    });
    // Where its window starts in mel frames: the speech the voice activity detector found, at most the segment's start
    expect(segment.seek).toBeGreaterThanOrEqual(0);
    expect(segment.seek).toBeLessThanOrEqual(Math.round(segment.start * 100));
    expect(segment.tokens.length).toBeGreaterThan(expected.text.split(" ").length);
    expect(segment.avg_logprob).toBeLessThan(0);
    expect(segment.compression_ratio).toBeGreaterThan(0);
    expect(segment.no_speech_prob).toBeGreaterThanOrEqual(0);
    expect(segment.no_speech_prob).toBeLessThanOrEqual(1);
  });
  // openai's words are top-level, without the leading space
  const printedWords = printedJson.segments.flatMap((s: { words: { word: string; start: number; end: number }[] }) =>
    s.words.map((w) => ({ word: w.word.trim(), start: w.start, end: w.end })),
  );
  expect(verbose.words).toEqual(printedWords);

  // language, prompt and temperature reach the engine: decoding starts at 0.2 (or a fallback above it).
  const conditioned = await openai.audio.transcriptions.create({
    file: createReadStream(wav),
    model: "whisper-1",
    language: "en",
    prompt: "Level, damage, fund.",
    temperature: 0.2,
    response_format: "verbose_json",
  });
  expect(conditioned.language).toBe("english");
  expect(conditioned.segments!.every((segment) => segment.temperature >= 0.2)).toBe(true);

  // Only words: no segments.
  const wordsOnly = await openai.audio.transcriptions.create({
    file: createReadStream(wav),
    model: "whisper-1",
    response_format: "verbose_json",
    timestamp_granularities: ["word"],
  });
  expect(wordsOnly.segments).toBeUndefined();
  expect(wordsOnly.words).toEqual(printedWords);
});

test("stream=true sends transcript.text.delta as each stretch is recognised, then transcript.text.done", async () => {
  const printed = JSON.parse(await cli("transcribe", "--format", "json", longFile)).text;
  const stream = await openai.audio.transcriptions.create({
    file: createReadStream(longFile),
    model: "whisper-1",
    stream: true,
  });
  const events: { type: string; at: number; text: string }[] = [];
  for await (const event of stream) {
    events.push({
      type: event.type,
      at: Date.now(),
      text:
        event.type === "transcript.text.delta" ? event.delta : event.type === "transcript.text.done" ? event.text : "",
    });
  }
  const deltas = events.filter((event) => event.type === "transcript.text.delta");
  const done = events.at(-1)!;
  expect(done.type).toBe("transcript.text.done");
  expect(done.text).toBe(printed);
  // 49 s of speech: two windows' segments, the first ones well before the end.
  expect(deltas.length).toBeGreaterThan(3);
  expect(deltas.map((delta) => delta.text).join("")).toBe(printed);
  expect(new Set(deltas.map((delta) => delta.at)).size).toBeGreaterThan(1); // a burst per window, not all at the end
});

test("translations refused by an English-only model, models, and the history with the client's name", async () => {
  const printed = (await cli("transcribe", wav)).trim();
  // An English-only model cannot translate: refused in OpenAI's shape, saying what to use instead.
  const translation = await openai.audio.translations
    .create({ file: createReadStream(wav), model: "whisper-1" })
    .catch((error: unknown) => error);
  expect(translation).toBeInstanceOf(BadRequestError);
  expect(translation).toMatchObject({ status: 400, type: "invalid_request_error" });
  expect((translation as Error).message).toMatch(/English-only model and cannot translate; use a multilingual model/);

  // A model in a local folder is named by the folder's name: no client learns where the user keeps it.
  const models = await openai.models.list();
  expect(models.data.map((entry) => entry.id)).toEqual([
    "whisper-1",
    "gpt-4o-transcribe",
    "gpt-4o-mini-transcribe",
    "whisper-large-v3",
    "whisper-large-v3-turbo",
    "gpt-4o-transcribe-diarize",
    path.basename(model),
  ]);
  expect(models.data[0]).toMatchObject({ object: "model", owned_by: "verbatim" });
  expect(JSON.stringify(models.data)).not.toContain(path.dirname(model));
  expect(await openai.models.retrieve("whisper-1")).toMatchObject({ id: "whisper-1", object: "model" });
  expect(await openai.models.retrieve(path.basename(model))).toMatchObject({ owned_by: "local" });
  const health = await curl(["-H", bearer(), `${base.replace(/\/v1$/, "")}/health`]);
  expect(JSON.parse(health.body)).toEqual({ status: "ok", model: path.basename(model), state: "ready" });
  // The daemon's own model by that name (or its path) works as whisper-1 does; an unknown one is 404, and nothing
  // is downloaded.
  for (const name of [path.basename(model), model]) {
    const byId = await openai.audio.transcriptions.create({ file: createReadStream(wav), model: name });
    expect(byId.text).toBe(printed);
  }
  const unknown = await openai.audio.transcriptions
    .create({ file: createReadStream(wav), model: "tts-1" })
    .catch((error: unknown) => error);
  expect(unknown).toBeInstanceOf(NotFoundError);
  expect(unknown).toMatchObject({ status: 404, code: "model_not_found", param: "model" });

  const { entries } = JSON.parse(await cli("history", "--json", "--limit", "1"));
  expect(entries[0]).toMatchObject({
    kind: "file",
    app: "OpenAI/JS (API)",
    sourceFile: "heldout-07.wav",
    text: printed,
  });
});

test("translations with a multilingual model: text and verbose_json equal verbatim transcribe --task translate", async () => {
  // A v3-shaped model with random weights and the real multilingual tokenizer: its words are noise, but the task,
  // the prompt it decodes with and the answer's shape are the real ones.
  const multilingual = makeRandomModel({ ...smallEnglishDims, n_mels: 128, n_vocab: 51866 });
  const client = await daemon.connect();
  try {
    await client.request({ type: "model.switch", model: multilingual });
    const printed = (await cli("transcribe", "--task", "translate", "--format", "json", wav)).trim();
    const expected = JSON.parse(printed) as { text: string; language: string };
    const translation = await openai.audio.translations.create({ file: createReadStream(wav), model: "whisper-1" });
    expect(translation.text).toBe(expected.text);
    const verbose = await openai.audio.translations.create({
      file: createReadStream(wav),
      model: "whisper-1",
      response_format: "verbose_json",
    });
    expect(verbose).toMatchObject({ task: "translate", text: expected.text });
  } finally {
    await client.request({ type: "model.switch", model });
    client.close();
    rmSync(multilingual, { recursive: true, force: true });
  }
});

test("a wrong or missing key gets 401 in OpenAI's shape", async () => {
  const wrong = new OpenAI({ apiKey: "not-the-token", baseURL: base, maxRetries: 0 });
  const error = await wrong.models.list().catch((failure: unknown) => failure);
  expect(error).toBeInstanceOf(AuthenticationError);
  expect(error).toMatchObject({ status: 401, code: "invalid_api_key", type: "invalid_request_error" });
  const missing = await curl([`${base}/models`]);
  expect(missing.status).toBe(401);
  expect(JSON.parse(missing.body)).toEqual({
    error: { message: expect.any(String), type: "invalid_request_error", param: null, code: "missing_api_key" },
  });
});

test("curl: content types, CORS only for an allowed origin, the Host check, and 400, 413, 415", async () => {
  const form = (format: string) => [
    "-H",
    bearer(),
    "-F",
    `file=@${wav}`,
    "-F",
    "model=whisper-1",
    "-F",
    `response_format=${format}`,
    `${base}/audio/transcriptions`,
  ];
  const types: Record<string, string> = {
    json: "application/json",
    verbose_json: "application/json",
    text: "text/plain; charset=utf-8",
    srt: "application/x-subrip; charset=utf-8",
    vtt: "text/vtt; charset=utf-8",
  };
  for (const [format, type] of Object.entries(types)) {
    const answer = await curl(form(format));
    expect([format, answer.status, answer.headers["content-type"]]).toEqual([format, 200, type]);
    expect(Object.keys(answer.headers).filter((name) => name.startsWith("access-control-"))).toEqual([]);
  }
  const preflight = (origin: string) =>
    curl([
      "-X",
      "OPTIONS",
      "-H",
      `Origin: ${origin}`,
      "-H",
      "Access-Control-Request-Method: POST",
      "-H",
      "Access-Control-Request-Headers: authorization, content-type",
      `${base}/audio/transcriptions`,
    ]);
  const webPage = await preflight("https://example.com");
  expect(webPage.status).toBe(401);
  expect(Object.keys(webPage.headers).filter((name) => name.startsWith("access-control-"))).toEqual([]);
  // Only an origin the user allowed (here Obsidian's, as the README shows) may read answers.
  const obsidian = await preflight("app://obsidian.md");
  expect(obsidian.status).toBe(204);
  expect(obsidian.headers).toMatchObject({
    "access-control-allow-origin": "app://obsidian.md",
    "access-control-allow-methods": "GET, POST",
    "access-control-allow-headers": "authorization, content-type",
  });
  const fromObsidian = await curl(["-H", "Origin: app://obsidian.md", ...form("json")]);
  expect([fromObsidian.status, fromObsidian.headers["access-control-allow-origin"]]).toEqual([
    200,
    "app://obsidian.md",
  ]);
  const fromPage = await curl(["-H", "Origin: https://example.com", ...form("json")]);
  expect([fromPage.status, fromPage.headers["access-control-allow-origin"]]).toEqual([200, undefined]);

  // DNS rebinding: a page that points its own name at 127.0.0.1 still sends that name.
  const rebound = await curl(["-H", bearer(), "-H", `Host: attacker.example:${port}`, `${base}/models`]);
  expect(rebound.status).toBe(403);
  expect(JSON.parse(rebound.body).error.code).toBe("invalid_host");
  const otherPort = await curl(["-H", bearer(), "-H", `Host: 127.0.0.1:${port + 1}`, `${base}/models`]);
  expect(otherPort.status).toBe(403);
  expect((await curl(["-H", bearer(), `http://localhost:${port}/v1/models`])).status).toBe(200);
  expect((await curl(["-H", bearer(), `http://localhost:${port}/health`])).status).toBe(200);

  const noFile = await curl(["-H", bearer(), "-F", "model=whisper-1", `${base}/audio/transcriptions`]);
  expect(noFile.status).toBe(400);
  expect(JSON.parse(noFile.body).error).toMatchObject({ type: "invalid_request_error", param: "file" });
  const badFormat = await curl(form("docx"));
  expect([badFormat.status, JSON.parse(badFormat.body).error.param]).toEqual([400, "response_format"]);

  const big = path.join(daemon.home, "big.wav");
  writeFileSync(big, Buffer.alloc(2 * 1024 * 1024, 1)); // over the 1 MiB of maxUnfinishedUploadMB
  const announced = await curl([
    "-H",
    bearer(),
    "-F",
    `file=@${big}`,
    "-F",
    "model=whisper-1",
    `${base}/audio/transcriptions`,
  ]);
  expect(announced.status).toBe(413);
  // The limit that applied is named: here the daemon's 1 MiB of uploads at once, below one upload's 2 GiB.
  expect(JSON.parse(announced.body).error.message).toBe(
    "the upload (2 MiB) is larger than the 1 MiB this daemon takes in uploads at once (config " +
      "maxUnfinishedUploadMB); send a smaller file, or a shorter or more compressed recording",
  );
  const chunked = await curl([
    "-H",
    bearer(),
    "-H",
    "Transfer-Encoding: chunked",
    "-F",
    `file=@${big}`,
    "-F",
    "model=whisper-1",
    `${base}/audio/transcriptions`,
  ]);
  expect(chunked.status).toBe(413);
  expect(JSON.parse(chunked.body).error).toMatchObject({
    code: "file_too_large",
    param: "file",
    message: expect.stringMatching(
      /^the (upload|file) is larger than the 1 MiB this daemon takes in uploads at once \(config maxUnfinishedUploadMB\)/,
    ),
  });

  // A path that is not percent-encoded UTF-8, and a WAV header that contradicts itself, are the client's errors.
  const malformed = await curl(["-H", bearer(), `${base}/models/%E0%A4%A`]);
  expect(malformed.status).toBe(400);
  expect(JSON.parse(malformed.body).error).toMatchObject({ type: "invalid_request_error", code: "invalid_url" });
  const sevenBits = path.join(daemon.home, "seven-bits.wav");
  const header = readFileSync(wav);
  header.writeUInt16LE(7, header.indexOf("fmt ", 12, "latin1") + 8 + 14); // bits per sample, in 2-byte frames
  writeFileSync(sevenBits, header);
  const impossible = await curl([
    "-H",
    bearer(),
    "-F",
    `file=@${sevenBits}`,
    "-F",
    "model=whisper-1",
    `${base}/audio/transcriptions`,
  ]);
  expect(impossible.status).toBe(400);
  expect(JSON.parse(impossible.body).error).toMatchObject({
    message: expect.stringContaining("its fmt chunk says 7 bits per sample in 2-byte frames (block align)"),
    code: "invalid_audio",
    param: "file",
  });

  const notes = path.join(daemon.home, "notes.txt");
  writeFileSync(notes, "These are meeting notes, not a recording.\n");
  const notAudio = await curl([
    "-H",
    bearer(),
    "-F",
    `file=@${notes}`,
    "-F",
    "model=whisper-1",
    `${base}/audio/transcriptions`,
  ]);
  expect(notAudio.status).toBe(415);
  expect(JSON.parse(notAudio.body).error).toMatchObject({ code: "unsupported_media_type", param: "file" });

  // The daemon is still there for the next client.
  expect((await curl(form("text"))).body).toBe(await cli("transcribe", wav));
});

test("upload room: a chunked upload holds only the bytes it has sent; one that does not fit is told true sizes", async () => {
  // A client streams 700 KiB of a file without a length and leaves its request open: 700 KiB of the 1 MiB of room.
  const held = http.request(`${base}/audio/transcriptions`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiToken(daemon)}`, "content-type": "multipart/form-data; boundary=held" },
  });
  held.on("error", () => undefined);
  held.write('--held\r\nContent-Disposition: form-data; name="file"; filename="held.wav"\r\n\r\n');
  held.write(Buffer.alloc(700 * 1024, 1));
  const uploads = path.join(daemon.home, "state", "uploads");
  const received = () =>
    readdirSync(uploads, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name === "held.wav")
      .reduce((sum, entry) => sum + statSync(path.join(entry.parentPath, entry.name)).size, 0);
  try {
    await waitFor(() => received() >= 700 * 1024, "the held upload's bytes on disk");
    // Beside it, what fits is served: a 100 KB file streamed without a length (once refused: it reserved 1 MiB).
    const served = await openai.audio.transcriptions.create({
      file: createReadStream(wav),
      model: "whisper-1",
      response_format: "text",
    });
    expect(served).toBe(await cli("transcribe", wav));
    // What does not fit is 429, saying the sizes as they are and what the client can do, in HTTP's terms.
    const refused = await openai.audio.transcriptions
      .create({ file: await toFile(Buffer.alloc(400 * 1024), "big.wav"), model: "whisper-1" })
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ status: 429, code: "too_many_uploads" });
    expect((refused as Error).message).toMatch(
      /this upload \(40\d KiB\) and the others being received \(70\d KiB\) would pass the 1 MiB verbatimd takes at once \(config maxUnfinishedUploadMB\); wait a few seconds and send it again, or send a smaller file$/,
    );
  } finally {
    held.destroy();
  }
});

test("a model that cannot be loaded: 503 for jobs and /health, in OpenAI's shape", async () => {
  const broken = new DaemonProcess({
    model: path.join(repoRoot, "no-such-model"),
    api: { enabled: true, port: await freePort(), host: "127.0.0.1" },
  });
  try {
    await broken.start();
    for (let state = ""; state !== "failed"; state = (await broken.status()).model.state) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const url = (await broken.status()).api!.url!;
    const auth = `Authorization: Bearer ${apiToken(broken)}`;
    const health = await curl(["-H", auth, url.replace(/\/v1$/, "/health")]);
    expect([health.status, JSON.parse(health.body).status]).toEqual([503, "unavailable"]);
    const job = await curl(["-H", auth, "-F", `file=@${wav}`, "-F", "model=whisper-1", `${url}/audio/transcriptions`]);
    expect(job.status).toBe(503);
    expect(JSON.parse(job.body).error).toMatchObject({ type: "server_error", code: "model" });
  } finally {
    await broken.dispose();
  }
});

test("verbatim api on|off|token: the status shows the API, off closes it, a rotated token replaces the old one", async () => {
  const status = JSON.parse(await cli("status", "--json"));
  expect(status.api).toMatchObject({ enabled: true, url: base, tls: false, error: null });
  expect(await cli("status")).toContain(`api:     ${base}`);

  expect(await cli("api", "off")).toContain("off");
  expect((await curl([`${base}/models`])).status).toBe(0); // nothing listens
  expect(JSON.parse(await cli("status", "--json")).api).toMatchObject({ enabled: false, url: null });
  const saved = JSON.parse(readFileSync(path.join(daemon.home, "config.json"), "utf8"));
  expect(saved.api).toEqual({
    enabled: false,
    port,
    host: "127.0.0.1",
    tls: false,
    allowOrigins: ["app://obsidian.md"],
  });

  const otherPort = await freePort();
  expect(await cli("api", "on", "--port", String(otherPort))).toContain(`http://127.0.0.1:${otherPort}/v1`);
  const oldToken = (await cli("api", "token")).trim();
  expect(oldToken).toBe(apiToken(daemon));
  const newToken = (await cli("api", "token", "--rotate")).trim();
  expect(newToken).not.toBe(oldToken);
  const url = `http://127.0.0.1:${otherPort}/v1/models`;
  expect((await curl(["-H", `Authorization: Bearer ${oldToken}`, url])).status).toBe(401);
  expect((await curl(["-H", `Authorization: Bearer ${newToken}`, url])).status).toBe(200);

  // A port another program holds: refused, saying so, and the API goes on where it was.
  const holder = net.createServer();
  const heldPort = await freePort();
  await new Promise<void>((resolve) => holder.listen(heldPort, "127.0.0.1", resolve));
  const inUse = await daemon.cli("api", "on", "--port", String(heldPort));
  holder.close();
  expect(inUse.code).not.toBe(0);
  expect(inUse.stderr).toContain(`another program uses port ${heldPort}`);
  expect((await curl(["-H", `Authorization: Bearer ${newToken}`, url])).status).toBe(200);
});
