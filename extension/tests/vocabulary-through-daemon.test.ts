// Manage Vocabulary's logic against the real daemon: terms and replacements added, edited (respelt, renamed, their
// `from` changed) and deleted, each landing in the daemon's config.json, the rows the list shows, and the daemon's
// errors passed on as they are. @raycast/api is not involved: these modules never import it.
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { DaemonProcess } from "../../test/support/daemon-process";
import { makeRandomModel, smallEnglishDims } from "../../test/support/fixtures";
import { connect, DaemonError, type DaemonClient } from "../src/lib/daemon-connection";
import {
  deleteReplacement,
  deleteTerm,
  loadVocabulary,
  saveReplacement,
  saveTerm,
  vocabularyList,
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

test("terms and replacements are added, edited and deleted in the daemon's config, and listed newest term first", async () => {
  await saveTerm(client, "Ximena");
  await saveTerm(client, "Okonkwo");
  await saveReplacement(client, { from: "see a", to: "Xia" });
  let data = await saveReplacement(client, { from: "gonna", to: "going to", case: "keep" });
  const list = vocabularyList(data);
  expect(list.empty).toBeNull();
  expect(list.terms.map((row) => [row.title, row.subtitle])).toEqual([
    ["Okonkwo", "In the decoder prompt"],
    ["Ximena", "In the decoder prompt"],
  ]);
  expect(list.replacements.map((row) => [row.title, row.subtitle])).toEqual([
    ["see a → Xia", "Any Case, Written As Given"],
    ["gonna → going to", "Any Case, Keep Its Capitalisation"],
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
