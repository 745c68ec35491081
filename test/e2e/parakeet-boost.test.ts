// Vocabulary boosting on Parakeet (issue 65): the trained fixture (test/fixtures/models/parakeet-trained-en) reads
// made-up terms wrongly (two training words joined, "planfalse": it writes them apart), in sentences spoken by voices
// it never heard (test/support/boost-speech.cjs). The engine's phrase boosting at its default strength brings some of
// them back, inserts no term into term-free sentences and leaves their words as they were (bounds from
// test/bench/boost.mjs's figures, with margins said at each); and the daemon boosts the vocabulary's terms in
// `verbatim transcribe`, live dictation's final text and the HTTP API's `prompt`. Every family that boosts is a row of
// the last table: a vocabulary term, or a job's --prompt read as terms, reaches its engine through the real daemon
// (Nemotron's fixtures have random weights: the text shows what the engine was asked, not the words spoken).
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import OpenAI from "openai";
import { createReadStream } from "node:fs";
import { NemotronModel, ParakeetModel } from "../../native/lib";
import { loadAudio } from "../../daemon/src/audio";
import { NEMOTRON_BOOST_STRENGTH } from "../../daemon/src/families/nemotron/nemotron-family";
import { PARAKEET_BOOST_STRENGTH } from "../../daemon/src/families/parakeet/parakeet-family";
import { apiToken, freePort } from "../support/api";
import { hasTerm, speak, termNames, utterances } from "../support/boost-speech.cjs";
import { DaemonProcess } from "../support/daemon-process";
import {
  committedText,
  heldoutWav,
  pcmOf,
  sendPcmInRealTime,
  startDictation,
  stopDictation,
} from "../support/dictation";
import { fixtureModel } from "../support/fixtures";
import { wordErrorRate } from "../support/wer";

jest.setTimeout(300_000);

const modelFolder = fixtureModel("parakeet-trained-en");
const SPOKEN = 30;
const terms = termNames(SPOKEN);
const sentences = utterances(terms, SPOKEN);
let dir: string;
let files: Array<{ wav: string; samples: string }>;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "verbatim-boost-"));
  files = sentences.map((sentence, i) => speak(sentence, dir, i));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("the engine, on 30 term sentences and 30 without a term", () => {
  let model: ParakeetModel;
  const read = async (i: number, boostTerms?: string[]) =>
    (await model.transcribe(files[i].samples, () => {}, boostTerms ? { boostTerms } : {}).promise).text;

  beforeAll(async () => {
    model = await ParakeetModel.load(modelFolder, { threads: 2 }).promise;
  });

  afterAll(() => model?.free());

  test("boosting 10 terms at a time brings misread terms back without inserting any or changing other words", async () => {
    const plain: string[] = [];
    for (let i = 0; i < sentences.length; i++) plain.push(await read(i));
    const misread = sentences.flatMap((s, i) => (s.term && !hasTerm(plain[i], s.term) ? [i] : []));
    // Unboosted, it wrote all 30 apart or otherwise wrongly (2026-11-27); at least 27 leaves three for another CPU's
    // float rounding.
    expect(misread.length).toBeGreaterThanOrEqual(27);
    const termFree = sentences.flatMap((s, i) => (s.term ? [] : [i]));
    let recalled = 0;
    let inserted = 0;
    const boostedPairs = [];
    const plainPairs = [];
    for (let first = 0; first < SPOKEN; first += 10) {
      const group = terms.slice(first, first + 10);
      for (const i of misread.filter((i) => group.includes(sentences[i].term!))) {
        if (hasTerm(await read(i, group), sentences[i].term!)) recalled += 1;
      }
      for (const i of termFree) {
        const text = await read(i, group);
        if (group.some((term) => hasTerm(text, term))) inserted += 1;
        boostedPairs.push({ reference: sentences[i].text, hypothesis: text });
        plainPairs.push({ reference: sentences[i].text, hypothesis: plain[i] });
      }
    }
    // Measured at the default strength, 4 (test/bench/README.md, 2026-11-27, the same figures in four runs at load
    // averages 1.5 to 4.8, and again on a second machine, AVX2 without AVX-512, 2026-11-29): 15 of 30 recalled (14 of them words the fixture heard apart, a term written as its parts),
    // 0 of 90 term-free decodes with an inserted term, term-free WER unchanged (14.5%). Bounds: a fifth fewer recalled
    // (12; before the terms heard as their parts were written as the terms, 4 at strength 5); two insertions (2.2%);
    // two points of WER (about two more word errors in the 110 words of the 30 sentences).
    expect(recalled).toBeGreaterThanOrEqual(12);
    expect(inserted).toBeLessThanOrEqual(2);
    expect(wordErrorRate(boostedPairs)).toBeLessThanOrEqual(wordErrorRate(plainPairs) + 0.02);
  });

  test("a strength of 0 decodes as no boosting does; the default strength writes the term", async () => {
    const i = sentences.findIndex((s) => s.term === "planfalse");
    expect(i).toBeGreaterThanOrEqual(0);
    const plain = await read(i);
    expect(hasTerm(plain, "planfalse")).toBe(false);
    const off = await model.transcribe(files[i].samples, () => {}, { boostTerms: ["planfalse"], boostStrength: 0 })
      .promise;
    expect(off.text).toBe(plain);
    expect(hasTerm(await read(i, ["planfalse"]), "planfalse")).toBe(true);
  });
});

describe("the daemon", () => {
  let daemon: DaemonProcess;
  let openai: OpenAI;
  const index = sentences.findIndex((s) => s.term === "planfalse");

  beforeAll(async () => {
    const port = await freePort();
    daemon = await DaemonProcess.ready({
      model: modelFolder,
      threads: 2,
      api: { enabled: true, port, host: "127.0.0.1" },
    });
    openai = new OpenAI({ apiKey: apiToken(daemon), baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await daemon?.dispose();
  });

  test("verbatim transcribe misreads a term until it is in the vocabulary, then writes it", async () => {
    const before = await daemon.cli("transcribe", files[index].wav);
    expect(before.code).toBe(0);
    expect(hasTerm(before.stdout, "planfalse")).toBe(false);
    expect((await daemon.cli("vocabulary", "add", "planfalse")).stdout).toBe("added the term planfalse\n");
    try {
      const after = await daemon.cli("transcribe", files[index].wav);
      expect(after.code).toBe(0);
      expect(hasTerm(after.stdout, "planfalse")).toBe(true);
      expect((await daemon.cli("vocabulary", "list")).stdout).toContain(
        "Terms (oldest first; * boosted while the loaded model decodes):\n  * planfalse\n",
      );

      // Live dictation: the live updates are boosted (the term is shown live, before the audio ends), and the
      // utterance's final text as a file's.
      const client = await daemon.connect();
      try {
        const following = await startDictation(client);
        const pcm = await pcmOf(files[index].wav);
        await sendPcmInRealTime(client, following.session, pcm);
        const shownLive = committedText(
          following.events.filter((e) => e.type === "dictation.committed" && e.at < pcm.length / 2 / 16000),
        );
        const transcript = await stopDictation(client, following.session);
        // Shown live in the run that set this test (2026-11-27): " We sprop people planfalse", the last word left to
        // the final pass, as the live policy leaves a file's last word.
        expect(hasTerm(shownLive, "planfalse")).toBe(true);
        expect(hasTerm(transcript.text, "planfalse")).toBe(true);
      } finally {
        client.close();
      }
    } finally {
      await daemon.cli("vocabulary", "rm", "planfalse");
    }
  });

  test("verbatim vocabulary strength sets how strongly terms are boosted: 0 boosts none, a bad value is refused", async () => {
    const list = async () => (await daemon.cli("vocabulary", "list")).stdout;
    expect((await daemon.cli("vocabulary", "add", "planfalse")).code).toBe(0);
    try {
      expect(await list()).toContain("Boost strength: 4 (the default) (0 to 50: verbatim vocabulary strength N)\n");
      const off = await daemon.cli("vocabulary", "strength", "0");
      expect(off).toMatchObject({
        code: 0,
        stdout: expect.stringContaining("Boost strength: 0; terms are not boosted"),
      });
      expect(hasTerm((await daemon.cli("transcribe", files[index].wav)).stdout, "planfalse")).toBe(false);
      expect(JSON.parse((await daemon.cli("vocabulary", "list", "--json")).stdout).boostStrength).toBe(0);

      const bad = await daemon.cli("vocabulary", "strength", "51");
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain(
        'vocabulary strength needs a number from 0 to 50 (0: terms are not boosted) or "default" (the loaded ' +
          'model\'s own), not "51"',
      );
      expect(await list()).toContain("Boost strength: 0; terms are not boosted");

      expect((await daemon.cli("vocabulary", "strength", "6.5")).stdout).toContain("Boost strength: 6.5 (0 to 50");
      expect(hasTerm((await daemon.cli("transcribe", files[index].wav)).stdout, "planfalse")).toBe(true);
      expect((await daemon.cli("vocabulary", "strength", "default")).stdout).toContain(
        "Boost strength: 4 (the default)",
      );
      expect(JSON.parse((await daemon.cli("vocabulary", "list", "--json")).stdout).boostStrength).toBeNull();
    } finally {
      await daemon.cli("vocabulary", "rm", "planfalse");
    }
  });

  test("the HTTP API's prompt gives Parakeet its terms, separated by commas", async () => {
    const file = () => createReadStream(files[index].wav);
    const without = await openai.audio.transcriptions.create({ file: file(), model: "whisper-1" });
    expect(hasTerm(without.text, "planfalse")).toBe(false);
    const prompted = await openai.audio.transcriptions.create({
      file: file(),
      model: "whisper-1",
      prompt: "starcalls, planfalse",
    });
    expect(hasTerm(prompted.text, "planfalse")).toBe(true);
  });
});

/** The index of the sentence that holds `term`. */
const termSentence = (term: string): number => sentences.findIndex((s) => s.term === term);

/** A text's words: the random fixtures' byte pieces write new lines and control characters. */
const wordsOf = (text: string): string => text.replace(/[\p{Cc}\s]+/gu, " ").trim();

/** Each boosting family's default strength, the daemon's when the vocabulary sets none. */
const DEFAULT_STRENGTH = { parakeet: PARAKEET_BOOST_STRENGTH, nemotron: NEMOTRON_BOOST_STRENGTH };

describe.each([
  // The trained Parakeet fixture misreads "planfalse" (the tests above); Nemotron's random fixtures write their most
  // likely piece over and over, and a term of another piece ("w19": "▁w19") changes what they write at its default
  // strength (2).
  {
    family: "parakeet" as const,
    model: "parakeet-trained-en",
    term: "planfalse",
    wav: () => files[termSentence("planfalse")].wav,
  },
  { family: "nemotron" as const, model: "nemotron-tiny", term: "w19", wav: () => heldoutWav("heldout-03.wav") },
  { family: "nemotron" as const, model: "nemotron-tiny-3.5", term: "w22", wav: () => heldoutWav("heldout-03.wav") },
])("a term reaches the engine of $model ($family) through the daemon", ({ family, model: name, term, wav }) => {
  const folder = fixtureModel(name);
  let daemon: DaemonProcess;

  /** What the addon gives for the whole file, with `boostTerms` boosted at the family's default strength. */
  async function engineText(boostTerms: string[]): Promise<string> {
    const boostStrength = DEFAULT_STRENGTH[family];
    const { samples } = await loadAudio(wav());
    const load = family === "parakeet" ? ParakeetModel.load : NemotronModel.load;
    const model = await load(folder, { backend: "cpu", threads: 2 }).promise;
    try {
      return wordsOf((await model.transcribe(samples, () => {}, { boostTerms, boostStrength }).promise).text);
    } finally {
      model.free();
    }
  }

  beforeAll(async () => {
    // Each file one window, as the addon reads it (the voice activity detector would cut it).
    daemon = await DaemonProcess.ready({ model: folder, threads: 2, fileVad: false });
  });

  afterAll(async () => {
    await daemon?.dispose();
  });

  test("as a vocabulary term and as a --prompt read as terms: the engine's boosted text, not its plain one", async () => {
    const transcribe = async (...flags: string[]) => {
      const run = await daemon.cli("transcribe", ...flags, wav());
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: "" });
      return wordsOf(run.stdout);
    };
    const plain = await transcribe();
    expect(plain).toBe(await engineText([]));
    const boosted = await engineText([term]);
    expect(boosted).not.toBe(plain);
    expect((await daemon.cli("vocabulary", "add", term)).code).toBe(0);
    try {
      expect(await transcribe()).toBe(boosted);
      const listed = (await daemon.cli("vocabulary", "list")).stdout;
      expect(listed).toContain(`Terms (oldest first; * boosted while the loaded model decodes):\n  * ${term}\n`);
      expect(listed).toContain(`Boost strength: ${DEFAULT_STRENGTH[family]} (the default)`);
      expect((await daemon.status()).model.capabilities).toMatchObject({ family, prompt: false, boosting: true });
    } finally {
      await daemon.cli("vocabulary", "rm", term);
    }
    expect(await transcribe()).toBe(plain);
    expect(await transcribe("--prompt", `Kubernetes, ${term}`)).toBe(await engineText(["Kubernetes", term]));
  });
});
