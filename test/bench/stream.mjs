#!/usr/bin/env node
// Live recognition as a user meets it: held-out recordings fed at real-time pace (100 ms of audio every 100 ms, as
// the capture process sends it) into the engine's streaming session, and the same through the daemon
// (`dictation.start` on a real socket). Prints per model and backend:
//   - first text: seconds from the first word's start to the first committed text on screen;
//   - word lag: from each word's end (the batch transcript's word timings) to the moment it is first shown in full,
//     median and 90th percentile, and one encoder pass (the floor every update pays) for comparison;
//   - stop to final: from the end of the audio (the stream finished, the dictation stopped) to the final text;
//   - update RTF: the update loop's compute per second of audio (audio fed in lockstep, each update awaited);
//   - live WER (committed text before the final pass; words not yet shown count as missing) and live words wrong
//     (of the words shown before the final pass, the share that are not the spoken ones), final WER, batch WER;
//   - daemon: the same word lag through the daemon, and what the daemon path adds to it; its final WER, and how many
//     of its final texts equal the batch transcript of the whole file (the daemon decodes only the speech the voice
//     activity detector finds, with 0.3 s around it, so its final pass sees slightly less audio than the file).
// Parakeet fixtures (parakeet-tiny: random weights, so its text is not English and its WER means nothing) run with
// their own policy (a token is shown once its end is marginFrames behind the newest audio, two updates agree, and its
// word is whole); their word lag is measured against the batch transcript's own words, as Whisper's is. Nemotron
// fixtures stream natively, in chunks of LIVE_POLICY's right context + 1 frames (160 ms): each chunk's tokens are
// shown once it is decoded, and the final text is the stream's own (no final pass).
// On random-weight shapes (base, large-v3-turbo; made as test/bench/run.mjs makes them) only the cost is measured:
// what one update takes on 5 s and 10 s of audio, and whether the loop keeps up at a given update interval.
//
// usage: npx tsc -b && node test/bench/stream.mjs [--models verbatim-tiny-en,verbatim-tiny-en-4bit,parakeet-tiny]
//          [--files 10] [--backend cpu|mlx] [--threads 2] [--min-chunk 0.2] [--shapes base,large-v3-turbo]
//          [--frame-threshold 10] [--margin-frames 2] [--no-daemon] [--set heldout|long]   (defaults: the daemon's
//          dictation settings, LIVE_POLICY; the daemon path runs only at those)
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { alignWords, normalizeWords, wordErrorRate } from "../support/words.cjs";

const require = createRequire(import.meta.url);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const { WhisperModel, ParakeetModel, NemotronModel, loadModel: loadAnyModel } = require(
  path.join(repoRoot, "native/dist/index.js"),
);
const { loadAudio } = require(path.join(repoRoot, "daemon/dist/audio/index.js"));
const { loadTokenizer } = require(path.join(repoRoot, "daemon/dist/tokenizer/index.js"));
const { DaemonClient } = require(path.join(repoRoot, "daemon/dist/client.js"));
const { toPcmBytes } = require(path.join(repoRoot, "daemon/dist/dictation/pcm.js"));
const { LIVE_POLICY, CHUNK_FRAME_MS } = require(path.join(repoRoot, "daemon/dist/dictation/live-policy.js"));

const { values } = parseArgs({
  options: {
    models: { type: "string", default: "verbatim-tiny-en,verbatim-tiny-en-4bit,parakeet-tiny" },
    files: { type: "string", default: "10" },
    backend: { type: "string", default: "cpu" },
    threads: { type: "string", default: "2" },
    "min-chunk": { type: "string", default: String(LIVE_POLICY.minChunkSeconds) },
    "frame-threshold": { type: "string", default: String(LIVE_POLICY.frameThreshold) },
    "margin-frames": { type: "string", default: String(LIVE_POLICY.marginFrames) },
    shapes: { type: "string", default: "base" },
    "no-daemon": { type: "boolean", default: false },
    set: { type: "string", default: "heldout" },
  },
});
const RATE = 16_000;
const FRAME = 1600; // 100 ms
const threads = Number(values.threads);
const backend = values.backend;
const minChunkSeconds = Number(values["min-chunk"]);
const frameThreshold = Number(values["frame-threshold"]);
const marginFrames = Number(values["margin-frames"]);
const { rightContext } = LIVE_POLICY;
// The daemon dictates with LIVE_POLICY: its lag compares with the engine's only at those settings.
const daemonComparable =
  !values["no-daemon"] &&
  minChunkSeconds === LIVE_POLICY.minChunkSeconds &&
  frameThreshold === LIVE_POLICY.frameThreshold &&
  marginFrames === LIVE_POLICY.marginFrames;
const fixtures = path.join(repoRoot, "test/fixtures");
// heldout: single sentences, each word's end from the model's own batch transcript; long: the long recordings,
// each word's end as espeak-ng spoke it (one clock for every model: a streaming model's own word times are when it
// emitted them, which would hide its lag).
const set = values.set === "long" ? "heldout-long" : "heldout";
const heldout = JSON.parse(readFileSync(path.join(fixtures, set, `${set}.json`), "utf8")).slice(
  0,
  Number(values.files),
);
const benchCache = path.resolve(process.env.BENCH_CACHE ?? path.join(repoRoot, "node_modules/.cache/verbatim-bench"));

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.now() / 1000;
const quantile = (xs, q) => {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
const median = (xs) => quantile(xs, 0.5);
const fmt = (x, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : "-");

/** The batch transcript's words with their end times, from the engine's token timings. */
function timedWords(tokenizer, segments) {
  const out = [];
  for (const segment of segments) {
    for (const timing of segment.tokenTimings ?? []) {
      const text = tokenizer.decode([timing.token]);
      if (!text) continue;
      if (/^\s/.test(text) || out.length === 0) out.push({ text: text.trim(), start: timing.start, end: timing.end });
      else {
        out.at(-1).text += text;
        out.at(-1).end = timing.end;
      }
    }
  }
  return out.map((w) => ({ ...w, text: normalizeWords(w.text).join(" ") })).filter((w) => w.text);
}

/** The words as espeak-ng spoke them (heldout-long.json), with their times. */
function spokenWords(sentences) {
  return sentences
    .flatMap((sentence) => sentence.words)
    .map((w) => ({ text: normalizeWords(w.word).join(" "), start: w.start, end: w.end }))
    .filter((w) => w.text);
}

/** Of the words shown, the share the alignment with the spoken words does not match. */
function shownWordsWrong(pairs) {
  let shown = 0;
  let right = 0;
  for (const { reference, hypothesis } of pairs) {
    const words = normalizeWords(hypothesis);
    shown += words.length;
    right += alignWords(normalizeWords(reference), words).pairs.length;
  }
  return shown === 0 ? 0 : 1 - right / shown;
}

/** Lag of every word shown live: when its text first appeared minus when it was spoken to its end. */
function wordLags(spoken, shown) {
  const { pairs } = alignWords(
    spoken.map((w) => w.text),
    shown.map((w) => w.text),
  );
  return pairs.map(([i, j]) => shown[j].at - spoken[i].end);
}

/** Words of committed text with the time (seconds since the audio began) they were first on screen in full. Committed
 *  text only grows, so the k-th word on screen is a prefix of the k-th word of the whole committed text: it is shown
 *  in full once the two are equal ("inter" is not yet "interview"). */
function shownWords(commits) {
  const final = normalizeWords(commits.map((c) => c.added).join(""));
  let text = "";
  const shown = [];
  for (const { at, added } of commits) {
    text += added;
    const all = normalizeWords(text);
    while (shown.length < all.length && all[shown.length] === final[shown.length]) {
      shown.push({ text: all[shown.length], at });
    }
  }
  return shown;
}

async function loadModel(folder) {
  return withTokenizer(await WhisperModel.load(folder, { backend, threads }).promise);
}

/** A loaded Whisper model with its vocabulary's tokenizer, the vocabulary given to the engine. */
async function withTokenizer(model) {
  const tokenizer = await loadTokenizer({ nVocab: model.info().dims.nVocab });
  model.setVocabulary(tokenizer.tokenBytesTable());
  return { model, tokenizer };
}

/** A fixture as the benchmark drives it, whatever its family: live options, a batch transcript with timed words, and
 *  the cost of one encoder pass. */
async function fixture(folder) {
  const loaded = await loadAnyModel(folder, { backend, threads }).promise;
  if (loaded instanceof ParakeetModel || loaded instanceof NemotronModel) {
    const model = loaded;
    const nemotron = loaded instanceof NemotronModel;
    const transcribe = (audio) => model.transcribe(audio, undefined, nemotron ? { rightContext } : {}).promise;
    return {
      model,
      options: nemotron ? { rightContext } : { minChunkSeconds, marginFrames },
      chunkSeconds: nemotron ? ((rightContext + 1) * CHUNK_FRAME_MS) / 1000 : minChunkSeconds,
      batch: async (audio) => {
        const result = await transcribe(audio);
        const spoken = result.words
          .map((w) => ({ text: normalizeWords(w.text).join(" "), start: w.start, end: w.end }))
          .filter((w) => w.text);
        return { text: result.text, spoken };
      },
      // A whole pass (features, encoder, greedy decoding) over 1 s: what every update pays at the least on Parakeet.
      encoderPass: async () => {
        const started = now();
        await transcribe(new Float32Array(RATE));
        return now() - started;
      },
    };
  }
  const { model, tokenizer } = await withTokenizer(loaded);
  const options = {
    temperatures: [0],
    suppressTokens: tokenizer.resolveSuppressTokens("-1"),
    minChunkSeconds,
    frameThreshold,
  };
  return {
    model,
    options,
    chunkSeconds: minChunkSeconds,
    batch: async (audio) => {
      const result = await model.transcribe(audio, { ...options, wordTimestamps: true }).promise;
      const text = tokenizer.decode(result.segments.flatMap((s) => s.tokens)).trim();
      return { text, spoken: timedWords(tokenizer, result.segments) };
    },
    encoderPass: () => encoderPass(model, options),
  };
}

/** Feeds `audio` at real-time pace; answers the committed text with the time it arrived, and the final text. */
async function streamRealTime(model, options, audio) {
  const commits = [];
  let t0 = 0;
  const session = model.startStream(options, (event) => {
    if (event.type === "committed" && event.text) commits.push({ at: now() - t0, added: event.text });
  });
  t0 = now();
  for (let at = 0, frame = 0; at < audio.length; at += FRAME, frame++) {
    session.push(audio.subarray(at, Math.min(at + FRAME, audio.length)));
    const due = t0 + ((frame + 1) * FRAME) / RATE;
    await sleep(Math.max(0, (due - now()) * 1000));
  }
  const stopped = now();
  const transcript = await session.finish();
  const stopToFinal = now() - stopped;
  // Live text: everything committed, the last update (at the utterance's end) included, before the final pass.
  return { commits, live: commits.map((c) => c.added).join(""), final: transcript.text, stopToFinal };
}

/** The update loop's compute: each chunk pushed once the update before it is done. */
async function streamLockstep(model, options, chunkSeconds, audio) {
  let wake = null;
  const session = model.startStream(options, () => wake?.());
  const chunk = Math.round(chunkSeconds * RATE);
  const started = now();
  for (let at = 0; at < audio.length; at += chunk) {
    const piece = audio.subarray(at, Math.min(at + chunk, audio.length));
    const updated = piece.length === chunk ? new Promise((resolve) => (wake = resolve)) : null;
    session.push(piece);
    await updated;
  }
  await session.finish();
  return now() - started;
}

/** One encoder pass (plus a first decode step): the floor of every update. */
async function encoderPass(model, options) {
  const audio = new Float32Array(RATE);
  const started = now();
  const english = { language: model.info().dims.nVocab === 51864 ? undefined : "en" }; // no language detection pass
  await model.transcribe(audio, { ...options, ...english, sampleLen: 1, temperatures: [0], wordTimestamps: false })
    .promise;
  return now() - started;
}

/** The same recordings through a real daemon: dictation.start, PCM frames at real-time pace, events on the socket. */
async function daemonRun(folder, files) {
  const home = mkdtempSync(path.join(os.tmpdir(), "verbatim-bench-"));
  writeFileSync(path.join(home, "config.json"), JSON.stringify({ model: folder, backend, threads }));
  const env = { ...process.env, VERBATIM_HOME: home, HF_HUB_OFFLINE: "1" };
  const daemon = spawn(process.execPath, [path.join(repoRoot, "daemon/bin/verbatimd.js")], { env, stdio: "ignore" });
  const socket = path.join(home, "verbatimd.sock");
  try {
    let client = null;
    for (let attempt = 0; attempt < 200 && !client; attempt++) {
      await sleep(50);
      client = await DaemonClient.connect(socket, { client: "stream-bench" }).catch(() => null);
    }
    if (!client) throw new Error("the daemon did not start");
    for (let state = ""; state !== "ready"; await sleep(100)) {
      state = (await client.request({ type: "status" })).status.model.state;
      if (state === "failed") throw new Error(`the daemon could not load ${folder}`);
    }
    const runs = [];
    for (const { audio } of files) {
      const commits = [];
      let t0 = 0;
      let session = null;
      const outcome = client.request({ type: "dictation.start", source: "stream" }, (event) => {
        if (event.type === "dictation.started") session = event.session;
        if (event.type === "dictation.committed" && event.text) commits.push({ at: now() - t0, added: event.text });
      });
      while (!session) await sleep(5);
      const pcm = toPcmBytes(audio);
      t0 = now();
      for (let at = 0, frame = 0; at < pcm.length; at += 2 * FRAME, frame++) {
        client.sendAudio(session, pcm.subarray(at, at + 2 * FRAME));
        await sleep(Math.max(0, (t0 + ((frame + 1) * FRAME) / RATE - now()) * 1000));
      }
      const stopped = now();
      await client.request({ type: "dictation.stop", session });
      const done = await outcome;
      runs.push({ commits, final: done.transcript.text, stopToFinal: now() - stopped });
    }
    client.close();
    return runs;
  } finally {
    daemon.kill("SIGTERM");
    await new Promise((resolve) => daemon.on("exit", resolve));
    rmSync(home, { recursive: true, force: true });
  }
}

async function fixtureModel(name) {
  const folder = path.join(fixtures, "models", name);
  const { model, options, chunkSeconds, batch: transcribe, encoderPass: pass } = await fixture(folder);
  const files = [];
  for (const item of heldout) {
    const audio = (await loadAudio(path.join(fixtures, set, item.file))).samples;
    const { text, spoken } = await transcribe(audio);
    files.push({ ...item, audio, batch: text, spoken: item.sentences ? spokenWords(item.sentences) : spoken });
  }
  const encoder = median([await pass(), await pass(), await pass()]);

  const lags = [];
  const firsts = [];
  const live = [];
  const final = [];
  const batch = [];
  const stopToFinal = [];
  let lockstep = 0;
  let seconds = 0;
  let finalEqualsBatch = 0;
  for (const file of files) {
    const run = await streamRealTime(model, options, file.audio);
    if (run.commits.length && file.spoken.length) {
      lags.push(...wordLags(file.spoken, shownWords(run.commits)));
      firsts.push(run.commits[0].at - file.spoken[0].start);
    }
    live.push({ reference: file.text, hypothesis: run.live });
    final.push({ reference: file.text, hypothesis: run.final });
    stopToFinal.push(run.stopToFinal);
    batch.push({ reference: file.text, hypothesis: file.batch });
    if (run.final === file.batch) finalEqualsBatch++;
    lockstep += await streamLockstep(model, options, chunkSeconds, file.audio);
    seconds += file.audio.length / RATE;
  }
  const row = {
    model: name,
    backend,
    files: files.length,
    firstText: median(firsts),
    lagMedian: median(lags),
    lagP90: quantile(lags, 0.9),
    stopToFinal: median(stopToFinal),
    encoder,
    updateRtf: lockstep / seconds,
    liveWer: wordErrorRate(live),
    liveWrong: shownWordsWrong(live),
    finalWer: wordErrorRate(final),
    batchWer: wordErrorRate(batch),
    finalEqualsBatch,
  };
  if (daemonComparable) {
    const runs = await daemonRun(folder, files);
    const daemonLags = runs.flatMap((run, i) =>
      run.commits.length ? wordLags(files[i].spoken, shownWords(run.commits)) : [],
    );
    row.daemonLagMedian = median(daemonLags);
    row.daemonAdds = row.daemonLagMedian - row.lagMedian;
    row.daemonStopToFinal = median(runs.map((run) => run.stopToFinal));
    row.daemonFinalWer = wordErrorRate(runs.map((run, i) => ({ reference: files[i].text, hypothesis: run.final })));
    row.daemonFinalEqualsBatch = runs.filter((run, i) => run.final === files[i].batch).length;
  }
  return row;
}

/** Random weights of a real shape: the cost of one update on 5 s and 10 s of audio (lag only). */
async function shapeCost(shape) {
  const folder = path.join(benchCache, "models", `${shape}-fp16`);
  if (!existsSync(path.join(folder, "config.json"))) {
    return {
      model: `${shape} (random)`,
      note: `no model at ${folder}: run node test/bench/run.mjs --models ${shape} once`,
    };
  }
  const { model, tokenizer } = await loadModel(folder);
  // Random weights decode noise until the token limit: cap it so the figure is the encoder's and a few tokens'.
  const options = { temperatures: [0], suppressTokens: tokenizer.resolveSuppressTokens("-1"), sampleLen: 8 };
  const jfk = (await loadAudio(path.join(fixtures, "reference/jfk.wav"))).samples;
  const update = async (seconds) => {
    const started = now();
    let done = null;
    const finished = new Promise((resolve) => (done = resolve));
    const session = model.startStream({ ...options, minChunkSeconds: seconds }, (event) => {
      if (event.type === "committed") done();
    });
    session.push(jfk.subarray(0, seconds * RATE));
    await finished;
    const elapsed = now() - started;
    session.cancel();
    await session.done.catch(() => {});
    return elapsed;
  };
  const encoder = median([await encoderPass(model, options), await encoderPass(model, options)]);
  const at5 = median([await update(5), await update(5)]);
  const at10 = median([await update(10), await update(10)]);
  return { model: `${shape} (random)`, backend, encoder, update5s: at5, update10s: at10 };
}

const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
console.log(
  `# streaming benchmark: ${os.cpus()[0].model}, ${threads} threads, backend ${backend}, minChunkSeconds ${minChunkSeconds}, frameThreshold ${frameThreshold} (Whisper), marginFrames ${marginFrames} (Parakeet)`,
);
console.log(`# load average before: ${load()}`);
console.log(
  "| model | files | first text s | word lag median s | p90 s | stop to final s | encoder pass s | update RTF | live WER | live words wrong | final WER | batch WER | final = batch | daemon lag median s | daemon adds s | daemon stop to final s | daemon final WER | daemon final = batch |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
for (const name of values.models.split(",").filter(Boolean)) {
  const r = await fixtureModel(name);
  console.log(
    `| ${r.model} (${r.backend}) | ${r.files} | ${fmt(r.firstText)} | ${fmt(r.lagMedian)} | ${fmt(r.lagP90)} | ${fmt(r.stopToFinal)} | ${fmt(r.encoder, 3)} | ${fmt(r.updateRtf)} | ${fmt(100 * r.liveWer, 1)}% | ${fmt(100 * r.liveWrong, 1)}% | ${fmt(100 * r.finalWer, 1)}% | ${fmt(100 * r.batchWer, 1)}% | ${r.finalEqualsBatch}/${r.files} | ${fmt(r.daemonLagMedian)} | ${fmt(r.daemonAdds, 3)} | ${fmt(r.daemonStopToFinal)} | ${r.daemonFinalWer === undefined ? "-" : `${fmt(100 * r.daemonFinalWer, 1)}%`} | ${r.daemonFinalEqualsBatch ?? "-"}/${r.files} |`,
  );
}
for (const shape of values.shapes.split(",").filter(Boolean)) {
  const r = await shapeCost(shape);
  if (r.note) console.log(`\n${r.model}: ${r.note}`);
  else {
    console.log(
      `\n${r.model} (${r.backend}): encoder pass ${fmt(r.encoder)} s; one update on 5 s of audio ${fmt(r.update5s)} s, on 10 s ${fmt(r.update10s)} s` +
        ` (the loop keeps up while an update takes less than the update interval, minChunkSeconds ${minChunkSeconds})`,
    );
  }
}
console.log(`\n# load average after: ${load()}`);
