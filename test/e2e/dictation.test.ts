// Live dictation through the real daemon on a real socket, over every family that dictates live
// (test/support/families.ts), with the real engine on the family's trained fixture and held-out speech sent as 16-bit
// PCM frames: the status says the model dictates live, live text comes while the audio still arrives, the decoder gets
// only the speech (with its margins), each utterance's final text equals transcribe() of exactly that audio, and quiet
// noise and silence give no text. On the default family, what the daemon's sessions do whatever the family: a session
// outlives its client, one runs at a time, bad frames are refused, recordings go once delivered, a silent microphone
// is reported, and a long file job gives way.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import WebSocket from "ws";
import { loadAudio } from "../../daemon/src/audio";
import { toPcmBytes } from "../../daemon/src/dictation/pcm";
import { encodeAudioFrame, type Event } from "../../daemon/src/protocol";
import {
  attachDictation,
  committedText,
  FRAME_BYTES,
  heldoutWav,
  pcmOf,
  sendPcm,
  startDictation,
  stopDictation,
  transcribeExactly,
  waitFor,
  writePcmSlice,
} from "../support/dictation";
import { DaemonProcess } from "../support/daemon-process";
import { defaultFamily, liveFamilies } from "../support/families";

jest.setTimeout(180_000);

const utterancesIn = (events: Event[]) => events.flatMap((e) => (e.type === "dictation.utterance" ? [e] : []));

describe.each(liveFamilies)("$name: live dictation", (family) => {
  const { model } = family;
  const wav = heldoutWav(family.sentence.file);
  let daemon: DaemonProcess;
  let pcm: Uint8Array;
  let batchText: string;

  const recordingsFolder = () => path.join(daemon.home, "state", "recordings");
  const wavsOnDisk = () =>
    existsSync(recordingsFolder()) ? readdirSync(recordingsFolder()).filter((f) => f.endsWith(".wav")) : [];
  // The daemon deletes a recording right after sending its outcome; this process may read the folder in between.
  const noRecordingsLeft = () => waitFor(() => wavsOnDisk().length === 0, "the recording's deletion", 5_000);

  beforeAll(async () => {
    daemon = await DaemonProcess.ready({ model, threads: 2, ...family.daemonConfig });
    pcm = await pcmOf(wav);
    const client = await daemon.connect();
    batchText = (await client.transcribeFile(wav).promise).text;
    client.close();
    expect(batchText).toBe(family.sentence.text);
  });

  afterAll(async () => {
    await daemon?.dispose();
  });

  test("the status says what the model can do: it dictates live", async () => {
    expect((await daemon.status()).model.capabilities).toEqual(family.capabilities);
  });

  test("a streamed dictation's final text equals the batch transcript, with live text, levels and utterances", async () => {
    const client = await daemon.connect();
    const following = await startDictation(client);
    // At real-time pace, so that live updates run while the audio arrives.
    for (let offset = 0; offset < pcm.length; offset += FRAME_BYTES) {
      client.sendAudio(following.session, pcm.subarray(offset, offset + FRAME_BYTES));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const stopped = await stopDictation(client, following.session);
    const transcript = await following.outcome;

    expect(stopped).toEqual(transcript);
    expect(transcript.text).toBe(batchText);
    expect(transcript.durationSeconds).toBeCloseTo(pcm.length / 2 / 16000, 3);
    expect(transcript.model).toBe(model);
    const types = following.events.map((event) => event.type);
    expect(types[0]).toBe("dictation.started");
    expect(types.at(-1)).toBe("dictation.done");
    expect(types.filter((type) => type === "dictation.level").length).toBe(Math.floor(pcm.length / 2 / 1600));
    expect(types).not.toContain("dictation.microphone_silent"); // only checked for the microphone
    // Live text came while audio was still arriving (`at`: the seconds of audio the daemon had received), and it is
    // the final text's words.
    const committed = following.events.filter((event) => event.type === "dictation.committed");
    expect(committed.length).toBeGreaterThan(1);
    const live = committed.filter((event) => event.type === "dictation.committed" && event.text.trim() !== "");
    expect(live.length).toBeGreaterThan(0);
    expect(live[0].type === "dictation.committed" && live[0].at).toBeLessThan(pcm.length / 2 / 16000);
    expect(committedText(following.events).trim().length).toBeGreaterThan(0);
    const utterances = utterancesIn(following.events);
    expect(utterances).toHaveLength(1);
    expect(utterances[0]).toMatchObject({ index: 0, text: batchText, segments: transcript.segments });
    // The final pass is transcribe on exactly the audio the decoder got, its times on the recording's clock.
    const [utterance] = utterances;
    const cut = path.join(daemon.home, "first-cut.wav");
    writePcmSlice(pcm, utterance.start, utterance.end, cut);
    const exactly = await transcribeExactly(client, cut);
    expect(transcript.text).toBe(exactly.text);
    expect(transcript.segments.map((s) => [s.text, s.start, s.end])).toEqual(
      exactly.segments.map((s) => [
        s.text,
        expect.closeTo(s.start + utterance.start, 6),
        expect.closeTo(Math.min(s.end + utterance.start, utterance.end), 6),
      ]),
    );
    client.close();
    // Delivered, so its recording is gone (keepRecordings "failed"), and `result` still has the transcript.
    await noRecordingsLeft();
    const other = await daemon.connect();
    expect(await other.result(following.session)).toEqual({ state: "done", transcript });
    other.close();
  });

  test("a pause ends an utterance: its final pass runs while the dictation goes on, and equals batch on its audio", async () => {
    const pause = new Uint8Array(2 * 16_000 * 1.5); // 1.5 s of silence, more than utteranceSilenceSeconds (0.6)
    const second = await pcmOf(heldoutWav("heldout-05.wav"));
    const client = await daemon.connect();
    const following = await startDictation(client);
    // Live text of both utterances, each under its own index, while the dictation still runs: the pause sent at once
    // could end the first utterance before its first live update, a stop sent at once could reach the daemon before
    // the second's (then only the final pass gives that text).
    const committedUtterances = () =>
      new Set(
        following.events.flatMap((e) => (e.type === "dictation.committed" && e.text.trim() ? [e.utterance] : [])),
      );
    sendPcm(client, following.session, pcm);
    await waitFor(() => committedUtterances().has(0), "live text of the first utterance");
    sendPcm(client, following.session, pause);
    const utterances = () => utterancesIn(following.events);
    // The first utterance is final before the second is even sent.
    await waitFor(() => utterances().length === 1, "the first utterance's final text");
    sendPcm(client, following.session, second);
    await waitFor(() => committedUtterances().has(1), "live text of the second utterance");
    const transcript = await stopDictation(client, following.session);

    expect([...committedUtterances()].sort()).toEqual([0, 1]);
    const [first, next] = utterances();
    expect(utterances()).toHaveLength(2);
    // Each ends 0.3 s after its speech (the recording has 0.3 s of silence after the sentence), and the pause between
    // them, more than that margin on each side, is never decoded.
    const sentenceEnd = pcm.length / 2 / 16000;
    expect(first.end).toBeGreaterThan(sentenceEnd - 0.1);
    expect(first.end).toBeLessThan(sentenceEnd + 0.5);
    expect(next.start).toBeGreaterThan(first.end + 0.5);
    expect(next.start).toBeLessThan(sentenceEnd + 1.5 + 0.3);
    expect(first.text).toBe(batchText);
    // Each utterance's final text is what transcribe gives for exactly its audio, cut where the detector cut it.
    const all = Buffer.concat([pcm, pause, second]);
    for (const utterance of [first, next]) {
      const cut = path.join(daemon.home, `utterance-${utterance.index}.wav`);
      writePcmSlice(all, utterance.start, utterance.end, cut);
      expect(utterance.text).toBe((await transcribeExactly(client, cut)).text);
    }
    client.close();
    expect(transcript.text).toBe(`${first.text} ${next.text}`);
    expect(transcript.segments.at(-1)!.start).toBeGreaterThanOrEqual(next.start);
  });

  test("quiet noise and silence give no text at all, live or final", async () => {
    const noise = path.join(daemon.home, "quiet-noise.wav");
    execFileSync("sox", ["-n", "-r", "16000", "-c", "1", "-b", "16", noise, "synth", "3", "whitenoise", "vol", "0.01"]);
    const audio = Buffer.concat([toPcmBytes((await loadAudio(noise)).samples), new Uint8Array(2 * 16_000 * 2)]);
    const client = await daemon.connect();
    const following = await startDictation(client);
    sendPcm(client, following.session, audio);
    const transcript = await stopDictation(client, following.session);
    expect(transcript).toMatchObject({ text: "", noSpeech: true, segments: [] });
    expect(committedText(following.events)).toBe("");
    expect(utterancesIn(following.events)).toEqual([]);
    client.close();
  });

  // What a dictation session does whatever its model's family: once, on the default family's daemon.
  if (family !== defaultFamily) return;

  test("a dictation outlives its client: another client attaches, catches up, sends the rest and stops it", async () => {
    const first = await daemon.connect();
    const started = await startDictation(first);
    const half = Math.floor(pcm.length / 4) * 2;
    sendPcm(first, started.session, pcm.subarray(0, half));
    await waitFor(() => started.events.some((event) => event.type === "dictation.committed"), "live text");
    started.outcome.catch(() => undefined); // this client goes away
    first.close();
    await new Promise((resolve) => setTimeout(resolve, 200));

    const second = await daemon.connect();
    const listed = await second.request({ type: "dictation.list" });
    expect(listed.type === "done" && listed.dictations).toContainEqual(
      expect.objectContaining({ session: started.session, source: "stream", state: "running" }),
    );
    const attached = await attachDictation(second, started.session);
    await waitFor(() => attached.events.length > 0, "the replay");
    // The replay holds everything committed so far, at least what the first client saw.
    expect(committedText(attached.events).startsWith(committedText(started.events))).toBe(true);
    sendPcm(second, started.session, pcm.subarray(half));
    const stopped = await stopDictation(second, started.session);
    expect(stopped.text).toBe(batchText);
    expect(await attached.outcome).toEqual(stopped);

    // Attaching after the end replays the session and its outcome.
    const third = await daemon.connect();
    const late = await attachDictation(third, started.session);
    expect(await late.outcome).toEqual(stopped);
    expect(late.events.filter((event) => event.type === "dictation.utterance")).toHaveLength(1);
    second.close();
    third.close();
    await noRecordingsLeft();
  });

  test("a second dictation is refused while one runs, naming it; a cancelled one leaves no recording", async () => {
    const first = await daemon.connect();
    const running = await startDictation(first);
    expect(wavsOnDisk()).toEqual([`${running.session}.wav`]);
    const second = await daemon.connect();
    const refused = startDictation(second);
    await expect(refused).rejects.toMatchObject({ code: "busy" });
    await expect(refused).rejects.toThrow(running.session);

    const cancelled = await second.request({ type: "dictation.cancel", session: running.session });
    expect(cancelled.type).toBe("done");
    await expect(running.outcome).rejects.toMatchObject({ code: "cancelled" });
    await noRecordingsLeft();
    // The next one may start.
    const next = await startDictation(second);
    await stopDictation(second, next.session);
    first.close();
    second.close();
  });

  test("malformed PCM frames get typed errors and change nothing", async () => {
    const socket = new WebSocket(`ws+unix:${daemon.socket}:/`);
    await new Promise((resolve) => socket.once("open", resolve));
    const events: Event[] = [];
    socket.on("message", (data) => events.push(JSON.parse(data.toString()) as Event));
    const next = async (type: string) => {
      await waitFor(() => events.some((event) => event.type === type), type);
      return events.splice(
        events.findIndex((event) => event.type === type),
        1,
      )[0];
    };
    socket.send(JSON.stringify({ type: "dictation.start", id: "s1", source: "stream" }));
    const started = await next("dictation.started");
    const session = started.type === "dictation.started" ? started.session : "";

    socket.send(encodeAudioFrame(session, pcm.subarray(0, 3201))); // odd byte count
    expect(await next("error")).toMatchObject({ id: session, code: "bad_message" });
    socket.send(encodeAudioFrame("no-such-session", pcm.subarray(0, 3200)));
    expect(await next("error")).toMatchObject({ id: "no-such-session", code: "not_found" });
    socket.send(JSON.stringify({ type: "dictation.start", id: "s2", source: "microphone" }));
    expect(await next("error")).toMatchObject({ id: "s2", code: "bad_message" });
    socket.send(JSON.stringify({ type: "dictation.stop", id: "s3", session: "no-such-session" }));
    expect(await next("error")).toMatchObject({ id: "s3", code: "not_found" });

    for (let offset = 0; offset < pcm.length; offset += FRAME_BYTES) {
      socket.send(encodeAudioFrame(session, pcm.subarray(offset, offset + FRAME_BYTES)));
    }
    socket.send(JSON.stringify({ type: "dictation.stop", id: "s4", session }));
    socket.send(encodeAudioFrame(session, pcm.subarray(0, 3200))); // after stop
    expect(await next("error")).toMatchObject({ id: session, code: "bad_message" });
    const done = await next("done");
    // The refused frames were not used: the text is the batch transcript of the good audio alone.
    expect(done).toMatchObject({ id: "s4", transcript: { text: batchText } });
    socket.close();
    expect((await daemon.status()).model.state).toBe("ready");
  });

  test("a capture dictation reports a silent microphone and ends with its capture connection", async () => {
    const client = await daemon.connect();
    const following = await startDictation(client, "capture");
    const capture = await daemon.connect();
    sendPcm(capture, following.session, new Uint8Array(2 * 16000 * 2 + FRAME_BYTES)); // 2.1 s of exact zeros
    await waitFor(
      () => following.events.some((event) => event.type === "dictation.microphone_silent"),
      "microphone_silent",
    );
    const silent = following.events.find((event) => event.type === "dictation.microphone_silent");
    expect(silent).toMatchObject({ session: following.session });
    expect(silent?.type === "dictation.microphone_silent" && silent.message).toMatch(
      /Privacy & Security → Microphone.*Raycast/,
    );
    sendPcm(capture, following.session, pcm);
    capture.close(); // the capture process exits: the dictation stops with its final text
    const transcript = await following.outcome;
    expect(transcript.durationSeconds).toBeCloseTo(2.1 + pcm.length / 2 / 16000, 3);

    // The silence was never decoded: the final text is transcribe's on the speech the detector cut out.
    const [utterance, ...more] = following.events.flatMap((e) => (e.type === "dictation.utterance" ? [e] : []));
    expect(more).toEqual([]);
    expect(utterance.start).toBeGreaterThan(2.1);
    const all = Buffer.concat([new Uint8Array(2 * 16000 * 2 + FRAME_BYTES), pcm]);
    const cut = path.join(daemon.home, "silence-then-speech.wav");
    writePcmSlice(all, utterance.start, utterance.end, cut);
    expect(transcript.text).toBe((await transcribeExactly(client, cut)).text);
    client.close();
  });

  test("a long file job on the same model gives way between its windows: the dictation is final before the file", async () => {
    // About four minutes of speech and pauses: eight 30 s windows for the file job.
    const long = path.join(daemon.home, "long.wav");
    const pause = path.join(daemon.home, "pause.wav");
    execFileSync("sox", ["-n", "-r", "16000", "-c", "1", "-b", "16", pause, "trim", "0", "2"]);
    const sentences = Array.from({ length: 40 }, (_, i) =>
      heldoutWav(`heldout-${String(i % 20).padStart(2, "0")}.wav`),
    );
    execFileSync("sox", [...sentences.flatMap((sentence) => [sentence, pause]), long]);
    const client = await daemon.connect();
    let windowsDone = 0;
    const file = client.transcribeFile(long, {
      onEvent: (event) => {
        if (event.type === "progress" && event.stage === "transcribing") windowsDone++;
      },
    });
    let fileDone = false;
    void file.promise.then(() => (fileDone = true));
    await waitFor(() => windowsDone > 0, "the file job's first window");

    const following = await startDictation(client);
    sendPcm(client, following.session, pcm);
    const transcript = await stopDictation(client, following.session);
    expect(fileDone).toBe(false);
    expect(transcript.text).toBe(batchText);
    await file.promise;
    client.close();
  });
});
