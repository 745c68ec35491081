// Manage Vocabulary's logic against the real daemon: terms and replacements added, edited (respelled, renamed, their
// `from` changed) and deleted, each landing in the daemon's config.json, the rows the list shows, the optimistic
// updates the list shows while an edit runs (each the daemon's answer), the form's checks (each what the daemon
// takes), and the daemon's errors passed on as they are. @raycast/api is not involved: these modules never import it.
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { describeVocabulary } from "../../daemon/src/cli/vocabulary-command";
import { DaemonProcess } from "../../test/support/daemon-process";
import { makeRandomModel, repoRoot, smallEnglishDims } from "../../test/support/fixtures";
import { connect, DaemonError, type DaemonClient } from "../src/lib/daemon-connection";
import {
  boostStrengthOf,
  boostStrengthProblem,
  deleteReplacement,
  deleteTerm,
  loadVocabulary,
  replacedProblem,
  replacementTextProblem,
  saveBoostStrength,
  saveReplacement,
  saveTerm,
  termProblem,
  vocabularyList,
  withBoostStrength,
  withReplacementDeleted,
  withReplacementSaved,
  withTermDeleted,
  withTermSaved,
  type VocabularyData,
} from "../src/lib/vocabulary";

jest.setTimeout(120_000);

let model: string;
let daemon: DaemonProcess;
let client: DaemonClient;
const savedVocabulary = () => JSON.parse(readFileSync(path.join(daemon.home, "config.json"), "utf8")).vocabulary;

beforeAll(async () => {
  model = makeRandomModel(smallEnglishDims, ["--dtype", "float16", "--seed", "3"]);
  daemon = await DaemonProcess.ready({ model, threads: 2 });
  client = await connect(daemon.socket);
});

afterAll(async () => {
  client?.close();
  await daemon?.dispose();
  rmSync(model, { recursive: true, force: true });
});

test("an empty vocabulary says what to add", async () => {
  const list = vocabularyList(await loadVocabulary(client));
  expect(list.terms).toEqual([]);
  expect(list.replacements).toEqual([]);
  expect(list.empty).toMatch(/Add names/);
});

test("terms and replacements are added, edited and deleted in the daemon's config, and listed oldest term first as the CLI lists them", async () => {
  await saveTerm(client, "Ximena");
  await saveTerm(client, "Okonkwo");
  await saveReplacement(client, { from: "see a", to: "Xia" });
  let data = await saveReplacement(client, { from: "gonna", to: "going to", case: "keep" });
  const list = vocabularyList(data);
  expect(list.empty).toBeNull();
  expect(list.terms.map((row) => [row.title, row.subtitle])).toEqual([
    ["Ximena", "In the decoder prompt"],
    ["Okonkwo", "In the decoder prompt"],
  ]);
  // `verbatim vocabulary list`: the lines under "Terms (oldest first…):", each "  * TERM" or "    TERM".
  const cliLines = describeVocabulary(data).split("\n");
  expect(cliLines[0]).toMatch(/^Terms \(oldest first/);
  const cliTerms = cliLines.slice(1, cliLines.indexOf("Replacements:")).map((line) => line.slice(4));
  expect(list.terms.map((row) => row.title)).toEqual(cliTerms);
  expect(list.replacements.map((row) => [row.title, row.subtitle])).toEqual([
    ["see a → Xia", "Any Case, Written As Given"],
    ["gonna → going to", "Any Case, Keep Its Capitalization"],
  ]);

  // Editing a term to a new spelling keeps one entry; renaming it replaces the old one.
  await saveTerm(client, "ximena", "Ximena");
  data = await saveTerm(client, "Siobhan", "Okonkwo");
  expect(data.terms).toEqual(["ximena", "Siobhan"]);
  // Editing a replacement's `from` adds the new one and removes the old; editing the rest keeps its place.
  data = await saveReplacement(client, { from: "see ya", to: "Xia", case: "exact" }, "see a");
  expect(data.replacements).toEqual([
    { from: "gonna", to: "going to", case: "keep" },
    { from: "see ya", to: "Xia", case: "exact" },
  ]);
  await saveReplacement(client, { from: "gonna", to: "going to" }, "gonna");
  data = await saveReplacement(client, { from: "See Ya", to: "Xia" }, "see ya");
  expect(data.replacements).toEqual([
    { from: "gonna", to: "going to" },
    { from: "See Ya", to: "Xia" },
  ]);
  expect(savedVocabulary()).toEqual({ terms: data.terms, replacements: data.replacements });

  await deleteTerm(client, "Siobhan");
  data = await deleteReplacement(client, "GONNA");
  expect(data.terms).toEqual(["ximena"]);
  expect(data.replacements).toEqual([{ from: "See Ya", to: "Xia" }]);
  expect(savedVocabulary()).toEqual({ terms: ["ximena"], replacements: [{ from: "See Ya", to: "Xia" }] });
});

test("the daemon's refusals come through with what to do", async () => {
  const missing = await deleteTerm(client, "Nobody").catch((error: unknown) => error);
  expect(missing).toBeInstanceOf(DaemonError);
  expect((missing as DaemonError).code).toBe("not_found");
  expect((missing as DaemonError).message).toMatch(/no term "Nobody" \(list it to see\)/);
  const blank = await saveTerm(client, "   ").catch((error: unknown) => error);
  expect((blank as DaemonError).message).toMatch(/cannot be used: it is empty/);
});

test("each optimistic update shows the vocabulary the daemon then answers", async () => {
  let data = await loadVocabulary(client);
  const edits: [string, (current: VocabularyData) => VocabularyData, () => Promise<VocabularyData>][] = [
    ["add a term", (d) => withTermSaved(d, " Ngozi "), () => saveTerm(client, " Ngozi ")],
    ["add another", (d) => withTermSaved(d, "Aoife"), () => saveTerm(client, "Aoife")],
    ["respell the first", (d) => withTermSaved(d, "NGOZI", "Ngozi"), () => saveTerm(client, "NGOZI", "Ngozi")],
    ["rename one", (d) => withTermSaved(d, "Siobhan", "aoife"), () => saveTerm(client, "Siobhan", "aoife")],
    ["rename onto another", (d) => withTermSaved(d, "siobhan", "NGOZI"), () => saveTerm(client, "siobhan", "NGOZI")],
    ["delete a term", (d) => withTermDeleted(d, "SIOBHAN"), () => deleteTerm(client, "SIOBHAN")],
    [
      "add a replacement",
      (d) => withReplacementSaved(d, { from: " gonna ", to: "going to", case: "keep" }),
      () => saveReplacement(client, { from: " gonna ", to: "going to", case: "keep" }),
    ],
    [
      "add another",
      (d) => withReplacementSaved(d, { from: "see a", to: "Xia" }),
      () => saveReplacement(client, { from: "see a", to: "Xia" }),
    ],
    [
      "replace one by its from",
      (d) => withReplacementSaved(d, { from: "GONNA", to: "gonna" }),
      () => saveReplacement(client, { from: "GONNA", to: "gonna" }),
    ],
    [
      "change a from",
      (d) => withReplacementSaved(d, { from: "see ya", to: "Xia", case: "exact" }, "see a"),
      () => saveReplacement(client, { from: "see ya", to: "Xia", case: "exact" }, "see a"),
    ],
    ["delete one", (d) => withReplacementDeleted(d, "Gonna"), () => deleteReplacement(client, "Gonna")],
  ];
  for (const [what, predict, send] of edits) {
    const expected = predict(data);
    data = await send();
    expect([what, expected.terms, expected.replacements]).toEqual([what, data.terms, data.replacements]);
  }
  expect(data.terms.length + data.replacements.length).toBeGreaterThan(0);
});

test("the forms refuse exactly what the daemon refuses", async () => {
  const samples = ["Ximena", "", "   ", "x".repeat(100), "x".repeat(101), "two\nlines", "tab\there", "Zoë Ødegaard"];
  for (const sample of samples) {
    const daemonTakes = await saveTerm(client, sample).then(
      () => true,
      () => false,
    );
    expect([sample, termProblem(sample) === undefined]).toEqual([sample, daemonTakes]);
    expect([sample, replacedProblem(sample) === undefined]).toEqual([sample, daemonTakes]);
    if (daemonTakes) await deleteTerm(client, sample);
  }
  for (const to of ["y".repeat(200), "y".repeat(201), "", "a\rb"]) {
    const daemonTakes = await saveReplacement(client, { from: "sample", to }).then(
      () => true,
      () => false,
    );
    expect([to.length, replacementTextProblem(to) === undefined]).toEqual([to.length, daemonTakes]);
  }
  for (const text of ["0", "5", "6.5", "50", "51", "-1", "strong", "", "  "]) {
    const daemonTakes = await saveBoostStrength(client, boostStrengthOf(text)).then(
      (data) => data.boostStrength === boostStrengthOf(text),
      () => false,
    );
    expect([text, boostStrengthProblem(text) === undefined]).toEqual([text, daemonTakes]);
  }
  await saveBoostStrength(client, null);
  expect(termProblem("")).toBe("Type a name, product term or spelling");
  expect(termProblem("x".repeat(101))).toBe("At most 100 characters");
});

test("with a Parakeet model loaded, the terms are listed as boosted; replacements as ever", async () => {
  const parakeet = path.join(repoRoot, "test", "fixtures", "models", "parakeet-tiny");
  await saveTerm(client, "Okonkwo");
  await saveTerm(client, "Verbatim");
  await client.request({ type: "model.switch", model: parakeet });
  try {
    const list = vocabularyList(await loadVocabulary(client));
    expect(list.termsNotice).toBeNull();
    // The fixture's 64 pieces have "▁Verbatim" but no "O" nor its byte.
    expect(list.terms.find((row) => row.key === "Verbatim")?.subtitle).toBe("Boosted while decoding");
    expect(list.terms.find((row) => row.key === "Okonkwo")?.subtitle).toBe("The model's pieces cannot spell it");
    // The strength it boosts them with: shown, set (in config.json, as the optimistic update shows it) and reset.
    expect(list.strength).toEqual({ title: "Boost Strength: 4 (Default)", subtitle: "0 (not at all) to 50" });
    const before = await loadVocabulary(client);
    const set = await saveBoostStrength(client, 0);
    expect(set).toEqual(withBoostStrength(before, 0));
    expect(savedVocabulary().boostStrength).toBe(0);
    expect(vocabularyList(set).strength).toEqual({ title: "Boost Strength: 0", subtitle: "Terms are not boosted" });
    expect(describeVocabulary(set)).toContain("Boost strength: 0; terms are not boosted");
    expect((await saveBoostStrength(client, null)).boostStrength).toBeNull();
  } finally {
    await client.request({ type: "model.switch", model });
    await deleteTerm(client, "Verbatim");
  }
  const back = vocabularyList(await loadVocabulary(client));
  expect(back.termsNotice).toBeNull();
  expect(back.terms.find((row) => row.key === "Okonkwo")?.subtitle).toBe("In the decoder prompt");
  expect(back.strength).toBeNull(); // Whisper does not boost
});
