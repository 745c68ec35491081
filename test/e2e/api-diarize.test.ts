// OpenAI's speaker-labelling transcription through the official `openai` client against the real daemon:
// model gpt-4o-transcribe-diarize with response_format diarized_json, its stream (transcript.text.segment events),
// and the daemon's own model names with a `speakers` field. The speaker model is the engine's tiny random-weight
// fixture, so the answer is checked against SpeakerModel.diarize run in this process on the same samples, combined
// with the same transcript's words (not against the conversation's truth); then the trained speaker model
// (diarization-trained) the same way, and its words' speakers against the conversation's truth.
import { createReadStream } from "node:fs";
import path from "node:path";
import OpenAI, { BadRequestError } from "openai";
import type { SpeakerSegment } from "@verbatim/native";
import { diarizedJson } from "../../daemon/src/api/diarized-response";
import type { TranscriptData } from "../../daemon/src/protocol";
import { keepSpeakers } from "../../daemon/src/speakers/speaker-limit";
import { wordsToSpeakers } from "../../daemon/src/speakers/words-to-speakers";
import { apiToken, freePort } from "../support/api";
import { DaemonProcess } from "../support/daemon-process";
import { fixtureModel, repoRoot } from "../support/fixtures";
import { diarizationErrors } from "../support/der";
import { readRttm } from "../support/rttm";
import { fixtureSpeakerSegments, speakerModelFolder, trainedSpeakerModelFolder } from "../support/speaker-fixture";
import { trainedSpeakerBounds } from "../support/trained-speaker-figures";
import { conversationWords, wordSpeakerAccuracy } from "../support/word-speakers";

jest.setTimeout(180_000);

const conversation = path.join(repoRoot, "test", "fixtures", "conversations", "test-2spk-000.wav");
const DIARIZE = "gpt-4o-transcribe-diarize";
let daemon: DaemonProcess;
let openai: OpenAI;
let plain: TranscriptData;
let speech: SpeakerSegment[];

async function apiDaemon(speakerModel: string): Promise<{ daemon: DaemonProcess; openai: OpenAI }> {
  const port = await freePort();
  const started = await DaemonProcess.ready({
    model: fixtureModel(),
    threads: 2,
    speakerModel,
    api: { enabled: true, port, host: "127.0.0.1" },
  });
  const client = new OpenAI({ apiKey: apiToken(started), baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
  return { daemon: started, openai: client };
}

beforeAll(async () => {
  ({ daemon, openai } = await apiDaemon(speakerModelFolder));
  const transcribed = await daemon.cli("transcribe", "--format", "json", "--word-timestamps", conversation);
  expect(transcribed.code).toBe(0);
  const json = JSON.parse(transcribed.stdout);
  plain = { ...json, durationSeconds: json.duration };
  speech = await fixtureSpeakerSegments(conversation);
});

afterAll(async () => {
  await daemon?.dispose();
});

test("gpt-4o-transcribe-diarize answers diarized_json: each segment's speaker as the speaker model gives it", async () => {
  const answer = await openai.audio.transcriptions.create({
    file: createReadStream(conversation),
    model: DIARIZE,
    response_format: "diarized_json",
  });
  const expected = diarizedJson(wordsToSpeakers(plain, speech));
  expect(answer).toEqual(expected);
  expect(answer.segments.length).toBeGreaterThan(0);
  expect(answer.segments[0]).toMatchObject({ type: "transcript.text.segment", id: "seg_0", speaker: "A" });
  expect(answer.text).toBe(plain.text);
});

test("its stream: a transcript.text.segment event for each segment, then transcript.text.done", async () => {
  const stream = await openai.audio.transcriptions.create({
    file: createReadStream(conversation),
    model: DIARIZE,
    response_format: "diarized_json",
    stream: true,
  });
  const events: OpenAI.Audio.TranscriptionStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  const segments = diarizedJson(wordsToSpeakers(plain, speech)).segments;
  expect(events.slice(0, -1)).toEqual(segments);
  expect(events[events.length - 1]).toMatchObject({ type: "transcript.text.done", text: plain.text });
});

test("the daemon's own model with speakers 2: at most two speakers, A and B", async () => {
  const answer = await openai.audio.transcriptions.create({
    file: createReadStream(conversation),
    model: "whisper-1",
    response_format: "diarized_json",
    // Our own field, beside openai's: the SDK sends every field of the form.
    ...({ speakers: "2" } as object),
  } as OpenAI.Audio.TranscriptionCreateParamsNonStreaming<"diarized_json">);
  expect(answer).toEqual(diarizedJson(wordsToSpeakers(plain, keepSpeakers(speech, 2))));
  expect(answer.segments.every((segment) => segment.speaker === "A" || segment.speaker === "B")).toBe(true);
});

test("diarized_json without speakers, verbose_json with them and OpenAI's known speakers are 400s saying what to do", async () => {
  const without = await openai.audio.transcriptions
    .create({ file: createReadStream(conversation), model: "whisper-1", response_format: "diarized_json" })
    .catch((error: unknown) => error);
  expect(without).toBeInstanceOf(BadRequestError);
  expect(without).toMatchObject({ status: 400, param: "response_format" });
  expect((without as Error).message).toContain(`use "model": "${DIARIZE}" or give "speakers"`);

  const verbose = await openai.audio.transcriptions
    .create({ file: createReadStream(conversation), model: DIARIZE, response_format: "verbose_json" })
    .catch((error: unknown) => error);
  expect(verbose).toBeInstanceOf(BadRequestError);
  expect(verbose).toMatchObject({ status: 400, param: "response_format" });
  expect((verbose as Error).message).toContain('use "diarized_json"');

  const known = await openai.audio.transcriptions
    .create({
      file: createReadStream(conversation),
      model: DIARIZE,
      response_format: "diarized_json",
      known_speaker_names: ["Ann"],
      known_speaker_references: ["data:audio/wav;base64,AAAA"],
    })
    .catch((error: unknown) => error);
  expect(known).toBeInstanceOf(BadRequestError);
  expect((known as Error).message).toContain("is not supported");
});

test("the trained speaker model: diarized_json's speakers are the model's, its words' the conversation's", async () => {
  const trained = await apiDaemon(trainedSpeakerModelFolder);
  try {
    const answer = await trained.openai.audio.transcriptions.create({
      file: createReadStream(conversation),
      model: DIARIZE,
      response_format: "diarized_json",
    });
    const trainedSpeech = await fixtureSpeakerSegments(conversation, trainedSpeakerModelFolder);
    const expected = wordsToSpeakers(plain, trainedSpeech);
    expect(answer).toEqual(diarizedJson(expected));
    // The answer's segments are these words split where their speaker changes, so the words' speakers are the API's.
    const { mapping } = diarizationErrors(readRttm(conversation.replace(/\.wav$/, ".rttm")), trainedSpeech);
    const words = expected.segments.flatMap((segment) => segment.words!.map((w) => ({ ...w, speaker: w.speaker! })));
    const accuracy = wordSpeakerAccuracy(words, conversationWords(conversation), mapping);
    console.log(`diarization-trained through the API: ${accuracy.right}/${accuracy.words} words' speakers right`);
    expect(accuracy.accuracy).toBeGreaterThanOrEqual(
      trainedSpeakerBounds(path.basename(conversation, ".wav")).minWordAccuracy,
    );
  } finally {
    await trained.daemon.dispose();
  }
});
