// Parakeet v3's language lock through the real daemon (issue 65): parakeet-tiny-v3-multilingual, a folder in v3's
// layout whose vocabulary writes Latin, Cyrillic and Greek (so v3's 25 languages), writes Cyrillic pieces on held-out
// English speech when free; `verbatim transcribe --language en`, a socket job's and the HTTP API's `language` lock it
// to the pieces English can write, and its text is transformers' greedy decode with those pieces masked (the committed
// reference), and a dictation's live and final text are locked alike. A language outside the 25 is refused, naming them; the fixture's English-only sibling takes none.
import { readFileSync } from "node:fs";
import path from "node:path";
import OpenAI from "openai";
import { DaemonError, type DaemonClient } from "../../daemon/src/client";
import { apiToken, freePort } from "../support/api";
import { DaemonProcess } from "../support/daemon-process";
import { committedText, heldoutWav, pcmOf, sendPcm, startDictation, stopDictation } from "../support/dictation";
import { fixtureModel } from "../support/fixtures";

jest.setTimeout(240_000);

const model = fixtureModel("parakeet-tiny-v3-multilingual");
const wav = heldoutWav("heldout-02.wav");
const referenceText = (name: string): string =>
  (
    JSON.parse(readFileSync(path.join(fixtureModel("parakeet-reference"), `${name}.json`), "utf8")) as { text: string }
  ).text.trim();
const free = referenceText("tiny-v3-multilingual-heldout-02");
const english = referenceText("tiny-v3-multilingual-en-heldout-02");
/** The CLI's text output puts each segment on a line of its own. */
const oneLine = (text: string) => text.trim().split(/\s+/).join(" ");
const OTHER_SCRIPTS = /[\p{Script=Cyrillic}\p{Script=Greek}]/u;

let daemon: DaemonProcess;
let client: DaemonClient;
let openai: OpenAI;

beforeAll(async () => {
  expect(free).toMatch(OTHER_SCRIPTS);
  expect(english).not.toMatch(OTHER_SCRIPTS);
  const port = await freePort();
  // The whole file as one window, as the reference decodes it (the voice activity detector would cut it).
  daemon = await DaemonProcess.ready({
    model,
    threads: 2,
    fileVad: false,
    api: { enabled: true, port, host: "127.0.0.1" },
  });
  client = await daemon.connect();
  openai = new OpenAI({ apiKey: apiToken(daemon), baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  client?.close();
  await daemon?.dispose();
});

test("the folder's vocabulary makes it v3's 25 languages", async () => {
  const languages = (await daemon.status()).model.capabilities?.languages;
  expect(languages).toHaveLength(25);
  expect(languages).toEqual(expect.arrayContaining(["en", "de", "ru", "el", "uk"]));
});

test("the CLI: free, it writes another script; --language en locks it to English's pieces", async () => {
  const unlocked = await daemon.cli("transcribe", wav);
  expect(unlocked.code).toBe(0);
  expect(oneLine(unlocked.stdout)).toBe(free);
  const locked = await daemon.cli("transcribe", "--language", "en", wav);
  expect(locked.stderr).toBe("");
  expect(locked.code).toBe(0);
  expect(oneLine(locked.stdout)).toBe(english);
});

test("a socket job's language locks it, and is the transcript's language", async () => {
  const transcript = await client.transcribeFile(wav, { options: { language: "en" } }).promise;
  expect(transcript.text).toBe(english);
  expect(transcript.language).toBe("en");
});

test("the HTTP API's language locks it", async () => {
  const file = () => new File([readFileSync(wav)], "memo.wav", { type: "audio/wav" });
  const unlocked = await openai.audio.transcriptions.create({ file: file(), model: "whisper-1" });
  expect(unlocked.text).toBe(free);
  const locked = await openai.audio.transcriptions.create({ file: file(), model: "whisper-1", language: "en" });
  expect(locked.text).toBe(english);
});

test("live dictation: its committed text and final text are locked too", async () => {
  const dictate = async (language?: string) => {
    const following = await startDictation(client, "stream", language ? { language } : undefined);
    sendPcm(client, following.session, await pcmOf(wav));
    const transcript = await stopDictation(client, following.session);
    await following.outcome;
    return { text: transcript.text, committed: committedText(following.events) };
  };
  const unlocked = await dictate();
  expect(unlocked.text).toMatch(OTHER_SCRIPTS);
  const locked = await dictate("en");
  expect(locked.text.length).toBeGreaterThan(0);
  expect(`${locked.text} ${locked.committed}`).not.toMatch(/[\p{Script=Cyrillic}\p{Script=Greek}ł]/u);
});

test("a language outside v3's 25 is refused, naming them; an English-only folder takes none", async () => {
  const refused: unknown = await client.transcribeFile(wav, { options: { language: "ja" } }).promise.catch((e) => e);
  expect(refused).toBeInstanceOf(DaemonError);
  expect(refused).toMatchObject({ code: "unsupported" });
  expect((refused as Error).message).toContain(
    `is a Parakeet model of 25 languages (bg, cs, da, de, el, en, es, et, fi, fr, hr, hu, it, lt, lv, mt, nl, pl, ` +
      `pt, ro, ru, sk, sl, sv, uk) and cannot transcribe "ja" (Japanese)`,
  );
  const cli = await daemon.cli("transcribe", "--language", "ja", wav);
  expect(cli.code).toBe(2);
  expect(cli.stderr).toContain("bg, cs, da");
  const englishOnly = await daemon.cli(
    "transcribe",
    "--model",
    fixtureModel("parakeet-tiny-v3"),
    "--language",
    "en",
    wav,
  );
  expect(englishOnly.code).toBe(2);
  expect(englishOnly.stderr).toContain("whose languages are not known");
});
