#!/usr/bin/env node
// What the user's vocabulary does for names the model cannot know: the sentences of test/fixtures/vocabulary (names
// and product terms outside the fixture model's 1,200-word list, held-out voices) transcribed through the real daemon
// on a real socket, four ways:
//   - none: an empty vocabulary;
//   - terms: the set's 14 terms in the vocabulary (they go into the decoder prompt);
//   - replacements: no terms; replacements a user would add after seeing a misrecognition;
//   - terms + replacements: both, the replacements found with the terms in place;
//   - own names only: for each sentence, only the names it holds as terms (a best case no user can set up: it shows
//     whether a short prompt helps where a long one does not).
// The replacements are not chosen from the measured sentences: each term is spoken once in a carrier sentence of its
// own ("Please call Ximena today.", the set's enrol-NN.wav); whatever the model writes between "please call" and
// "today" becomes `that → Term`, as a user would type it after seeing it once. Enrolments whose carrier words were
// not recognised, or that already gave the term, add none. The list is printed.
// Prints word error rate (as test/support/wer.ts: lowercase, punctuation stripped) and name accuracy (the share of
// the names in the references that appear, as a whole word, in the transcript) for each, with the load average.
//
// usage: npx tsc -b && node test/bench/vocabulary.mjs [--model test/fixtures/models/verbatim-tiny-en] [--threads 2]
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { alignWords, normalizeWords } from "../support/words.cjs";

const require = createRequire(import.meta.url);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const { DaemonClient } = require(path.join(repoRoot, "daemon/dist/client.js"));

const { values } = parseArgs({
  options: {
    model: { type: "string", default: path.join(repoRoot, "test/fixtures/models/verbatim-tiny-en") },
    threads: { type: "string", default: "2" },
  },
});
const fixtures = path.join(repoRoot, "test/fixtures/vocabulary");
const set = JSON.parse(readFileSync(path.join(fixtures, "vocabulary.json"), "utf8"));

function score(texts) {
  let errors = 0;
  let total = 0;
  let names = 0;
  let found = 0;
  set.sentences.forEach((sentence, i) => {
    const reference = normalizeWords(sentence.text);
    errors += alignWords(reference, normalizeWords(texts[i])).errors;
    total += reference.length;
    const said = new Set(normalizeWords(texts[i]));
    for (const name of sentence.names) {
      names++;
      if (said.has(name.toLowerCase())) found++;
    }
  });
  return { wer: errors / total, found, names };
}

async function startDaemon(home) {
  const socket = path.join(home, "verbatimd.sock");
  writeFileSync(
    path.join(home, "config.json"),
    JSON.stringify({ model: values.model, threads: Number(values.threads) }),
  );
  const env = { ...process.env, VERBATIM_HOME: home, VERBATIM_SOCKET: socket, HF_HUB_OFFLINE: "1" };
  const child = spawn(process.execPath, [path.join(repoRoot, "daemon/bin/verbatimd.js")], { env, stdio: "ignore" });
  for (;;) {
    try {
      const client = await DaemonClient.connect(socket, { client: "vocabulary-bench" });
      const status = await client.status();
      if (status.model.state === "ready") return { child, client };
      if (status.model.state === "failed") throw new Error(status.model.error);
      client.close();
    } catch (error) {
      if (child.exitCode !== null) throw new Error(`verbatimd exited with ${child.exitCode}`);
      if (error instanceof Error && !/not running|ENOENT|ECONNREFUSED/.test(error.message)) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function setVocabulary(client, terms, replacements) {
  const current = (await client.request({ type: "vocabulary.list" })).vocabulary;
  for (const term of current.terms) await client.request({ type: "vocabulary.remove", term });
  for (const { from } of current.replacements) await client.request({ type: "vocabulary.remove", from });
  for (const term of terms) await client.request({ type: "vocabulary.add", term });
  for (const replacement of replacements) await client.request({ type: "vocabulary.add", replacement });
  return (await client.request({ type: "vocabulary.list" })).vocabulary;
}

async function transcribeAll(client, entries) {
  const texts = [];
  for (const entry of entries) texts.push((await client.transcribeFile(path.join(fixtures, entry.file)).promise).text);
  return texts;
}

/**
 * `what the model wrote → Term` for each enrolment whose carrier words came through around something else; the
 * others are listed with what was heard.
 */
function replacementsFrom(enrolment, texts) {
  const [before, after] = set.carrier.split("{}").map(normalizeWords);
  const found = [];
  const skipped = [];
  enrolment.forEach((entry, i) => {
    const heard = normalizeWords(texts[i]);
    const start = before.length;
    const end = heard.length - after.length;
    const carried =
      before.every((word, k) => heard[k] === word) && after.every((word, k) => heard[end + k] === word) && end > start;
    const written = heard.slice(start, end).join(" ");
    if (carried && written !== entry.term.toLowerCase()) found.push({ from: written, to: entry.term });
    else skipped.push(`${entry.term} (heard "${texts[i]}")`);
  });
  return { found, skipped };
}

const home = mkdtempSync(path.join(os.tmpdir(), "verbatim-vocabulary-bench-"));
const { child, client } = await startDaemon(home);
try {
  const results = [];
  const run = async (name, terms, replacements) => {
    const vocabulary = await setVocabulary(client, terms, replacements);
    const texts = await transcribeAll(client, set.sentences);
    results.push({ name, ...score(texts), texts, promptTerms: vocabulary.promptTerms?.length ?? 0 });
  };

  await setVocabulary(client, [], []);
  const plainReplacements = replacementsFrom(set.enrolment, await transcribeAll(client, set.enrolment));
  await setVocabulary(client, set.terms, []);
  const termReplacements = replacementsFrom(set.enrolment, await transcribeAll(client, set.enrolment));

  await run("none", [], []);
  await run("terms", set.terms, []);
  await run("replacements", [], plainReplacements.found);
  await run("terms + replacements", set.terms, termReplacements.found);
  const own = [];
  for (const sentence of set.sentences) {
    await setVocabulary(client, sentence.names, []);
    own.push(...(await transcribeAll(client, [sentence])));
  }
  results.push({ name: "own names only", ...score(own), texts: own, promptTerms: "1-2" });

  const load = os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(" ");
  console.log(
    `model ${path.relative(repoRoot, values.model) || values.model}, ${set.sentences.length} sentences, ` +
      `${set.sentences.reduce((n, s) => n + s.names.length, 0)} names, threads ${values.threads}, load average ${load}`,
  );
  console.log("\nreplacements from the enrolment sentences, without terms:");
  const show = ({ found, skipped }) => {
    for (const r of found) console.log(`  ${r.from} → ${r.to}`);
    for (const term of skipped) console.log(`  none for ${term}`);
  };
  show(plainReplacements);
  console.log("with the terms in the prompt:");
  show(termReplacements);
  console.log("\nvocabulary              WER     names found   terms in prompt");
  for (const r of results) {
    console.log(
      `${r.name.padEnd(22)} ${(100 * r.wer).toFixed(1).padStart(5)} %   ${`${r.found}/${r.names}`.padStart(5)}` +
        `  ${String(r.promptTerms).padStart(14)}`,
    );
  }
  console.log("\ntranscripts:");
  set.sentences.forEach((sentence, i) => {
    console.log(`  ref: ${sentence.text}`);
    for (const r of results) console.log(`    ${r.name.padEnd(21)} ${r.texts[i]}`);
  });
} finally {
  client.close();
  child.kill("SIGTERM");
  await new Promise((resolve) => child.once("exit", resolve));
  rmSync(home, { recursive: true, force: true });
}
