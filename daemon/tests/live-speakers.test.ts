// A meeting's live speakers: a held-out three-speaker conversation written to a track file in 100 ms frames as a
// capture process sends them, fed to the trained speaker fixture's stream (SpeakerFeed), and two utterances of it,
// their words as the conversation's truth times them, made lines by speaker (LiveSpeakers).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { SpeakerModel } from "@verbatim/native";
import { loadAudio } from "../src/audio";
import { toPcmBytes } from "../src/dictation/pcm";
import { RecordingWriter } from "../src/dictation/recordings";
import { LiveSpeakers } from "../src/meetings/live-speakers";
import { SpeakerFeed } from "../src/meetings/speaker-feed";
import type { MeetingLiveLine, TranscriptData } from "../src/protocol";

const fixtures = path.join(__dirname, "..", "..", "test", "fixtures");
const conversation = path.join(fixtures, "conversations", "test-3spk-000.wav");
/** Where the conversation starts on the track (after silence, as a capture process aligned late). */
const AT = 1.5;

interface TruthWord {
  word: string;
  start: number;
  end: number;
  speaker: string;
}

const words: TruthWord[] = JSON.parse(readFileSync(conversation.replace(/\.wav$/, ".json"), "utf8")).words;

/** An utterance of the truth's words from `from` to `to` seconds of the conversation, as the live text's transcript. */
function utterance(from: number, to: number): { start: number; end: number; transcript: TranscriptData } {
  const said = words.filter((word) => word.start >= from && word.end <= to);
  const start = AT + from;
  const timed = said.map((word) => ({
    word: ` ${word.word}`,
    start: AT + word.start - start,
    end: AT + word.end - start,
    probability: 1,
  }));
  const text = timed.map((word) => word.word).join("");
  return {
    start,
    end: AT + to,
    transcript: {
      text,
      language: "en",
      durationSeconds: to - from,
      segments: [{ start: timed[0].start, end: timed[timed.length - 1].end, text, words: timed }],
      model: "truth",
      backend: "cpu",
    },
  };
}

/** The truth's speaker of the word nearest the middle of each of a line's words (its words spread evenly over it). */
function truthSpeakers(line: MeetingLiveLine): string[] {
  const count = line.text.split(" ").length;
  const step = (line.end - line.start) / count;
  return Array.from({ length: count }, (_, i) => {
    const middle = line.start + (i + 0.5) * step - AT;
    return words.reduce((best, word) =>
      Math.abs((word.start + word.end) / 2 - middle) < Math.abs((best.start + best.end) / 2 - middle) ? word : best,
    ).speaker;
  });
}

let folder: string;
let model: SpeakerModel;
let feed: SpeakerFeed;
const failures: string[] = [];

beforeAll(async () => {
  folder = mkdtempSync(path.join(os.tmpdir(), "live-speakers-"));
  model = await SpeakerModel.load(path.join(fixtures, "models", "diarization-trained"), { threads: 2 });
  const track = new RecordingWriter("system", path.join(folder, "system.wav"));
  feed = new SpeakerFeed(
    track.file,
    (work) => work(model.stream()),
    (why) => failures.push(why),
  );
  const { samples } = await loadAudio(conversation);
  // The silence before the conversation, the conversation, and 2 s after it (the stream's look-ahead).
  const audio = new Float32Array(Math.round((AT + samples.length / 16_000 + 2) * 16_000));
  audio.set(samples, AT * 16_000);
  for (let at = 0; at < audio.length; at += 1600) {
    track.append(toPcmBytes(audio.subarray(at, at + 1600)));
    feed.holds(track.samples);
  }
  track.close();
});

afterAll(async () => {
  await feed.stop();
  model.close();
  rmSync(folder, { recursive: true, force: true });
});

test("an utterance's words become one line per run of one speaker, named from Speaker 2 on as they first speak", async () => {
  const speakers = new LiveSpeakers();
  const first = utterance(0, 6);
  const second = utterance(6, 12);
  const lines: MeetingLiveLine[] = [];
  for (const { start, end, transcript } of [first, second]) {
    const window = await feed.window(start, end, 1, 30_000);
    expect(window).not.toBeNull();
    const made = speakers.lines(transcript, window!, start);
    expect(made).not.toBeNull();
    // Every word, once, in order; the lines within the utterance's span; neighbours of different speakers.
    expect(made!.map((line) => line.text).join(" ")).toBe(transcript.text.trim());
    expect(made!.every((line) => line.start >= start - 0.01 && line.end <= end + 0.01)).toBe(true);
    expect(made!.every((line, i) => i === 0 || line.speaker !== made![i - 1].speaker)).toBe(true);
    lines.push(...made!);
  }
  const names = [...new Set(lines.map((line) => line.speaker))];
  console.log(
    "live speakers:\n" +
      lines.map((l) => `${l.start.toFixed(2)}-${l.end.toFixed(2)} ${l.speaker}: ${l.text}`).join("\n"),
  );
  expect(names).toEqual(names.map((_, i) => `Speaker ${i + 2}`));
  expect(names.length).toBeGreaterThanOrEqual(2);
  // Each live speaker stands for the truth's speaker most of its words are; most words are theirs.
  const truth = lines.map((line) => ({ line, speakers: truthSpeakers(line) }));
  const right = names.reduce((sum, name) => {
    const theirs = truth.filter(({ line }) => line.speaker === name).flatMap(({ speakers }) => speakers);
    const counts = new Map<string, number>();
    for (const speaker of theirs) counts.set(speaker, (counts.get(speaker) ?? 0) + 1);
    return sum + Math.max(...counts.values());
  }, 0);
  const total = truth.reduce((sum, { speakers }) => sum + speakers.length, 0);
  console.log(`live speakers: ${right}/${total} words with their live speaker's truth speaker`);
  expect(right / total).toBeGreaterThanOrEqual(0.5);
  expect(failures).toEqual([]);
});

test("a span the stream has not reached waits at most the time given, then has no speakers", async () => {
  const started = performance.now();
  expect(await feed.window(100, 101, 1, 300)).toBeNull();
  expect(performance.now() - started).toBeGreaterThanOrEqual(290);
});
