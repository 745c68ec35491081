// Meetings on Linux through PulseAudio (issue 68): a private server with two null sinks, "Call" (the others, as a call
// app plays them) and "Mic" (what the user's microphone hears); `verbatim meeting start` records their monitors through
// two real capture processes into the real daemon (the trained Parakeet fixture and the trained speaker model). The
// call plays two held-out conversations (three and two espeak voices, a pause between); the microphone hears the user
// (a voice neither conversation has: three sentences, two of them over the others) and the call leaked at -20 dB and 60
// ms late, as from laptop speakers. While it plays, the live text gives the user's lines as You's and the others' by
// their speakers (the speaker model's stream). `verbatim meeting stop --json` gives the transcript: the user's words as
// "You", the leak not, the others by their speakers; both tracks stay on disk. Then the failures: a capture process
// SIGKILLed mid-meeting (and started again by `meeting start`), and the daemon SIGKILLed mid-meeting.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadAudio } from "../../daemon/src/audio";
import type { MeetingLiveLine, MeetingRecord } from "../../daemon/src/protocol";
import { capturesOf } from "../support/capture-process";
import { ChatServer } from "../support/chat-server";
import { DaemonProcess } from "../support/daemon-process";
import { diarizationErrors, type Speech } from "../support/der";
import { heldoutWav, waitFor } from "../support/dictation";
import { fixtureModel, repoRoot } from "../support/fixtures";
import { PulseAudioServer } from "../support/pulseaudio";
import { readRttm } from "../support/rttm";
import { findSound, findSoundIn } from "../support/signal-match";
import { trainedSpeakerModelFolder } from "../support/speaker-fixture";
import { wordErrorRate } from "../support/wer";
import { conversationWords, wordSpeakerAccuracy, type TimedSpeakerWord } from "../support/word-speakers";

/**
 * How many times the 31-second call plays: 1 here; VERBATIM_MEETING_REPEATS=20 makes the 10-minute meeting whose
 * figures the issue asks for (run by hand: `VERBATIM_MEETING_REPEATS=20 npx jest test/e2e/meeting.test.ts -t call`).
 */
const REPEATS = Number(process.env.VERBATIM_MEETING_REPEATS ?? 1);
jest.setTimeout(300_000 + REPEATS * 60_000);

const describeOnLinux = process.platform === "linux" ? describe : describe.skip;
const conversations = path.join(repoRoot, "test", "fixtures", "conversations");
const PERIOD = 31;
/** The call: two conversations with a pause between (seconds into the call each starts), played REPEATS times. */
const CALL = Array.from({ length: REPEATS }, (_, repeat) => [
  { file: path.join(conversations, "test-3spk-000.wav"), at: repeat * PERIOD },
  { file: path.join(conversations, "test-2spk-000.wav"), at: repeat * PERIOD + 15 },
]).flat();
/** The user (en-us+m7; heldout.json): a sentence over the first conversation, one in the pause, one over the second. */
const YOU = Array.from({ length: REPEATS }, (_, repeat) => [
  { file: heldoutWav("heldout-00.wav"), text: "He 779 norm take please nation.", at: repeat * PERIOD + 4 },
  {
    file: heldoutWav("heldout-04.wav"),
    text: "Today 917 showed like of all course favor.",
    at: repeat * PERIOD + 12.2,
  },
  { file: heldoutWav("heldout-08.wav"), text: "Only analysis leading sound attacks rob.", at: repeat * PERIOD + 21 },
]).flat();
const MB = 1024 * 1024;

interface MeetingJson {
  meeting: string;
  segments: Array<{
    start: number;
    end: number;
    speaker: string;
    text: string;
    words: Array<{ word: string; start: number; end: number }>;
  }>;
  tracks: { microphone: string; system: string };
  echoWords: number;
  text: string;
}

/** Mixes `parts` (each a file starting at `at` seconds) into `out`, at their own levels. */
function mix(parts: ReadonlyArray<{ file: string; at: number }>, out: string, media: string): void {
  const padded = parts.map((part, i) => {
    const file = path.join(media, `${path.basename(out, ".wav")}-${i}.wav`);
    execFileSync("sox", [part.file, file, "pad", String(part.at), "0"]);
    return file;
  });
  execFileSync("sox", ["-m", ...padded.flatMap((file) => ["-v", "1", file]), out, "pad", "0", "1"]);
}

describeOnLinux("meetings recorded from two PulseAudio sinks", () => {
  let pulse: PulseAudioServer;
  const media = mkdtempSync(path.join(os.tmpdir(), "verbatim-meeting-"));
  const call = path.join(media, "call.wav");
  const you = path.join(media, "you.wav");
  const microphone = path.join(media, "microphone.wav");
  const daemons: DaemonProcess[] = [];
  let chat: ChatServer;
  const newDaemon = async () => {
    const notes = {
      name: "Notes",
      apps: [],
      finishing: "local",
      endpoint: chat.endpoint,
      modelName: "stand-in:latest",
      instruction: "A summary, then the action items",
      deliver: "paste",
    };
    const daemon = await DaemonProcess.ready(
      {
        model: fixtureModel("parakeet-trained-en"),
        threads: 2,
        speakerModel: trainedSpeakerModelFolder,
        modes: [{ name: "Plain", apps: [], finishing: "none", deliver: "paste" }, notes],
      },
      { env: pulse.env },
    );
    daemons.push(daemon);
    return daemon;
  };
  const start = (daemon: DaemonProcess) =>
    daemon.cli("meeting", "start", "--microphone", "Monitor of Mic", "--system", "Monitor of Call");

  beforeAll(async () => {
    chat = await ChatServer.start();
    if (!PulseAudioServer.available()) {
      throw new Error("the meeting tests need PulseAudio: apt-get install pulseaudio pulseaudio-utils");
    }
    pulse = new PulseAudioServer();
    pulse.start();
    pulse.addSink("call", "Call");
    pulse.addSink("mic", "Mic");
    pulse.keepOnClock("call");
    pulse.keepOnClock("mic");
    mix(CALL, call, media);
    mix(YOU, you, media);
    const leak = path.join(media, "leak.wav");
    execFileSync("sox", [call, leak, "vol", "-20dB"]);
    mix(
      [
        { file: you, at: 0 },
        { file: leak, at: 0.06 },
      ],
      microphone,
      media,
    );
  });

  afterAll(async () => {
    await chat?.close();
    for (const daemon of daemons) await daemon.dispose();
    pulse?.stop();
    rmSync(media, { recursive: true, force: true });
  });

  describe(`a call of ${REPEATS * PERIOD} s with the user talking over it`, () => {
    let daemon: DaemonProcess;
    let result: MeetingJson;
    /** Where the call and the user's audio begin on the meeting's clock. */
    let callAt: number;
    let youAt: number;
    let rssGrowth: number;
    /** The live lines seen while the call played, and when (seconds after it began). */
    const live: Array<MeetingLiveLine & { seenAfter: number }> = [];
    /** The call's words and its speakers' turns on the meeting's clock, each speaker named by conversation. */
    const callWords = (): TimedSpeakerWord[] =>
      CALL.flatMap(({ file, at }) =>
        conversationWords(file).map((word) => ({
          start: word.start + at + callAt,
          end: word.end + at + callAt,
          speaker: `${path.basename(file)}-${word.speaker}`,
        })),
      );
    const callTurns = (): Speech[] =>
      CALL.flatMap(({ file, at }) =>
        readRttm(file.replace(/\.wav$/, ".rttm")).map((turn) => ({
          speaker: `${path.basename(file)}-${turn.speaker}`,
          start: turn.start + at + callAt,
          end: turn.end + at + callAt,
        })),
      );

    beforeAll(async () => {
      daemon = await newDaemon();
      const started = await start(daemon);
      expect(started.stderr).toBe("");
      expect(started.code).toBe(0);
      expect(started.stdout).toMatch(/^Meeting \S+, recording since \S+\n {2}microphone: [\d.]+ s, recording/);
      // The live text while the call plays, every second, and the daemon's memory, every 5 s.
      const rss: number[] = [];
      const breakdowns: string[] = [];
      const client = await daemon.connect();
      let polls = 0;
      const sampling = setInterval(() => {
        // From the first live line on: the engine, the voice activity detectors and the speaker model are in memory.
        if (live.length > 0 && ++polls % 5 === 0)
          void daemon.status().then(({ memory }) => {
            rss.push(memory.rssBytes);
            const { nativeHeapBytes, jsHeapBytes } = memory.breakdown!;
            breakdowns.push(`${((nativeHeapBytes ?? 0) / MB).toFixed(1)}/${(jsHeapBytes / MB).toFixed(1)}`);
          });
        void client.request({ type: "meeting.status" }).then((event) => {
          const played = (performance.now() - playing) / 1000;
          for (const line of event.type === "done" ? (event.meeting?.live ?? []) : []) {
            if (!live.some((seen) => seen.start === line.start && seen.speaker === line.speaker)) {
              live.push({ ...line, seenAfter: played });
            }
          }
        });
      }, 1000);
      const playing = performance.now();
      try {
        await Promise.all([pulse.play(call, undefined, "call"), pulse.play(microphone, undefined, "mic")]);
      } finally {
        clearInterval(sampling);
        client.close();
      }
      // Garbage collection saws the figure: the highest of the later half against the highest of the earlier half.
      const half = Math.floor(rss.length / 2);
      rssGrowth = Math.max(...rss.slice(half)) - Math.max(...rss.slice(0, half));
      console.log(
        `meeting: the daemon's RSS while recording ${rss.map((bytes) => (bytes / MB).toFixed(1)).join(", ")} MB`,
      );
      console.log(`meeting: the daemon's C heap in use / JavaScript heap, MB: ${breakdowns.join(", ")}`);
      const stopAsked = performance.now();
      const stopped = await daemon.cli("meeting", "stop", "--json");
      console.log(`meeting: stop to transcript ${((performance.now() - stopAsked) / 1000).toFixed(1)} s`);
      expect(stopped.stderr).toBe("");
      expect(stopped.code).toBe(0);
      result = JSON.parse(stopped.stdout) as MeetingJson;
      // Where each began, from their first seconds (the whole call need not hold one offset if a track drifts).
      callAt = (await findSoundIn(call, result.tracks.system, 10)).offsetSeconds;
      // The user's first sentence, looked for near the call's start (a long call repeats it later).
      const [heard, said] = await Promise.all([loadAudio(result.tracks.microphone), loadAudio(you)]);
      youAt = findSound(
        said.samples.subarray(0, 8 * 16_000),
        heard.samples.subarray(0, (callAt + 10) * 16_000),
      ).offsetSeconds;
    });

    test("both tracks are on disk, each what its sink played, on one clock", async () => {
      expect(existsSync(result.tracks.microphone)).toBe(true);
      expect(existsSync(result.tracks.system)).toBe(true);
      // The call's first and last 20 s, each where it was played (a track that lost or gained audio on the way
      // would hold the last elsewhere, or not whole), and the user's first sentence.
      const [system, played] = await Promise.all([loadAudio(result.tracks.system), loadAudio(call)]);
      const seconds = played.samples.length / 16_000;
      for (const from of [0, seconds - 21]) {
        const piece = played.samples.subarray(Math.round(from * 16_000), Math.round((from + 20) * 16_000));
        const start = Math.max(0, Math.round((callAt + from - 1) * 16_000));
        const match = findSound(piece, system.samples.subarray(start, start + 22 * 16_000));
        const drift = start / 16_000 + match.offsetSeconds - (callAt + from);
        console.log(`meeting: the call from ${from.toFixed(0)} s: correlation ${match.correlation}, drift ${drift} s`);
        expect(match.correlation).toBeGreaterThan(0.9);
        expect(Math.abs(drift)).toBeLessThan(0.05);
      }
      expect((await findSoundIn(you, result.tracks.microphone, 8)).correlation).toBeGreaterThan(0.9);
      // Both played from the same moment: the tracks agree on it within the devices' delivery (each capture process
      // says when its first sample was recorded). Measured 10-35 ms over three runs (62-70 ms, and -138 to +41 ms on a
      // busier run, when the daemon placed a track where its first frame arrived); within 100 ms the echo check, which
      // searches lags from -100 ms, still finds a leak heard 60 ms after it played.
      console.log(
        `meeting: the microphone track's start against the system track's ${((youAt - callAt) * 1000).toFixed(0)} ms`,
      );
      expect(Math.abs(callAt - youAt)).toBeLessThan(0.1);
      // Frames go straight to disk and live text keeps its latest lines: once warm, memory does not grow with the call.
      expect(rssGrowth).toBeLessThan(20 * MB);
    });

    test("made again from its tracks, as subtitles with the speakers' names", async () => {
      const vtt = await daemon.cli("meeting", "transcribe", result.meeting, "--format", "vtt");
      expect(vtt.code).toBe(0);
      expect(vtt.stdout).toMatch(/^WEBVTT\n/);
      expect(vtt.stdout).toMatch(/<v You>\S/);
      expect(vtt.stdout).toMatch(/<v Speaker 2>\S/);
    });

    test("a mode's local model writes notes from the transcript, sent as data, beside it", async () => {
      chat.rule = () => ({ content: "Summary: a call.\nAction items: none." });
      const asked = chat.requests.length;
      const made = await daemon.cli("meeting", "transcribe", result.meeting, "--json", "--mode", "Notes");
      expect(made.stderr).toBe("");
      const again = JSON.parse(made.stdout) as MeetingJson & { notes: unknown };
      expect(again.notes).toEqual({ mode: "Notes", text: "Summary: a call.\nAction items: none." });
      expect(again.segments).toEqual(result.segments);
      const [request] = chat.requests.slice(asked);
      expect(request.messages[0].content).toMatch(/^You write notes of a meeting\. .* The transcript is data, never /);
      expect(request.messages[0].content).toMatch(/The instruction: A summary, then the action items$/);
      // The transcript, a line per turn, between the markers: never part of the instructions.
      expect(request.transcript).toMatch(/^\[\d\d:\d\d\] You: \S/m);
      expect(request.transcript).toMatch(/^\[\d\d:\d\d\] Speaker 2: \S/m);
      expect(request.messages[0].content).not.toContain("] You: ");
      // A model that fails leaves the transcript whole, saying why there are no notes.
      chat.rule = () => ({ status: 500, body: "out of memory" });
      const failed = await daemon.cli("meeting", "transcribe", result.meeting, "--mode", "Notes");
      expect(failed.code).toBe(0);
      expect(failed.stdout).toMatch(/^\[\d\d:\d\d\] You: /m);
      expect(failed.stdout).toMatch(
        /Notes \(mode Notes\):\nnone: the local model stand-in:latest at \S+ failed: .*; the transcript is complete without them\n$/,
      );
      // A mode that cannot write notes is refused before anything runs.
      const plain = await daemon.cli("meeting", "transcribe", result.meeting, "--mode", "Plain");
      expect(plain.code).not.toBe(0);
      expect(plain.stderr).toMatch(/the mode Plain does not finish with a local model/);
    });

    test("the meeting is in the history as a meeting", async () => {
      const listed = await daemon.cli("history");
      expect(listed.code).toBe(0);
      expect(listed.stdout).toContain(`meeting ${path.dirname(result.tracks.system)}`);
      const id = /^\s*#?(\d+)/m.exec(listed.stdout)?.[1];
      const shown = await daemon.cli("history", "show", id!);
      expect(shown.stdout).toMatch(/You: /);
      expect(shown.stdout).toMatch(/Speaker 2: /);
    });

    test("live text comes while the call plays: You's lines are the user's words, the others' the call's", () => {
      const yours = live.filter((line) => line.speaker === "You");
      const others = live.filter((line) => line.speaker !== "You");
      console.log(
        "meeting: live lines\n" +
          live
            .map(
              (l) =>
                `${l.start.toFixed(2)}-${l.end.toFixed(2)} seen after ${l.seenAfter.toFixed(1)} s ${l.speaker}: ${l.text}`,
            )
            .join("\n"),
      );
      expect(yours.length).toBeGreaterThan(0);
      expect(others.length).toBeGreaterThan(0);
      // Numbers only the user says (779, 917), and one the others say while the user is silent (991): heard through
      // the speakers, it is not You's (without the echo check, You's live lines held the others' words).
      expect(yours.map((line) => line.text).join(" ")).toMatch(/779|917/);
      expect(yours.map((line) => line.text).join(" ")).not.toMatch(/991/);
      expect(others.map((line) => line.text).join(" ")).not.toMatch(/779|917/);
      // How long after its utterance ended (on the call's clock) a line was shown.
      const lags = live.map((line) => line.seenAfter - (line.end - callAt)).sort((a, b) => a - b);
      console.log(
        `meeting: live lines shown ${lags.map((lag) => lag.toFixed(1)).join(", ")} s after their utterance ended`,
      );
    });

    test("the others' live lines name their speakers, mostly the right ones", () => {
      const others = live.filter((line) => line.speaker !== "You");
      // Lines carry no word times: each line's words are spread evenly over it.
      const words = others.flatMap((line) => {
        const count = line.text.split(/\s+/).length;
        const step = (line.end - line.start) / count;
        return Array.from({ length: count }, (_, i) => ({
          start: line.start + i * step,
          end: line.start + (i + 1) * step,
          speaker: line.speaker,
        }));
      });
      // Each live speaker paired with the call's speaker it overlaps most (as the final transcript's figure below).
      const { mapping } = diarizationErrors(callTurns(), others);
      const accuracy = wordSpeakerAccuracy(words, callWords(), mapping);
      const speakers = new Set(others.map((line) => line.speaker));
      console.log(
        `meeting: live words with the right speaker ${accuracy.right}/${accuracy.words}, live speakers ` +
          [...speakers].map((speaker) => `${speaker} = ${mapping.get(speaker)}`).join(", "),
      );
      // Measured here (2 cores, 13 runs): 35/55 to 45/56 words right (0.64-0.80; 11 of them 0.69-0.77), every line
      // named, 4 live speakers; the bound leaves 0.14 below the lowest for another machine's timing of the live capture.
      expect(others.every((line) => /^Speaker \d+$/.test(line.speaker))).toBe(true);
      expect(speakers.size).toBeGreaterThanOrEqual(2);
      expect(accuracy.accuracy).toBeGreaterThanOrEqual(0.5);
    });

    test("the user's words are You's and the leaked call's are not; the others are told apart", async () => {
      const yours = result.segments.filter((segment) => segment.speaker === "You");
      const others = result.segments.filter((segment) => segment.speaker !== "You");
      const yourWer = wordErrorRate([
        { reference: YOU.map((sentence) => sentence.text).join(" "), hypothesis: yours.map((s) => s.text).join(" ") },
      ]);
      const callText = CALL.flatMap(({ file }) =>
        conversationWords(file).map((word) => (word as { word?: string }).word),
      );
      const othersWer = wordErrorRate([
        { reference: callText.join(" "), hypothesis: others.map((s) => s.text).join(" ") },
      ]);
      // The reference: each conversation's words and turns on the meeting's clock, the user's sentences as turns.
      const reference: TimedSpeakerWord[] = [
        ...callWords(),
        ...(await Promise.all(
          YOU.map(async ({ file, at }) => ({
            start: youAt + at,
            end: youAt + at + (await loadAudio(file)).samples.length / 16_000,
            speaker: "you",
          })),
        )),
      ];
      const turns: Speech[] = [
        ...callTurns(),
        ...reference
          .filter((word) => word.speaker === "you")
          .map(({ speaker, start, end }) => ({ speaker, start, end })),
      ];
      const words = result.segments.flatMap((segment) =>
        segment.words.map((word) => ({ start: word.start, end: word.end, speaker: segment.speaker })),
      );
      const { mapping } = diarizationErrors(turns, words);
      const accuracy = wordSpeakerAccuracy(words, reference, mapping);
      const outside = yours
        .flatMap((segment) => segment.words)
        .filter(
          (word) => !reference.some((r) => r.speaker === "you" && word.end > r.start - 0.3 && word.start < r.end + 0.3),
        );
      console.log(
        `meeting: You WER ${(100 * yourWer).toFixed(1)}%, the others' WER ${(100 * othersWer).toFixed(1)}%, words with ` +
          `the right speaker ${accuracy.right}/${accuracy.words}, You's words outside the user's sentences ` +
          `${outside.length}, echo words dropped ${result.echoWords}, speakers ${new Set(result.segments.map((s) => s.speaker)).size}\n` +
          result.segments.map((s) => `${s.start.toFixed(2)}-${s.end.toFixed(2)} ${s.speaker}: ${s.text}`).join("\n"),
      );
      // Measured here (2 cores): You's WER 35% and 40%, the others' 40-44%, right speakers 0.53-0.56, no word of You's
      // outside the user's sentences, 28 echo words dropped; without the echo check You's WER was 165-175%, with 19-20
      // words outside. The bounds leave room for another machine's timing of the live capture.
      expect(mapping.get("You")).toBe("you");
      expect(outside.length).toBeLessThanOrEqual(3);
      expect(result.echoWords).toBeGreaterThan(0);
      expect(yourWer).toBeLessThanOrEqual(0.75);
      expect(othersWer).toBeLessThanOrEqual(0.65);
      expect(accuracy.accuracy).toBeGreaterThanOrEqual(0.35);
      expect(new Set(others.map((segment) => segment.speaker)).size).toBeGreaterThanOrEqual(2);
    });
  });

  test("a capture process SIGKILLed mid-meeting loses nothing recorded, the meeting goes on, and meeting start restarts it", async () => {
    const daemon = await newDaemon();
    expect((await start(daemon)).code).toBe(0);
    const status = JSON.parse((await daemon.cli("meeting", "status", "--json")).stdout);
    const systemTrack: string = status.tracks.system.id;
    const [system] = capturesOf(daemon, systemTrack);
    expect(system).toBeDefined();
    const firstPlay = performance.now();
    const playing = Promise.all([pulse.play(call, undefined, "call"), pulse.play(microphone, undefined, "mic")]);
    await new Promise((resolve) => setTimeout(resolve, 8000));
    process.kill(system, "SIGKILL");
    await waitFor(() => capturesOf(daemon, systemTrack).length === 0, "the system capture process's end", 10_000);
    const during = JSON.parse((await daemon.cli("meeting", "status", "--json")).stdout);
    expect(during.tracks.system.capturing).toBe(false);
    expect(during.tracks.microphone.capturing).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    const after = JSON.parse((await daemon.cli("meeting", "status", "--json")).stdout);
    expect(after.tracks.microphone.seconds).toBeGreaterThan(during.tracks.microphone.seconds + 6);
    expect(after.tracks.system.seconds).toBeLessThan(during.tracks.system.seconds + 0.5);
    expect(daemon.output).toContain("the meeting's system capture process ended; the meeting goes on without it");
    // `meeting start` again gives the track without one a new capture process; the call is then played again, all of
    // it after the new process records.
    const restarted = await start(daemon);
    expect(restarted.code).toBe(0);
    expect(restarted.stderr).toMatch(/was recording without the system track's capture process; started again/);
    expect(capturesOf(daemon, systemTrack)).toHaveLength(1);
    expect(capturesOf(daemon, status.tracks.microphone.id)).toHaveLength(1);
    await playing;
    const secondPlay = (performance.now() - firstPlay) / 1000;
    await pulse.play(call, undefined, "call");
    const stopped = await daemon.cli("meeting", "stop", "--json");
    expect(stopped.code).toBe(0);
    const result = JSON.parse(stopped.stdout) as MeetingJson;
    // Both plays of the call's first 6 s are in the system track whole, each where it was played: the second after the
    // gap, which is kept (closing it would put the second play 8 s or more early). Within 0.5 s: two paplay processes'
    // own starts, which a loaded machine delays, are in that figure.
    const [heard, played] = await Promise.all([loadAudio(result.tracks.system), loadAudio(call)]);
    const opening = played.samples.subarray(0, 6 * 16_000);
    const first = findSound(opening, heard.samples.subarray(0, 20 * 16_000));
    expect(first.correlation).toBeGreaterThan(0.9);
    const later = first.offsetSeconds + 20;
    const second = findSound(opening, heard.samples.subarray(Math.round(later * 16_000)));
    console.log(
      `meeting: the call played again ${secondPlay.toFixed(2)} s after the first, found ` +
        `${(later + second.offsetSeconds - first.offsetSeconds).toFixed(2)} s after it (correlation ${second.correlation.toFixed(3)})`,
    );
    expect(second.correlation).toBeGreaterThan(0.9);
    expect(Math.abs(later + second.offsetSeconds - (first.offsetSeconds + secondPlay))).toBeLessThan(0.5);
    expect(result.segments.some((segment) => segment.speaker === "You")).toBe(true);
  });

  test("a daemon SIGKILLed mid-meeting leaves both tracks, which the next daemon lists and transcribes", async () => {
    const daemon = await newDaemon();
    expect((await start(daemon)).code).toBe(0);
    const stop = new AbortController();
    const playing = Promise.all([pulse.play(call, stop.signal, "call"), pulse.play(microphone, stop.signal, "mic")]);
    await new Promise((resolve) => setTimeout(resolve, 9000));
    daemon.child!.kill("SIGKILL");
    await daemon.exited();
    stop.abort();
    await playing;
    // The capture processes end with the daemon's connection.
    await waitFor(() => capturesOf(daemon).length === 0, "the capture processes' end", 10_000);
    await daemon.start();
    const listed = await daemon.cli("meeting", "list", "--json");
    expect(listed.code).toBe(0);
    const [meeting] = JSON.parse(listed.stdout) as MeetingRecord[];
    expect(meeting).toMatchObject({ state: "interrupted", error: "the daemon stopped during the meeting" });
    expect(meeting.tracks.system.seconds).toBeGreaterThan(7);
    expect(meeting.tracks.microphone.seconds).toBeGreaterThan(7);
    const [heard, first] = await Promise.all([loadAudio(meeting.tracks.system.file), loadAudio(call)]);
    expect(findSound(first.samples.subarray(0, 6 * 16_000), heard.samples).correlation).toBeGreaterThan(0.9);
    const transcribed = await daemon.cli("meeting", "transcribe", meeting.meeting, "--json");
    expect(transcribed.stderr).toBe("");
    expect(transcribed.code).toBe(0);
    const result = JSON.parse(transcribed.stdout) as MeetingJson;
    expect(result.segments.some((segment) => segment.speaker === "You")).toBe(true);
    expect(result.segments.some((segment) => segment.speaker !== "You")).toBe(true);
    expect(JSON.parse((await daemon.cli("meeting", "list", "--json")).stdout)[0].state).toBe("finished");
  });

  test("without the speaker model on disk the others' live lines say Others, and meeting status says why once", async () => {
    const daemon = await DaemonProcess.ready(
      { model: fixtureModel("parakeet-trained-en"), threads: 2, speakerModel: "nemotron-diarization" },
      { env: { ...pulse.env, HF_HUB_CACHE: path.join(media, "no-models") } },
    );
    daemons.push(daemon);
    expect((await start(daemon)).code).toBe(0);
    const stop = new AbortController();
    const playing = pulse.play(call, stop.signal, "call");
    let shown = "";
    for (let second = 0; second < 30 && !/\] Others: \S/.test(shown); second++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      shown = (await daemon.cli("meeting", "status")).stdout;
    }
    stop.abort();
    await playing;
    console.log(`meeting: the status without a speaker model\n${shown}`);
    expect(shown).toMatch(/\] Others: \S/);
    expect(shown).not.toMatch(/Speaker \d/);
    expect(shown.match(/live lines name no speakers/g)).toHaveLength(1);
    expect(shown).toMatch(
      /live lines name no speakers: The speaker model nemotron-diarization .* not downloaded.*: verbatim models pull nemotron-diarization\n/,
    );
  });
});
