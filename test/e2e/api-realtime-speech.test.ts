// Realtime transcription hears speech only, and loses no audio (issues 39 and 42), on the real daemon with each live
// family's trained fixture (test/support/families.ts), driven by the `openai` package's own Realtime client over the
// daemon's TLS (as api-realtime.test.ts): a Realtime session is a dictation, so a sentence gives live deltas and a
// completed transcript, the dictation's text. On the default family, what the sessions do whatever the model: silence
// and quiet noise give no text, no item and no history entry; held-out sentences with pauses between them are one
// turn each, with the text the daemon gives each sentence as a file; one append of more than 60 s and a settings
// change while audio flows lose nothing; OpenAI's GA item events frame each turn; G.711 input is heard.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { OpenAIRealtimeWS } from "openai/realtime/ws";
import { loadAudio, Resampler } from "../../daemon/src/audio";
import type { DaemonClient } from "../../daemon/src/client";
import { toPcmBytes } from "../../daemon/src/dictation/pcm";
import type { HistoryEntry } from "../../daemon/src/protocol";
import { freePort } from "../support/api";
import { heldoutWav, waitFor } from "../support/dictation";
import { DaemonProcess } from "../support/daemon-process";
import { defaultFamily, liveFamilies } from "../support/families";
import { appendAtRealTimePace, CHUNK_BYTES, connectRealtime, ofType, pcm24, type Received } from "../support/realtime";
import { normalizeWords } from "../support/wer";

jest.setTimeout(300_000);

const RATE = 24_000;
// The daemon of the family whose tests run (one family at a time), and a socket client of it.
let daemon: DaemonProcess;
let client: DaemonClient;
let port: number;
let certificate: Buffer;

const silence = (seconds: number) => Buffer.alloc(2 * Math.round(seconds * RATE));

function append(rt: OpenAIRealtimeWS, pcm: Buffer): void {
  for (let offset = 0; offset < pcm.length; offset += CHUNK_BYTES) {
    rt.send({
      type: "input_audio_buffer.append",
      audio: pcm.subarray(offset, offset + CHUNK_BYTES).toString("base64"),
    });
  }
}

const itemOf = (r: Received) => (r.event.item as { id: string }).id;
const COMPLETED = "conversation.item.input_audio_transcription.completed";
const DELTA = "conversation.item.input_audio_transcription.delta";

/** Closes the connection and waits until its dictations have ended (a closed session stops its dictation). */
async function closeAndSettle(rt: OpenAIRealtimeWS): Promise<void> {
  if (rt.socket.readyState !== rt.socket.CLOSED) {
    const closed = new Promise((resolve) => rt.socket.once("close", resolve));
    rt.close();
    await closed;
  }
  for (;;) {
    const answer = await client.request({ type: "dictation.list" });
    const dictations = answer.type === "done" ? (answer.dictations ?? []) : [];
    if (dictations.every((d) => d.state !== "running" && d.state !== "stopping")) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function history(): Promise<HistoryEntry[]> {
  const answer = await client.request({ type: "history.list", limit: 100 });
  return answer.type === "done" ? answer.history!.entries : [];
}

/** History entries added since `before` (a list taken earlier), oldest first. */
async function added(before: HistoryEntry[]): Promise<HistoryEntry[]> {
  const known = new Set(before.map((entry) => entry.id));
  return (await history()).filter((entry) => !known.has(entry.id)).reverse();
}

/** The samples of a history entry's kept recording (compressed to FLAC in the background: its name changes once). */
async function keptRecording(id: number): Promise<Float32Array> {
  for (let attempt = 0; ; attempt++) {
    const entry = (await history()).find((e) => e.id === id);
    try {
      return (await loadAudio(entry!.recording!)).samples;
    } catch (error) {
      if (attempt === 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function sendSession(rt: OpenAIRealtimeWS, input: Record<string, unknown>): void {
  rt.send({ type: "session.update", session: { type: "transcription", audio: { input } } });
}

describe.each(liveFamilies)("$name: Realtime transcription", (family) => {
  beforeAll(async () => {
    port = await freePort();
    daemon = await DaemonProcess.ready({
      model: family.model,
      threads: 2,
      // HTTPS (which the Realtime client dials) on `port`, plain HTTP on a port of its own
      api: { enabled: true, port: await freePort(), host: "127.0.0.1", tls: true, tlsPort: port },
      ...family.daemonConfig,
    });
    certificate = readFileSync(path.join(daemon.home, "api-tls", "certificate.pem"));
    client = await daemon.connect();
  });

  afterAll(async () => {
    client?.close();
    await daemon?.dispose();
  });

  test("a sentence then a pause: live deltas before the completed transcript, which is the dictation's text", async () => {
    const before = new Set((await history()).map((entry) => entry.id));
    const { rt, received, open } = connectRealtime(daemon, port, certificate);
    await open;
    await appendAtRealTimePace(rt, pcm24(heldoutWav(family.sentence.file), "pad", "0", "2"));
    await waitFor(() => ofType(received, COMPLETED).length > 0, "the completed transcript");
    const closed = new Promise((resolve) => rt.socket.once("close", resolve));
    rt.close();
    await closed;

    expect(ofType(received, "error")).toEqual([]);
    const [completed, ...more] = ofType(received, COMPLETED);
    expect(more).toEqual([]);
    const transcript = completed.event.transcript as string;
    expect(transcript.length).toBeGreaterThan(0);
    const deltas = ofType(received, DELTA);
    expect(deltas.length).toBeGreaterThan(0);
    for (const delta of deltas) expect(received.indexOf(delta)).toBeLessThan(received.indexOf(completed));
    // The dictation behind the session is in the history with this turn's text.
    let entries: HistoryEntry[] = [];
    for (let attempt = 0; attempt < 100 && entries.length === 0; attempt++) {
      entries = (await history()).filter((entry) => !before.has(entry.id));
      if (entries.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(entries).toHaveLength(1);
    expect(entries[0].text).toBe(transcript);
  });

  // What a Realtime session does whatever its model's family: once, on the default family's daemon.
  if (family !== defaultFamily) return;

  test("10 s of digital silence, then a commit: the empty-buffer error, no text, no item, no history entry", async () => {
    for (const turnDetection of [undefined, null]) {
      const before = await history();
      const { rt, received, open } = connectRealtime(daemon, port, certificate);
      await open;
      if (turnDetection === null) sendSession(rt, { turn_detection: null });
      append(rt, silence(10));
      rt.send({ type: "input_audio_buffer.commit" });
      await waitFor(() => ofType(received, "error").length > 0 || ofType(received, COMPLETED).length > 0, "an answer");
      await closeAndSettle(rt);
      const types = received.map((r) => r.event.type);
      expect({ turnDetection, types: types.filter((type) => type !== "session.updated") }).toEqual({
        turnDetection,
        types: ["session.created", "error"],
      });
      expect(ofType(received, "error")[0].event.error).toMatchObject({ code: "input_audio_buffer_commit_empty" });
      expect(await added(before)).toEqual([]);
    }
  });

  test("quiet pink noise: no speech, no text, no history entry", async () => {
    const before = await history();
    const { rt, received, open } = connectRealtime(daemon, port, certificate);
    await open;
    const noise = execFileSync("sox", [
      ...["-R", "-n", "-t", "raw", "-r", "24000", "-e", "signed", "-b", "16", "-c", "1", "-"],
      ...["synth", "8", "pinknoise", "vol", "0.01"],
    ]);
    append(rt, noise);
    await closeAndSettle(rt);
    expect(received.map((r) => r.event.type)).toEqual(["session.created"]);
    expect(await added(before)).toEqual([]);
  });

  test("three sentences with 2 s pauses: three turns, each the text of its sentence alone, at its true times", async () => {
    const files = ["heldout-01.wav", "heldout-05.wav", "heldout-09.wav"].map(heldoutWav);
    // What the daemon's file transcription gives each sentence alone.
    const alone: string[] = [];
    for (const file of files) alone.push((await client.transcribeFile(file).promise).text);
    // Where each sentence's sound is in the stream (ms): its first and last sample louder than -60 dBFS.
    const parts = files.map((file) => pcm24(file, "pad", "0", "2"));
    const sounds: Array<{ start: number; end: number }> = [];
    let offset = 0;
    for (const part of parts) {
      const samples = new Int16Array(part.buffer, part.byteOffset, part.length / 2);
      const loud = (i: number) => Math.abs(samples[i]) > 32;
      let first = 0;
      while (!loud(first)) first++;
      let last = samples.length - 1;
      while (!loud(last)) last--;
      sounds.push({ start: ((offset + first) / RATE) * 1000, end: ((offset + last + 1) / RATE) * 1000 });
      offset += samples.length;
    }

    const before = await history();
    const { rt, received, open } = connectRealtime(daemon, port, certificate);
    await open;
    await appendAtRealTimePace(rt, Buffer.concat(parts));
    await waitFor(() => ofType(received, COMPLETED).length >= 3, "three completed transcripts");
    await closeAndSettle(rt);

    const started = ofType(received, "input_audio_buffer.speech_started");
    const stopped = ofType(received, "input_audio_buffer.speech_stopped");
    const committed = ofType(received, "input_audio_buffer.committed");
    const completed = ofType(received, COMPLETED);
    expect([started.length, stopped.length, committed.length, completed.length]).toEqual([3, 3, 3, 3]);
    expect(ofType(received, "error")).toEqual([]);
    const items = started.map((r) => r.event.item_id);
    expect(new Set(items).size).toBe(3);
    expect(completed.map((r) => r.event.item_id)).toEqual(items);
    expect(committed.map((r) => r.event.previous_item_id)).toEqual([null, items[0], items[1]]);
    // Each turn is its own sentence's text.
    expect(completed.map((r) => normalizeWords(r.event.transcript as string))).toEqual(alone.map(normalizeWords));
    sounds.forEach((sound, k) => {
      // A turn begins prefix_padding_ms (300) before the speech the detector heard, and ends silence_duration_ms (500)
      // after it: the detector hears speech within a few 32 ms frames of its sound (espeak-ng's first and last
      // samples are quiet breath, up to 0.25 s of it), never in the pause before it.
      const start = started[k].event.audio_start_ms as number;
      const end = stopped[k].event.audio_end_ms as number;
      expect(start).toBeGreaterThanOrEqual(sound.start - 300 - 100);
      expect(start).toBeLessThanOrEqual(sound.start + 250);
      expect(end).toBeGreaterThanOrEqual(sound.end + 500 - 300);
      expect(end).toBeLessThanOrEqual(sound.end + 500 + 100);
      // OpenAI's GA events for the turn, in order: the item is added as its speech starts, before any of its text;
      // deltas come after its speech began and before its transcript is complete; the item is done with its text.
      const index = (r: Received) => received.indexOf(r);
      const [added] = ofType(received, "conversation.item.added").filter((r) => itemOf(r) === items[k]);
      const [done] = ofType(received, "conversation.item.done").filter((r) => itemOf(r) === items[k]);
      const order = [started[k], added, stopped[k], committed[k], completed[k], done].map(index);
      expect(order).toEqual([...order].sort((a, b) => a - b));
      for (const delta of ofType(received, DELTA).filter((r) => r.event.item_id === items[k])) {
        expect(index(delta)).toBeGreaterThan(index(added));
        expect(index(delta)).toBeLessThan(index(completed[k]));
      }
      const item = { id: items[k], object: "realtime.item", type: "message", role: "user" };
      expect(added.event).toMatchObject({
        previous_item_id: k === 0 ? null : items[k - 1],
        item: { ...item, status: "in_progress", content: [{ type: "input_audio", transcript: null }] },
      });
      expect(done.event).toMatchObject({
        item: {
          ...item,
          status: "completed",
          content: [{ type: "input_audio", transcript: completed[k].event.transcript }],
        },
      });
    });
    expect(ofType(received, "conversation.item.added")).toHaveLength(3);
    expect(ofType(received, "conversation.item.done")).toHaveLength(3);
    // One dictation, in the history with exactly these turns' text and all of the audio.
    const entries = await added(before);
    expect(entries).toHaveLength(1);
    expect(entries[0].text).toBe(completed.map((r) => r.event.transcript).join(" "));
    expect(entries[0].durationSeconds).toBeCloseTo(offset / RATE, 2);
  });

  test("one append of 70 s (over 60 s, 4.5 MB of base64): all of it on disk and in the history", async () => {
    const files = Array.from({ length: 14 }, (_, k) => heldoutWav(`heldout-${String(k).padStart(2, "0")}.wav`));
    const audio = Buffer.concat(files.map((file) => pcm24(file, "pad", "0", "2")));
    const seconds = audio.length / 2 / RATE;
    expect(seconds).toBeGreaterThan(60);
    const before = await history();
    const { rt, received, open } = connectRealtime(daemon, port, certificate);
    await open;
    rt.send({ type: "input_audio_buffer.append", audio: audio.toString("base64") });
    await waitFor(
      () => ofType(received, COMPLETED).length >= files.length || rt.socket.readyState === rt.socket.CLOSED,
      "every sentence's transcript",
      240_000,
    );
    await closeAndSettle(rt);
    expect(ofType(received, "error")).toEqual([]);
    const completed = ofType(received, COMPLETED);
    expect(completed).toHaveLength(files.length);
    const entries = await added(before);
    expect(entries).toHaveLength(1);
    expect(entries[0].durationSeconds).toBeCloseTo(seconds, 2);
    expect(entries[0].text).toBe(completed.map((r) => r.event.transcript).join(" "));
  });

  test("session.update while audio flows: the dictation ends with its text, the next starts, nothing is lost", async () => {
    // The change comes as the first sentence's audio ends, its turn still open (server VAD waits for 500 ms of silence).
    const first = pcm24(heldoutWav("heldout-07.wav"));
    const second = pcm24(heldoutWav("heldout-12.wav"), "pad", "1", "1");
    const before = await history();
    const { rt, received, open } = connectRealtime(daemon, port, certificate);
    await open;
    await appendAtRealTimePace(rt, first);
    sendSession(rt, { transcription: { model: "whisper-1", language: "en" } });
    await appendAtRealTimePace(rt, second);
    await waitFor(
      () => ofType(received, COMPLETED).length >= 2 || rt.socket.readyState === rt.socket.CLOSED,
      "two turns",
    );
    await closeAndSettle(rt);
    expect(ofType(received, "error")).toEqual([]);
    const completed = ofType(received, COMPLETED);
    expect(completed).toHaveLength(2);
    expect(completed.every((r) => normalizeWords(r.event.transcript as string).length > 0)).toBe(true);
    // Two dictations, one per setting, each with its turn's text; together all the audio sent.
    const entries = await added(before);
    expect(entries.map((entry) => entry.text)).toEqual(completed.map((r) => r.event.transcript));
    const sent = (first.length + second.length) / 2 / RATE;
    expect(entries.reduce((sum, entry) => sum + entry.durationSeconds, 0)).toBeCloseTo(sent, 2);
  });

  test.each([
    ["audio/pcmu", "mu-law"],
    ["audio/pcma", "a-law"],
  ])(
    "G.711 input (%s at 8 kHz): on disk as sox decodes it, a turn with the sentence's text",
    async (type, encoding) => {
      const format = ["-t", "raw", "-r", "8000", "-e", encoding, "-b", "8", "-c", "1"];
      const sentence = execFileSync("sox", [heldoutWav("heldout-07.wav"), ...format, "-"]);
      // And 1 s of silence: the bytes that expand to (about) 0.
      const g711 = Buffer.concat([sentence, Buffer.alloc(8000, encoding === "mu-law" ? 0xff : 0xd5)]);
      const before = await history();
      const { rt, received, open } = connectRealtime(daemon, port, certificate);
      await open;
      sendSession(rt, { format: { type } });
      append(rt, g711);
      await waitFor(() => ofType(received, COMPLETED).length > 0 || ofType(received, "error").length > 0, "the turn");
      await closeAndSettle(rt);
      expect(ofType(received, "error")).toEqual([]);
      expect(ofType(received, "session.updated")[0].event.session).toMatchObject({
        audio: { input: { format: { type } } },
      });
      const completed = ofType(received, COMPLETED);
      expect(completed).toHaveLength(1);
      // The tiny test model hears 8 kHz telephone audio poorly (and its fallback samples), so no exact text: some words.
      expect(normalizeWords(completed[0].event.transcript as string).length).toBeGreaterThan(3);
      const [entry] = await added(before);
      expect(entry.text).toBe(completed[0].event.transcript);
      // The recording is the G.711 bytes as sox expands them, at 16 kHz through the daemon's resampler, to the sample.
      const work = mkdtempSync(path.join(os.tmpdir(), "realtime-g711-"));
      const encoded = path.join(work, "sentence.raw");
      writeFileSync(encoded, g711);
      const pcm = execFileSync("sox", [...format, encoded, "-t", "raw", "-e", "signed", "-b", "16", "-"]);
      rmSync(work, { recursive: true, force: true });
      const expanded = Float32Array.from(new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length / 2), (v) => v / 32768);
      const expected = new Resampler(8000, 16000).push(expanded);
      const recording = await keptRecording(entry.id);
      expect(recording.length).toBeGreaterThan(expected.length - 16000 * 0.1);
      expect(toPcmBytes(recording)).toEqual(toPcmBytes(expected.subarray(0, recording.length)));
    },
  );

  test("more audio than one message's worth while a dictation ends: held in the paused socket, then all of it used", async () => {
    const first = pcm24(heldoutWav("heldout-03.wav"));
    // Two appends of 10 MB of base64 each (156 s of audio; the second ends with a sentence), sent at once after the
    // settings change: the daemon reads on once the next dictation has started.
    const flood = [
      silence(156),
      Buffer.concat([silence(156 - 5), pcm24(heldoutWav("heldout-04.wav"), "pad", "0", "1")]).subarray(
        0,
        2 * 156 * RATE,
      ),
    ];
    const before = await history();
    const { rt, received, open } = connectRealtime(daemon, port, certificate);
    await open;
    append(rt, first);
    sendSession(rt, { transcription: { prompt: "A new prompt." } });
    for (const audio of flood) rt.send({ type: "input_audio_buffer.append", audio: audio.toString("base64") });
    await waitFor(
      () => ofType(received, COMPLETED).length >= 2 || rt.socket.readyState === rt.socket.CLOSED,
      "both sentences' transcripts",
      240_000,
    );
    await closeAndSettle(rt);
    expect(ofType(received, "error")).toEqual([]);
    const entries = await added(before);
    expect(entries.map((entry) => entry.text)).toEqual(ofType(received, COMPLETED).map((r) => r.event.transcript));
    const sent = (first.length + flood[0].length + flood[1].length) / 2 / RATE;
    expect(entries.reduce((sum, entry) => sum + entry.durationSeconds, 0)).toBeCloseTo(sent, 2);
  });
});
