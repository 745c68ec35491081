#!/usr/bin/env node
// Issue 60, item 6: what a change to loading costs. Two builds of the addon (copies of native/build/Release/
// verbatim.node made before and after the change) load the same model folders in turn, each load in a fresh process
// on the CPU backend with 2 threads, after one untimed load each (the files are then in the page cache). Prints, per
// folder and build, the median wall and CPU milliseconds of the load (CPU: every thread of the process) and every
// wall time; with --first-text, also the time from the start of the load to the transcript of a held-out clip.
// Asserts nothing.
//
// usage: node test/bench/load-builds.mjs --before A.node --after B.node [--turns 7] [--quantize 8bit|4bit]
//          [--first-text] FOLDER...
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const clip = path.join(benchDir, "../fixtures/heldout/heldout-07.wav");

const { values: options, positionals: folders } = parseArgs({
  allowPositionals: true,
  options: {
    before: { type: "string" },
    after: { type: "string" },
    turns: { type: "string", default: "7" },
    quantize: { type: "string" },
    "first-text": { type: "boolean", default: false },
    child: { type: "string" },
  },
});

if (options.child) {
  // One load (and transcript) by the addon at --child; prints "wall cpu text" in ms (text: 0 without --first-text).
  const addon = createRequire(import.meta.url)(options.child);
  const start = performance.now();
  const cpu = process.cpuUsage();
  const loadOptions = { backend: "cpu", threads: 2, ...(options.quantize && { quantize: options.quantize }) };
  const model = await addon.loadModel(folders[0], loadOptions).promise;
  const wall = performance.now() - start;
  const used = process.cpuUsage(cpu);
  let text = 0;
  if (options["first-text"]) {
    const pcm = readFileSync(clip).subarray(44);
    const audio = new Float32Array(pcm.length / 2);
    for (let i = 0; i < audio.length; i++) audio[i] = pcm.readInt16LE(2 * i) / 32768;
    // Text is not looked at: Whisper's tokens get no bytes.
    const { vocabulary, nVocab } = model.info();
    const bytes = vocabulary ? vocabulary.map((piece) => Buffer.from(piece)) : Array.from({ length: nVocab });
    model.setVocabulary(bytes.map((piece) => new Uint8Array(piece ?? [])));
    await model.transcribe(audio, {}, () => {}).promise;
    text = performance.now() - start;
  }
  model.free();
  console.log(`${wall.toFixed(0)} ${((used.user + used.system) / 1000).toFixed(0)} ${text.toFixed(0)}`);
  process.exit(0);
}

if (!options.before || !options.after || folders.length === 0) {
  console.error("usage: node test/bench/load-builds.mjs --before A.node --after B.node [--turns 7] FOLDER...");
  process.exit(2);
}
const builds = { before: path.resolve(options.before), after: path.resolve(options.after) };
const extra = [
  ...(options.quantize ? ["--quantize", options.quantize] : []),
  ...(options["first-text"] ? ["--first-text"] : []),
];
const once = (addon, folder) =>
  execFileSync(process.execPath, [fileURLToPath(import.meta.url), "--child", addon, ...extra, folder], {
    encoding: "utf8",
  })
    .trim()
    .split(" ")
    .map(Number);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];

const loadAverage = () =>
  os
    .loadavg()
    .map((value) => value.toFixed(1))
    .join(" ");
console.log(`load average at start: ${loadAverage()}`);
for (const folder of folders) {
  const runs = { before: [], after: [] };
  for (const addon of Object.values(builds)) once(addon, folder);
  for (let turn = 0; turn < Number(options.turns); turn++) {
    for (const [name, addon] of Object.entries(builds)) runs[name].push(once(addon, folder));
  }
  for (const [name, values] of Object.entries(runs)) {
    const walls = values.map((v) => v[0]);
    const text = options["first-text"] ? `, to text ${median(values.map((v) => v[2]))}` : "";
    console.log(
      `${path.basename(folder)} ${options.quantize ?? "as stored"} ${name}: load wall ${median(walls)} cpu ` +
        `${median(values.map((v) => v[1]))}${text} [${[...walls].sort((a, b) => a - b).join(" ")}]`,
    );
  }
}
console.log(`load average at end: ${loadAverage()}`);
