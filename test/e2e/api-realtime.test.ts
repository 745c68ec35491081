// Realtime transcription over WebSocket on the real daemon, driven by the `openai` package's own Realtime client
// (openai/realtime/ws). That client always dials wss://, so the API runs with TLS (`api.tls`, the self-signed
// certificate the daemon makes) and the client is told to trust that certificate. A held-out sentence streams at
// real-time pace as 24 kHz PCM16: deltas come before the audio ends, server VAD ends the turn, and the completed
// transcript equals the final text of a dictation of the same sentence.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { OpenAIRealtimeWS } from "openai/realtime/ws";
import WebSocket from "ws";
import { apiToken, freePort } from "../support/api";
import { heldoutWav, pcmOf, sendPcm, startDictation, stopDictation, waitFor } from "../support/dictation";
import { DaemonProcess } from "../support/daemon-process";
import { fixtureModel } from "../support/fixtures";
import { appendAtRealTimePace, CHUNK_BYTES, connectRealtime, ofType, pcm24 } from "../support/realtime";

jest.setTimeout(180_000);

const wav = heldoutWav("heldout-07.wav");
let daemon: DaemonProcess;
let port: number;
let certificate: Buffer;
let dictationText: string;

const closed = (rt: OpenAIRealtimeWS) => new Promise((resolve) => rt.socket.once("close", resolve));

beforeAll(async () => {
  port = await freePort();
  daemon = await DaemonProcess.ready({
    model: fixtureModel(),
    threads: 2,
    // HTTPS (which the Realtime client dials) on `port`, plain HTTP on a port of its own
    api: { enabled: true, port: await freePort(), host: "127.0.0.1", tls: true, tlsPort: port },
  });
  certificate = readFileSync(path.join(daemon.home, "api-tls", "certificate.pem"));
  // The dictation's final text for the same sentence, through the socket.
  const client = await daemon.connect();
  const following = await startDictation(client);
  sendPcm(client, following.session, await pcmOf(wav));
  dictationText = (await stopDictation(client, following.session)).text;
  client.close();
  expect(dictationText).toBe("The level far damage fund regular receive.");
});

afterAll(async () => {
  await daemon?.dispose();
});

test("server VAD: deltas before the audio ends, speech events, and a completed transcript equal to the dictation's", async () => {
  const { rt, received, open } = connectRealtime(daemon, port, certificate);
  await open;
  rt.send({
    type: "session.update",
    session: {
      type: "transcription",
      audio: {
        input: {
          transcription: { model: "whisper-1", language: "en" },
          turn_detection: { type: "server_vad", silence_duration_ms: 500 },
        },
      },
    },
  });
  const audioEnded = await appendAtRealTimePace(rt, pcm24(wav, "pad", "0", "1"));
  await waitFor(
    () => ofType(received, "conversation.item.input_audio_transcription.completed").length > 0,
    "completed",
  );
  rt.close();
  await closed(rt);

  const types = received.map((r) => r.event.type);
  expect(types.slice(0, 2)).toEqual(["session.created", "session.updated"]);
  expect(ofType(received, "session.updated")[0].event.session).toMatchObject({
    type: "transcription",
    audio: {
      input: {
        format: { type: "audio/pcm", rate: 24000 },
        turn_detection: { type: "server_vad", silence_duration_ms: 500 },
      },
    },
  });
  const [started] = ofType(received, "input_audio_buffer.speech_started");
  const [stopped] = ofType(received, "input_audio_buffer.speech_stopped");
  const [committed] = ofType(received, "input_audio_buffer.committed");
  const [completed] = ofType(received, "conversation.item.input_audio_transcription.completed");
  const item = started.event.item_id;
  expect([stopped.event.item_id, committed.event.item_id, completed.event.item_id]).toEqual([item, item, item]);
  expect(committed.event.previous_item_id).toBeNull();
  // The sentence is 2.9 s long: speech starts near its beginning and stops near its end.
  expect(started.event.audio_start_ms).toBeLessThan(500);
  expect(stopped.event.audio_end_ms).toBeGreaterThan(2300);
  expect(stopped.event.audio_end_ms).toBeLessThan(3400);
  expect(types.indexOf("input_audio_buffer.speech_started")).toBeLessThan(
    types.indexOf("input_audio_buffer.speech_stopped"),
  );
  expect(types.indexOf("input_audio_buffer.committed")).toBeLessThan(
    types.indexOf("conversation.item.input_audio_transcription.completed"),
  );

  const deltas = ofType(received, "conversation.item.input_audio_transcription.delta").filter(
    (r) => r.event.item_id === item,
  );
  expect(deltas.length).toBeGreaterThan(1);
  expect(deltas[0].at).toBeLessThan(audioEnded); // live: words arrive while the sentence is still being sent
  expect(
    deltas
      .map((r) => r.event.delta)
      .join("")
      .trim().length,
  ).toBeGreaterThan(0);
  expect(completed.event).toMatchObject({ content_index: 0, transcript: dictationText, usage: { type: "duration" } });

  // It was a dictation: in the history under the client's door, its recording gone once delivered.
  await waitFor(() => {
    const recordings = path.join(daemon.home, "state", "recordings");
    return !existsSync(recordings) || readdirSync(recordings).every((f) => !f.endsWith(".wav"));
  }, "the recording's deletion");
  const { entries } = JSON.parse((await daemon.cli("history", "--json", "--limit", "1")).stdout);
  expect(entries[0]).toMatchObject({ kind: "dictation", app: expect.stringMatching(/\(Realtime API\)$/) });
  expect(entries[0].text.startsWith(dictationText)).toBe(true);
});

test("without turn detection the client commits: committed then completed, and an empty commit is refused", async () => {
  const { rt, received, open } = connectRealtime(daemon, port, certificate);
  await open;
  rt.send({ type: "session.update", session: { type: "transcription", audio: { input: { turn_detection: null } } } });
  rt.send({ type: "input_audio_buffer.commit" });
  await appendAtRealTimePace(rt, pcm24(wav, "pad", "0", "0.3"));
  rt.send({ type: "input_audio_buffer.commit" });
  await waitFor(
    () => ofType(received, "conversation.item.input_audio_transcription.completed").length > 0,
    "completed",
  );
  rt.close();
  await closed(rt);

  const errors = ofType(received, "error");
  expect(errors).toHaveLength(1);
  expect(errors[0].event.error).toMatchObject({ code: "input_audio_buffer_commit_empty" });
  expect(ofType(received, "input_audio_buffer.speech_started")).toHaveLength(0);
  const [committed] = ofType(received, "input_audio_buffer.committed");
  const [completed] = ofType(received, "conversation.item.input_audio_transcription.completed");
  expect(completed.event).toMatchObject({ item_id: committed.event.item_id, transcript: dictationText });
});

test("a model name the daemon does not have: an error naming it, and the rest of the update (the language) kept; OpenAI's names are taken", async () => {
  const { rt, received, open } = connectRealtime(daemon, port, certificate);
  await open;
  rt.send({
    type: "session.update",
    session: { type: "transcription", audio: { input: { transcription: { model: "no-such-model", language: "en" } } } },
  });
  rt.send({ type: "transcription_session.update", session: { input_audio_transcription: { model: "nor-this-one" } } });
  await waitFor(() => ofType(received, "transcription_session.updated").length > 0, "the beta update's answer");
  // What OpenAI's own Realtime examples send: an alias of the daemon's model, no error.
  for (const model of ["gpt-4o-transcribe", "gpt-4o-mini-transcribe", "whisper-large-v3"]) {
    rt.send({
      type: "session.update",
      session: { type: "transcription", audio: { input: { transcription: { model } } } },
    });
  }
  await waitFor(() => ofType(received, "session.updated").length === 4, "the alias updates' answers");
  // The diarizing model tells speakers apart in files only.
  rt.send({
    type: "session.update",
    session: { type: "transcription", audio: { input: { transcription: { model: "gpt-4o-transcribe-diarize" } } } },
  });
  await waitFor(() => ofType(received, "session.updated").length === 5, "the diarizing model's update");
  rt.close();
  await closed(rt);
  expect(ofType(received, "error").map((r) => r.event.error)).toEqual([
    expect.objectContaining({ code: "model_not_found", param: "session.audio.input.transcription.model" }),
    expect.objectContaining({ code: "model_not_found", param: "session.input_audio_transcription.model" }),
    expect.objectContaining({
      code: "unsupported",
      param: "session.audio.input.transcription.model",
      message: expect.stringContaining("not in Realtime sessions"),
    }),
  ]);
  expect(ofType(received, "session.updated")[0].event.session).toMatchObject({
    audio: { input: { transcription: { model: "whisper-1", language: "en" } } },
  });
  expect(ofType(received, "transcription_session.updated")[0].event.session).toMatchObject({
    input_audio_transcription: { model: "whisper-1", language: "en" },
  });
  expect(ofType(received, "session.updated").map((r) => r.event.session.audio.input.transcription)).toEqual([
    expect.objectContaining({ model: "whisper-1", language: "en" }),
    expect.objectContaining({ model: "gpt-4o-transcribe", language: "en" }),
    expect.objectContaining({ model: "gpt-4o-mini-transcribe", language: "en" }),
    expect.objectContaining({ model: "whisper-large-v3", language: "en" }),
    expect.objectContaining({ model: "whisper-large-v3", language: "en" }),
  ]);
});

test("what Verbatim does not do is refused with an error event; a running dictation refuses the connection", async () => {
  const { rt, received, open } = connectRealtime(daemon, port, certificate);
  await open;
  rt.send({ type: "session.update", session: { type: "realtime", model: "gpt-realtime" } });
  rt.send({ type: "response.create" });
  rt.send({ type: "input_audio_buffer.append", audio: Buffer.alloc(3).toString("base64") });
  rt.send({ type: "input_audio_buffer.append", audio: "not base64!" }); // Node's decoder would skip what it cannot read
  await waitFor(() => ofType(received, "error").length === 4, "four errors");
  const errors = ofType(received, "error").map((r) => r.event.error as { code: string; param: string | null });
  expect(errors.map((error) => error.code)).toEqual([
    "invalid_value",
    "unsupported_event",
    "invalid_audio",
    "invalid_audio",
  ]);
  expect(errors[3]).toMatchObject({ param: "audio", message: expect.stringMatching(/not valid base64/) });
  expect(ofType(received, "conversation.item.added")).toEqual([]);
  rt.close();
  await closed(rt);

  // The daemon runs one dictation at a time: while one runs, the upgrade is answered 429.
  const client = await daemon.connect();
  const following = await startDictation(client);
  const refused = await new Promise<number>((resolve) => {
    const socket = new WebSocket(`wss://127.0.0.1:${port}/v1/realtime?intent=transcription`, {
      ca: certificate,
      headers: { Authorization: `Bearer ${apiToken(daemon)}` },
    });
    socket.once("unexpected-response", (_request, response) => resolve(response.statusCode ?? 0));
    socket.once("open", () => resolve(101));
  });
  expect(refused).toBe(429);
  await client.request({ type: "dictation.cancel", session: following.session });
  following.outcome.catch(() => undefined);
  client.close();
});

test("a dictation that starts after the session opened: its audio is refused in the client's terms, the dictation runs on", async () => {
  const { rt, received, open } = connectRealtime(daemon, port, certificate);
  await open;
  const client = await daemon.connect();
  const following = await startDictation(client);
  const ended = closed(rt);
  rt.send({
    type: "input_audio_buffer.append",
    audio: pcm24(wav, "pad", "0", "0").subarray(0, CHUNK_BYTES).toString("base64"),
  });
  await waitFor(() => ofType(received, "error").length === 1, "the refusal");
  const [error] = ofType(received, "error").map((r) => r.event.error as { code: string; message: string });
  expect(error).toMatchObject({
    code: "dictation_running",
    message: expect.stringMatching(/^another dictation is already running on this machine .*verbatim dictations stop/),
  });
  expect(error.message).not.toMatch(/dictation\.(stop|attach)/); // the daemon's socket requests, not the client's
  await ended;
  const running = await client.request({ type: "dictation.list" });
  expect(running.type === "done" && running.dictations?.find((d) => d.session === following.session)?.state).toBe(
    "running",
  );
  await client.request({ type: "dictation.cancel", session: following.session });
  following.outcome.catch(() => undefined);
  client.close();
});
