// A Nemotron Speech Streaming model in the real daemon (issue 64): the tiny random-weight fixtures in transformers'
// layout (test/fixtures/models/nemotron-tiny, nemotron-tiny-3.5) chosen with `verbatim models use <folder>`, then
// the CLI's transcription through the daemon. Their weights are random, so each text is compared with what
// NemotronModel.transcribe gives for the same file in this process (itself equal to transformers' tokens:
// native/tests/nemotron.test.ts), not with the words spoken. What Nemotron cannot do is refused naming a model that
// can: exit 2 in the CLI (a --prompt is not refused: it is read as terms to boost, test/e2e/parakeet-boost.test.ts's
// table). Nemotron 3.5's --language sets its prompt; the English model takes English alone. The
// catalog's nemotron-streaming-en, served by a test hub with the fixture's files (its tokenizer and processor files
// too), downloads and transcribes like any model, and `verbatim models list` lists both catalog names.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { NemotronModel, type NemotronOptions } from "@verbatim/native";
import { loadAudio } from "../../daemon/src/audio";
import { TestHub } from "../../daemon/tests/support/hub-server";
import { DaemonProcess } from "../support/daemon-process";
import { heldoutWav } from "../support/dictation";
import { fixtureModel } from "../support/fixtures";

jest.setTimeout(240_000);

const english = fixtureModel("nemotron-tiny");
const multilingual = fixtureModel("nemotron-tiny-3.5");
const wav = heldoutWav("heldout-03.wav");
let daemon: DaemonProcess;
let hub: TestHub;
const cache = mkdtempSync(path.join(os.tmpdir(), "verbatim-nemotron-hub-"));

/**
 * A text's words: the random fixtures' byte pieces write new lines and control characters, which the daemon's text
 * keeps as spaces or drops.
 */
const wordsOf = (text: string): string => text.replace(/[\p{Cc}\s]+/gu, " ").trim();

/** What the addon gives directly for the whole file: the daemon's text must have its words. */
async function addonText(folder: string, options: NemotronOptions = {}): Promise<string> {
  const model = await NemotronModel.load(folder, { backend: "cpu", threads: 2 }).promise;
  try {
    const { text } = await model.transcribe((await loadAudio(wav)).samples, () => {}, options).promise;
    return wordsOf(text);
  } finally {
    model.free();
  }
}

beforeAll(async () => {
  // The whole file as one window, as the addon reads it above (the voice activity detector would cut it).
  hub = await TestHub.start();
  await hub.addRepoFromFolder("nvidia/nemotron-speech-streaming-en-0.6b", english);
  daemon = await DaemonProcess.ready(
    { model: fixtureModel("verbatim-tiny-en"), threads: 2, fileVad: false },
    { env: { HF_ENDPOINT: hub.url, HF_HUB_CACHE: cache, HF_HUB_OFFLINE: "" } },
  );
});

afterAll(async () => {
  await daemon?.dispose();
  await hub?.close();
  rmSync(cache, { recursive: true, force: true });
});

test("`models use` a Nemotron folder: the CLI's transcription is the engine's tokens' text; the status says what it can do", async () => {
  const expected = await addonText(english);
  expect(expected.length).toBeGreaterThan(0);
  expect(await daemon.cli("models", "use", english)).toMatchObject({
    code: 0,
    stdout: `Jobs without --model now use ${english}.\n`,
  });
  const run = await daemon.cli("transcribe", wav);
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  expect(wordsOf(run.stdout)).toBe(expected);

  const status = await daemon.status();
  expect(status.model).toMatchObject({ id: english, state: "ready" });
  expect(status.model.capabilities).toEqual({
    family: "nemotron",
    languages: ["en"],
    translate: false,
    prompt: false,
    boosting: true,
    decodingOptions: false,
    streaming: true,
  });
});

test("what it cannot do is refused naming a model that can (exit 2); English on the English model is taken", async () => {
  for (const flags of [
    ["--task", "translate"],
    ["--language", "de"],
    ["--beam-size", "5"],
  ]) {
    const run = await daemon.cli("transcribe", "--model", english, ...flags, wav);
    expect({ flags, code: run.code, stdout: run.stdout }).toEqual({ flags, code: 2, stdout: "" });
    expect(run.stderr).toContain("large-v3-turbo-4bit");
  }
  const englishRun = await daemon.cli("transcribe", "--model", english, "--language", "en", wav);
  expect(englishRun.code).toBe(0);
  expect(wordsOf(englishRun.stdout)).toBe(await addonText(english));
});

test("Nemotron 3.5: --language sets its prompt (the addon's text with that language), without one it detects", async () => {
  expect((await daemon.cli("models", "use", multilingual)).code).toBe(0);
  const detected = await daemon.cli("transcribe", wav);
  expect(detected.code).toBe(0);
  expect(wordsOf(detected.stdout)).toBe(await addonText(multilingual));
  const germanText = await addonText(multilingual, { language: "de" });
  // The prompt changes this fixture's text, so a language not reaching the engine would show.
  expect(germanText).not.toBe(await addonText(multilingual));
  const german = await daemon.cli("transcribe", "--language", "de", wav);
  expect(german.stderr).toBe("");
  expect(german.code).toBe(0);
  expect(wordsOf(german.stdout)).toBe(germanText);
  const status = await daemon.status();
  expect(status.model.capabilities.languages).toEqual(expect.arrayContaining(["en", "de"]));
});

test("Nemotron 3.5 detecting: the language tag it writes is the transcript's language and shows in no text", async () => {
  // The fixture's vocabulary holds no tags: a copy whose first written piece is renamed "<de-DE>" writes one.
  const model = await NemotronModel.load(multilingual, { backend: "cpu", threads: 2 }).promise;
  const { samples } = await loadAudio(wav);
  const [first] = (await model.transcribe(samples).promise).tokens;
  model.free();
  const tagged = mkdtempSync(path.join(os.tmpdir(), "verbatim-nemotron-tag-"));
  try {
    cpSync(multilingual, tagged, { recursive: true });
    const tokenizerPath = path.join(tagged, "tokenizer.json");
    const tokenizer = JSON.parse(readFileSync(tokenizerPath, "utf8"));
    const untagged = tokenizer.model.vocab[first.id][0];
    tokenizer.model.vocab[first.id][0] = "<de-DE>";
    writeFileSync(tokenizerPath, JSON.stringify(tokenizer));

    const run = await daemon.cli("transcribe", "--model", tagged, "--format", "json", wav);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const transcript = JSON.parse(run.stdout);
    expect(transcript.language).toBe("de");
    expect(transcript.text).not.toContain("<de-DE>");
    // The tag's piece wrote words before it was a tag: those words are gone and the rest is the addon's text.
    expect(wordsOf(await addonText(multilingual))).toContain(untagged.replace("\u2581", ""));
    expect(wordsOf(transcript.text)).toBe(await addonText(tagged));
    expect(transcript.text).not.toContain(untagged.replace("\u2581", ""));
  } finally {
    rmSync(tagged, { recursive: true, force: true });
  }
});

test("the catalog's nemotron-streaming-en downloads with its tokenizer and transcribes; `verbatim models list` lists both", async () => {
  const pulled = await daemon.cli("models", "pull", "nemotron-streaming-en");
  expect(pulled.stderr).toBe("");
  expect(pulled.stdout).toContain("nvidia/nemotron-speech-streaming-en-0.6b is ready in");
  const run = await daemon.cli("transcribe", "--model", "nemotron-streaming-en", wav);
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  expect(wordsOf(run.stdout)).toBe(await addonText(english));
  const listed = await daemon.cli("models", "list");
  expect(listed.code).toBe(0);
  expect(listed.stdout).toMatch(/nemotron-streaming-en .*English/);
  expect(listed.stdout).toMatch(/nemotron-3\.5 .*40 language-locales/);
});
