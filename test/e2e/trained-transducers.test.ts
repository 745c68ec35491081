// Real words on the trained transducer fixtures, a row each (issue 40, proof 2; issue 41; issue 64): the small
// models trained for the tests (test/fixtures/models/parakeet-trained-en, built by test/fixtures/train/parakeet: TDT;
// nemotron-trained-en, by test/fixtures/train/nemotron: cache-aware streaming RNN-T) on held-out speech they never
// heard, by voices they never heard, on the real daemon: `verbatim transcribe` within the fixture's WER target; the
// engine's text equal to transformers' greedy decoding of the same folder (<family>-reference/trained-heldout.json;
// Nemotron's at each right context) wherever that decoding had no near-tie; live dictation at real-time pace showing
// the spoken words before the audio ends, its final text the same words; and long files through the HTTP API with the
// official openai client, their verbose_json words timed near espeak-ng's own word timings; srt and the event stream;
// the Realtime API's turns, with live deltas; MCP's transcribe_file and the history; and a replacement on a spoken word.
import { cpSync, createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import OpenAI from "openai";
import type { Event, HistoryPage } from "../../daemon/src/protocol";
import { apiToken, freePort } from "../support/api";
import { appendAtRealTimePace, connectRealtime, ofType, pcm24 } from "../support/realtime";
import {
  committedText,
  heldoutWav,
  pcmOf,
  sendPcmInRealTime,
  startDictation,
  stopDictation,
  waitFor,
} from "../support/dictation";
import { DaemonProcess } from "../support/daemon-process";
import { fixtureModel, repoRoot } from "../support/fixtures";
import { connectMcp, toolText } from "../support/mcp";
import { alignWords, normalizeWords, wordErrorRate } from "../support/wer";

jest.setTimeout(300_000);

const fixtures = path.join(repoRoot, "test", "fixtures");
const heldout: Array<{ file: string; text: string }> = JSON.parse(
  readFileSync(path.join(fixtures, "heldout", "heldout.json"), "utf8"),
);
const readReference = (family: string) =>
  JSON.parse(readFileSync(path.join(fixtures, "models", `${family}-reference`, "trained-heldout.json"), "utf8"));

/** transformers' greedy text of each held-out file under one decoding setting, with its smallest logit margin. */
interface ReferenceDecoding {
  label: string;
  /** The folder the daemon decodes with for this setting (made in `scratch`); the fixture itself when absent. */
  folder?: (scratch: string) => string;
  rows: Array<{ file: string; text: string; margin: number }>;
}

interface TrainedTransducer {
  name: string;
  model: string;
  /** The bound on the held-out files' WER through the engine (files, live finals). */
  maxWer: number;
  references: ReferenceDecoding[];
  /** The least share of the words shown live that are spoken ones. */
  minShownSpoken: number;
  /** Two long files through the HTTP API: bounds on WER, on the words right, on the median start error (s). */
  long: { maxWer: number; minRight: number; maxMedianStart: number };
  /** Three sentences through the Realtime API, each then a pause. */
  realtimeMaxWer: number;
  /** Held-out files (indices) the fixture reads without an error, for srt, MCP and a replacement on one word. */
  readWell: { srt: number; mcp: number; replacement: { file: number; word: string } };
}

interface LongFile {
  file: string;
  text: string;
  sentences: Array<{ words: Array<{ word: string; start: number }> }>;
}

/** A copy of the Nemotron fixture whose processor_config.json makes right context `r` the default a file takes. */
function withRightContext(model: string, r: number, scratch: string): string {
  const copy = path.join(scratch, `R${r}`);
  cpSync(model, copy, { recursive: true });
  const file = path.join(copy, "processor_config.json");
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, "utf8")), default_num_lookahead_tokens: r }));
  return copy;
}

const parakeetReference: {
  rows: Array<{
    file: string;
    transformers: string;
    min_token_margin: number | null;
    min_duration_margin: number | null;
  }>;
} = readReference("parakeet");
type NemotronDecodings = Record<string, { text: string; min_margin: number }>;
const nemotronReference: { rows: Array<{ file: string; offline: NemotronDecodings }> } = readReference("nemotron");
const nemotronModel = fixtureModel("nemotron-trained-en");

const trained: TrainedTransducer[] = [
  {
    name: "Parakeet",
    model: fixtureModel("parakeet-trained-en"),
    // The fixture's target (issue 40): the committed model reads the held-out files at 6.5% through the engine (9
    // errors in 138 words; 7.2% without the voice detector, transformers' greedy TDT the same, file for file, its
    // smallest token margin 0.107; 2026-11-26, models README). The bound leaves seven more word errors.
    maxWer: 0.12,
    references: [
      {
        label: "greedy TDT",
        rows: parakeetReference.rows.map((row) => ({
          file: row.file,
          text: row.transformers,
          margin: Math.min(row.min_token_margin ?? Infinity, row.min_duration_margin ?? Infinity),
        })),
      },
    ],
    // 21 of the 22 shown live here in two runs, the finals without an error (2026-11-26; "700" for "779", shown
    // before the rest of the number was heard: nothing shown is taken back, the final pass decodes the cut afresh).
    // Live text ends where a word does: each file's last word, with no audio after it, was left to the final pass.
    minShownSpoken: 0.7,
    // Measured here (2026-11-26): WER 9.3% over the two files' 183 words; 166 words right, their starts a median
    // 0.156 s from espeak-ng's (90th percentile 0.28 s; the model's starts run early throughout). The bounds leave 19
    // more word errors, 36 fewer words right and twice the median.
    long: { maxWer: 0.2, minRight: 130, maxMedianStart: 0.3 },
    // 1 error in 20 words here (2026-11-26): "through" for "throw"; the bound leaves three more.
    realtimeMaxWer: 0.2,
    // Read without an error, each decision's margin above 1 logit (evaluation of 2026-11-26).
    readWell: { srt: 5, mcp: 6, replacement: { file: 3, word: "interview" } },
  },
  {
    name: "Nemotron",
    model: nemotronModel,
    // The committed model reads the held-out files at 7.2% through the engine at its default right context, 13 (10
    // errors in 138 words; 10.9% without the voice detector, transformers' greedy RNN-T the same, file for file, at
    // every right context; 2026-11-29, models README). The bound leaves ten more word errors.
    maxWer: 0.15,
    references: [13, 6, 1, 0].map((r) => ({
      label: `right context ${r}`,
      folder: (scratch: string) => withRightContext(nemotronModel, r, scratch),
      rows: nemotronReference.rows.map((row) => ({
        file: row.file,
        text: row.offline[String(r)].text,
        margin: row.offline[String(r)].min_margin,
      })),
    })),
    // 25 and 26 of the 26 words shown live in two runs here (2026-11-29), the finals without an error: the stream's
    // tokens as each 160 ms chunk is decoded, so a word may show a piece early ("thr" before "throw" was whole).
    minShownSpoken: 0.7,
    // Two runs here (2026-11-29): WER 23.5% over the two files' 183 words (it learned single sentences); 141 words
    // right, their starts a median 0.266 s from espeak-ng's (90th percentile 0.35 s: a streaming model emits a word
    // once it has heard it). The bounds leave 21 more word errors, 31 fewer words right and nearly twice the
    // median.
    long: { maxWer: 0.35, minRight: 110, maxMedianStart: 0.5 },
    // No error in the 20 words in two runs here (2026-11-29); the bound leaves four.
    realtimeMaxWer: 0.2,
    // Read without an error at every right context, each decision's margin above 0.4 logit (2026-11-29).
    readWell: { srt: 5, mcp: 8, replacement: { file: 10, word: "situation" } },
  },
];

// A reference decision whose top two logits are closer than this may go either way in float32: the engine's joint
// margins agree with transformers' within 5.56e-5 and 5.57e-5 on the random fixtures on two CPUs, one with AVX-512
// VNNI/BF16 and one without (native/tests/parakeet_parity_test.cpp names them), so 2e-3 leaves 36x over both.
// Nemotron's joint is the same (a ReLU of the sum, then one Linear).
const NEAR_TIE = 2e-3;
// One wrong word of five may pass in a sentence the fixture reads without an error, not two.
const ONE_FILE_WER = 0.2;

describe.each(trained)("$name", (row) => {
  let daemon: DaemonProcess;
  let openai: OpenAI;
  let tlsPort: number;
  const scratch = mkdtempSync(path.join(os.tmpdir(), "verbatim-trained-"));

  beforeAll(async () => {
    const port = await freePort();
    tlsPort = await freePort();
    daemon = await DaemonProcess.ready({
      model: row.model,
      threads: 2,
      api: { enabled: true, port, host: "127.0.0.1", tls: true, tlsPort },
    });
    openai = new OpenAI({ apiKey: apiToken(daemon), baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await daemon?.dispose();
    rmSync(scratch, { recursive: true, force: true });
  });

  test("verbatim transcribe reads the held-out speech within the fixture's WER", async () => {
    const pairs = [];
    for (const item of heldout) {
      const run = await daemon.cli("transcribe", path.join(fixtures, "heldout", item.file));
      expect({ file: item.file, code: run.code, stderr: run.stderr }).toEqual({ file: item.file, code: 0, stderr: "" });
      pairs.push({ reference: item.text, hypothesis: run.stdout.trim() });
    }
    expect(wordErrorRate(pairs)).toBeLessThanOrEqual(row.maxWer);
  });

  test.each(row.references)(
    "$label: the engine's text is transformers' wherever its greedy decoding had no near-tie",
    async (reference) => {
      const model = reference.folder?.(scratch);
      const client = await daemon.connect();
      try {
        let compared = 0;
        for (const decoded of reference.rows) {
          if (decoded.margin < NEAR_TIE) continue;
          // The whole file as one window, as the reference decodes it (the voice activity detector would cut it).
          const transcript = await client.transcribeFile(path.join(fixtures, "heldout", decoded.file), {
            options: { vad: false, ...(model ? { model } : {}) },
          }).promise;
          expect({ file: decoded.file, text: transcript.text.trim() }).toEqual({
            file: decoded.file,
            text: decoded.text,
          });
          compared++;
        }
        expect(compared).toBeGreaterThanOrEqual(reference.rows.length - 3);
      } finally {
        client.close();
      }
    },
  );

  test("live dictation shows the spoken words before the audio ends, and ends on them", async () => {
    const client = await daemon.connect();
    try {
      const finals = [];
      const live = [];
      for (const item of heldout.slice(0, 4)) {
        const pcm = await pcmOf(heldoutWav(item.file));
        const following = await startDictation(client);
        await sendPcmInRealTime(client, following.session, pcm);
        // Everything committed while the audio was arriving (each event's `at`: the seconds received by then).
        const shownLive = committedText(
          following.events.filter((e) => e.type === "dictation.committed" && e.at < pcm.length / 2 / 16000),
        );
        const transcript = await stopDictation(client, following.session);
        finals.push({ reference: item.text, hypothesis: transcript.text });
        live.push({ file: item.file, spoken: normalizeWords(item.text), shown: normalizeWords(shownLive) });
      }
      expect(wordErrorRate(finals)).toBeLessThanOrEqual(row.maxWer);
      for (const { file, shown } of live)
        expect({ file, shownLive: shown.length > 0 }).toEqual({ file, shownLive: true });
      const shownWords = live.flatMap(({ spoken, shown }) => shown.map((word) => spoken.includes(word)));
      expect(shownWords.filter(Boolean).length / shownWords.length).toBeGreaterThanOrEqual(row.minShownSpoken);
    } finally {
      client.close();
    }
  });

  test("long files through the HTTP API (openai client, verbose_json): the spoken words, timed from the transducer's frames", async () => {
    const long: LongFile[] = JSON.parse(readFileSync(path.join(fixtures, "heldout-long", "heldout-long.json"), "utf8"));
    const pairs = [];
    const startErrors: number[] = [];
    for (const item of long.filter((entry) => ["long-00.flac", "long-06.flac"].includes(entry.file))) {
      const verbose = await openai.audio.transcriptions.create({
        file: createReadStream(path.join(fixtures, "heldout-long", item.file)),
        model: "whisper-1",
        response_format: "verbose_json",
        timestamp_granularities: ["word"],
      });
      pairs.push({ reference: item.text, hypothesis: verbose.text });
      // espeak-ng's own word timings against the words the model got right
      const spoken = item.sentences.flatMap((sentence) => sentence.words);
      const heard = verbose.words ?? [];
      const word = (text: string) => normalizeWords(text)[0] ?? "";
      const aligned = alignWords(
        spoken.map((w) => word(w.word)),
        heard.map((w) => word(w.word)),
      );
      for (const [i, j] of aligned.pairs) startErrors.push(Math.abs(heard[j].start - spoken[i].start));
    }
    startErrors.sort((a, b) => a - b);
    expect(wordErrorRate(pairs)).toBeLessThanOrEqual(row.long.maxWer);
    expect(startErrors.length).toBeGreaterThanOrEqual(row.long.minRight);
    expect(startErrors[startErrors.length >> 1]).toBeLessThanOrEqual(row.long.maxMedianStart);
  });

  test("the Realtime API (openai's client): a sentence then a pause gives its words as live deltas, then completed", async () => {
    const certificate = readFileSync(path.join(daemon.home, "api-tls", "certificate.pem"));
    const pairs = [];
    for (const item of heldout.slice(1, 4)) {
      const { rt, received, open } = connectRealtime(daemon, tlsPort, certificate);
      await open;
      await appendAtRealTimePace(rt, pcm24(heldoutWav(item.file), "pad", "0", "2"));
      const completedType = "conversation.item.input_audio_transcription.completed";
      await waitFor(() => ofType(received, completedType).length > 0, "the completed transcript");
      const closed = new Promise((resolve) => rt.socket.once("close", resolve));
      rt.close();
      await closed;
      expect(ofType(received, "error")).toEqual([]);
      expect(ofType(received, "conversation.item.input_audio_transcription.delta").length).toBeGreaterThan(0);
      pairs.push({ reference: item.text, hypothesis: ofType(received, completedType)[0].event.transcript as string });
    }
    expect(wordErrorRate(pairs)).toBeLessThanOrEqual(row.realtimeMaxWer);
  });

  test("srt and the event stream through the HTTP API read the spoken words", async () => {
    const item = heldout[row.readWell.srt];
    const file = () => new File([readFileSync(heldoutWav(item.file))], item.file, { type: "audio/wav" });
    const srt = await openai.audio.transcriptions.create({ file: file(), model: "whisper-1", response_format: "srt" });
    // Each cue: its number, its times, its text.
    const cues = String(srt).trim().split("\n\n");
    const cueText = cues.map((cue) => cue.split("\n").slice(2).join(" ")).join(" ");
    expect(cues[0]).toMatch(/^1\n\d\d:\d\d:\d\d,\d\d\d --> \d\d:\d\d:\d\d,\d\d\d\n/);
    expect(wordErrorRate([{ reference: item.text, hypothesis: cueText }])).toBeLessThanOrEqual(ONE_FILE_WER);

    const stream = await openai.audio.transcriptions.create({ file: file(), model: "whisper-1", stream: true });
    let deltas = "";
    let done = "";
    for await (const event of stream) {
      if (event.type === "transcript.text.delta") deltas += event.delta;
      else if (event.type === "transcript.text.done") done = event.text;
    }
    expect(deltas).toBe(done);
    expect(wordErrorRate([{ reference: item.text, hypothesis: done }])).toBeLessThanOrEqual(ONE_FILE_WER);
  });

  test("MCP's transcribe_file reads the spoken words, and the history keeps them", async () => {
    const item = heldout[row.readWell.mcp];
    const mcp = await connectMcp(daemon);
    let text: string;
    try {
      const result = await mcp.callTool({ name: "transcribe_file", arguments: { path: heldoutWav(item.file) } });
      expect(result.isError).toBeFalsy();
      // The transcript, a blank line, then what it was: "(language unknown, 4 s, model …)".
      [text] = toolText(result).split("\n\n");
    } finally {
      await mcp.close();
    }
    expect(wordErrorRate([{ reference: item.text, hypothesis: text }])).toBeLessThanOrEqual(ONE_FILE_WER);
    const client = await daemon.connect();
    try {
      const event = await client.request({ type: "history.list", limit: 1 });
      const page = (event as Extract<Event, { type: "done" }>).history as HistoryPage;
      expect(page.entries[0]).toMatchObject({ kind: "file", text, model: row.model, app: "e2e-assistant (MCP)" });
    } finally {
      client.close();
    }
  });

  test("a replacement applies to a word the model heard", async () => {
    const item = heldout[row.readWell.replacement.file];
    const { word } = row.readWell.replacement;
    expect((await daemon.cli("vocabulary", "add", "--replace", word, "--with", "meeting")).code).toBe(0);
    try {
      const run = await daemon.cli("transcribe", heldoutWav(item.file));
      expect(run.code).toBe(0);
      const words = normalizeWords(run.stdout);
      expect(words).toContain("meeting");
      expect(words).not.toContain(word);
      expect(
        wordErrorRate([{ reference: item.text.replace(word, "meeting"), hypothesis: run.stdout }]),
      ).toBeLessThanOrEqual(ONE_FILE_WER);
    } finally {
      await daemon.cli("vocabulary", "rm", "--replace", word);
    }
  });
});
