// The user's vocabulary through the real daemon on a real socket, the real engine on the trained fixture model and
// held-out speech: edits persist in config.json (other keys and the file's layout kept, concurrent edits all kept,
// a broken file never overwritten) and survive a restart; replacements change a file job's and a dictation's final
// text; terms reach the decoder prompt exactly as a job prompt of the same text would.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { DaemonError, type DaemonClient } from "../../daemon/src/client";
import type { Event, VocabularyData } from "../../daemon/src/protocol";
import { committedText, FRAME_BYTES, heldoutWav, pcmOf, startDictation, stopDictation } from "../support/dictation";
import { DaemonProcess } from "../support/daemon-process";
import { fixtureModel } from "../support/fixtures";

jest.setTimeout(180_000);

const wav = heldoutWav("heldout-07.wav");
const spoken = "The level far damage fund regular receive.";
let daemon: DaemonProcess;
let client: DaemonClient;
const configFile = () => path.join(daemon.home, "config.json");

type VocabularyRequest = Extract<Parameters<DaemonClient["request"]>[0], { type: `vocabulary.${string}` }>;

async function vocabulary(request: VocabularyRequest, on: DaemonClient = client): Promise<VocabularyData> {
  const event: Event = await on.request(request);
  if (event.type !== "done" || !event.vocabulary) throw new Error(`${request.type} answered ${event.type}`);
  return event.vocabulary;
}

async function refusal(request: VocabularyRequest): Promise<DaemonError> {
  const error = await vocabulary(request).then(
    () => null,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(DaemonError);
  return error as DaemonError;
}

async function clear(): Promise<void> {
  const current = await vocabulary({ type: "vocabulary.list" });
  for (const term of current.terms) await vocabulary({ type: "vocabulary.remove", term });
  for (const { from } of current.replacements) await vocabulary({ type: "vocabulary.remove", from });
}

const transcribe = async (options?: { prompt: string }) =>
  (await client.transcribeFile(wav, options ? { options } : {}).promise).text;

const verbatim = (...args: string[]) => daemon.cli(...args);

beforeAll(async () => {
  daemon = await DaemonProcess.ready({ model: fixtureModel(), threads: 2 });
  client = await daemon.connect();
});

afterAll(async () => {
  client?.close();
  await daemon?.dispose();
});

test("edits persist in config.json beside the other keys, concurrent edits all land, and a restart keeps them", async () => {
  const before = readFileSync(configFile(), "utf8");
  expect(await vocabulary({ type: "vocabulary.list" })).toEqual({
    terms: [],
    replacements: [],
    promptTerms: [],
    problems: [],
    boostStrength: null,
    termsUse: "prompt",
  });
  await vocabulary({ type: "vocabulary.add", term: "Ximena" });
  await vocabulary({ type: "vocabulary.add", replacement: { from: "far damage", to: "FarDamage" } });
  // The file the test wrote is one line: the edit appends the member in the same style and leaves the rest alone.
  const after = readFileSync(configFile(), "utf8");
  expect(after.startsWith(before.slice(0, -1))).toBe(true);
  expect(JSON.parse(after)).toEqual({
    ...JSON.parse(before),
    vocabulary: { terms: ["Ximena"], replacements: [{ from: "far damage", to: "FarDamage" }] },
  });

  // Two clients add ten terms at once: every one is kept.
  const other = await daemon.connect();
  const names = Array.from({ length: 10 }, (_, i) => `Name${i}`);
  await Promise.all(names.map((term, i) => vocabulary({ type: "vocabulary.add", term }, i % 2 ? client : other)));
  other.close();
  const listed = await vocabulary({ type: "vocabulary.list" });
  expect(new Set(listed.terms)).toEqual(new Set(["Ximena", ...names]));
  // Re-adding a term in another case moves it to the end (the most recent), as now spelt.
  const readded = await vocabulary({ type: "vocabulary.add", term: "XIMENA" });
  expect(readded.terms.at(-1)).toBe("XIMENA");
  expect(readded.terms).toHaveLength(11);
  expect(readded.promptTerms?.[0]).toBe("XIMENA");

  await daemon.stop();
  await daemon.start();
  await daemon.waitForModel();
  client.close();
  client = await daemon.connect();
  const restarted = await vocabulary({ type: "vocabulary.list" });
  expect(restarted.terms).toEqual(readded.terms);
  expect(restarted.replacements).toEqual([{ from: "far damage", to: "FarDamage" }]);
  await clear();
  expect(JSON.parse(readFileSync(configFile(), "utf8")).vocabulary).toEqual({ terms: [], replacements: [] });
});

test("bad edits get typed errors that say what to do, and a broken config.json is never overwritten", async () => {
  expect((await refusal({ type: "vocabulary.add", term: "two\nlines" })).code).toBe("bad_message");
  const missing = await refusal({ type: "vocabulary.remove", term: "Nobody" });
  expect(missing.code).toBe("not_found");
  expect(missing.message).toMatch(/no term "Nobody"/);

  const good = readFileSync(configFile(), "utf8");
  writeFileSync(configFile(), good.replace(/}\s*$/, ",}")); // a trailing comma: not JSON
  const broken = await refusal({ type: "vocabulary.add", term: "Ximena" });
  expect(broken.code).toBe("config");
  expect(broken.message).toMatch(/not valid JSON.*fix it.*the vocabulary was not changed/);
  expect(readFileSync(configFile(), "utf8")).toBe(good.replace(/}\s*$/, ",}"));
  writeFileSync(configFile(), good);

  // An entry the daemon cannot use is named, kept in the file through edits, and the others still work.
  const config = JSON.parse(good);
  writeFileSync(
    configFile(),
    JSON.stringify({
      ...config,
      vocabulary: {
        terms: ["Ximena", 7],
        replacements: [{ from: "x", to: "y", case: "upper" }],
        boostStrength: "strong",
      },
    }),
  );
  const listed = await vocabulary({ type: "vocabulary.list" });
  expect(listed.terms).toEqual(["Ximena"]);
  expect(listed.boostStrength).toBeNull();
  expect(listed.problems).toEqual([
    '"vocabulary.terms[1]" (7) is not used: it is not text',
    '"vocabulary.replacements[0]" is not used: its "case" must be "keep" or "exact" (or left out), not "upper"',
    '"vocabulary.boostStrength" ("strong") is not used: it must be a number from 0 to 50 (0: no boosting; absent: ' +
      "the model's default)",
  ]);
  await vocabulary({ type: "vocabulary.remove", term: "Ximena" });
  expect(JSON.parse(readFileSync(configFile(), "utf8")).vocabulary.terms).toEqual([7]);
  // The strength is set through the protocol (null: the default again); a value out of range is refused.
  expect((await vocabulary({ type: "vocabulary.strength", boostStrength: 3 })).boostStrength).toBe(3);
  expect(JSON.parse(readFileSync(configFile(), "utf8")).vocabulary.boostStrength).toBe(3);
  const tooStrong = await refusal({ type: "vocabulary.strength", boostStrength: 51 });
  expect(tooStrong.code).toBe("bad_message");
  expect(tooStrong.message).toBe(
    '"boostStrength" must be a number from 0 to 50 (or null for the model\'s default), not 51',
  );
  expect((await vocabulary({ type: "vocabulary.strength", boostStrength: null })).boostStrength).toBeNull();
  expect(JSON.parse(readFileSync(configFile(), "utf8")).vocabulary).not.toHaveProperty("boostStrength");
  writeFileSync(configFile(), good);
  await clear();
});

test("replacements change a file job's final text, segments and words", async () => {
  await clear();
  expect(await transcribe()).toBe(spoken);
  await vocabulary({ type: "vocabulary.add", replacement: { from: "far damage", to: "FarDamage" } });
  await vocabulary({ type: "vocabulary.add", replacement: { from: "the", to: "a", case: "keep" } });
  await vocabulary({ type: "vocabulary.add", replacement: { from: "Level", to: "Tier", case: "exact" } });
  const replaced = "A level FarDamage fund regular receive.";
  const job = client.transcribeFile(wav, { options: { wordTimestamps: true } });
  const transcript = await job.promise;
  expect(transcript.text).toBe(replaced);
  expect(transcript.segments.map((segment) => segment.text).join(" ")).toBe(replaced);
  const words = transcript.segments.flatMap((segment) => segment.words ?? []).map((word) => word.word.trim());
  expect(words).toEqual(["A", "level", "FarDamage", "fund", "regular", "receive."]);
  await clear();
});

test("replacements change a dictation's utterance and final text, and its committed text never shows the original", async () => {
  await clear();
  await vocabulary({ type: "vocabulary.add", replacement: { from: "far damage", to: "FarDamage" } });
  await vocabulary({ type: "vocabulary.add", replacement: { from: "the", to: "a", case: "keep" } });
  const replaced = "A level FarDamage fund regular receive.";
  const following = await startDictation(client);
  // At real-time pace, so that live updates commit text while the audio arrives.
  const pcm = await pcmOf(wav);
  for (let offset = 0; offset < pcm.length; offset += FRAME_BYTES) {
    client.sendAudio(following.session, pcm.subarray(offset, offset + FRAME_BYTES));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const stopped = await stopDictation(client, following.session);
  await following.outcome;
  expect(stopped.text).toBe(replaced);
  const utterances = following.events.filter((event) => event.type === "dictation.utterance");
  expect(utterances.map((event) => event.type === "dictation.utterance" && event.text)).toEqual([replaced]);
  const committed = committedText(following.events);
  expect(replaced.startsWith(committed.trim())).toBe(true);
  await clear();
});

test("terms reach the decoder prompt: a job with them transcribes as one whose prompt is the same text", async () => {
  await clear();
  const without = await transcribe();
  await vocabulary({ type: "vocabulary.add", term: "Ximena" });
  const listed = await vocabulary({ type: "vocabulary.add", term: "Okonkwo" });
  expect(listed.promptTerms).toEqual(["Okonkwo", "Ximena"]);
  const withTerms = await transcribe();
  await clear();
  // Terms are written oldest first, comma-separated, ending with a full stop.
  expect(await transcribe({ prompt: "Ximena, Okonkwo." })).toBe(withTerms);
  expect(withTerms).not.toBe(without);
});

test("verbatim vocabulary adds, lists and removes through the daemon, and explains its usage", async () => {
  await clear();
  expect(await verbatim("vocabulary", "add", "Ximena")).toMatchObject({ code: 0, stdout: "added the term Ximena\n" });
  expect(
    await verbatim("vocabulary", "add", "--replace", "far damage", "--with", "FarDamage", "--case", "keep"),
  ).toMatchObject({ code: 0, stdout: "added the replacement far damage → FarDamage  (case: keep)\n" });
  expect((await verbatim("vocabulary", "list")).stdout).toBe(
    "Terms (oldest first; * in the decoder prompt):\n  * Ximena\nReplacements:\n    far damage → FarDamage  (case: keep)\n",
  );
  const json = JSON.parse((await verbatim("vocabulary", "list", "--json")).stdout) as VocabularyData;
  expect(json).toEqual(await vocabulary({ type: "vocabulary.list" }));
  expect(await verbatim("vocabulary", "rm", "--replace", "FAR DAMAGE")).toMatchObject({ code: 0 });
  expect(await verbatim("vocabulary", "rm", "ximena")).toMatchObject({ code: 0, stdout: "removed the term ximena\n" });

  const missing = await verbatim("vocabulary", "rm", "Ximena");
  expect(missing.code).toBe(7);
  expect(missing.stderr).toMatch(/no term "Ximena" \(list it to see\)/);
  const usage = await verbatim("vocabulary", "add", "--replace", "x");
  expect(usage.code).toBe(2);
  // A term the daemon refuses is the user's to fix, as a usage error is (it was 1, "engine failure").
  const refused = await verbatim("vocabulary", "add", "Xi\u200bmena");
  expect(refused).toMatchObject({
    code: 2,
    stderr: expect.stringMatching(/U\+200B, an invisible formatting character/),
  });
  expect(usage.stderr).toMatch(/needs --with TO/);
  expect((await verbatim("vocabulary", "add", "x", "--replace", "y", "--with", "z")).code).toBe(2);
  expect((await verbatim("vocabulary", "--help")).stdout).toMatch(/verbatim vocabulary add --replace FROM --with TO/);
  expect((await vocabulary({ type: "vocabulary.list" })).terms).toEqual([]);
});
