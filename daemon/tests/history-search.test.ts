// Searching the history (real SQLite file): what a search box's text looks for, the snippet cut around the words it
// found, and a search that stays cheap however many common words it names and however long the transcripts are.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { TranscriptHistory } from "../src/history/transcript-history";
import { searchQuery, snippetOf } from "../src/history/search-query";
import { ProtocolError, type TranscriptData } from "../src/protocol";

const work = mkdtempSync(path.join(os.tmpdir(), "verbatim-search-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const snippet = (text: string, search: string) => snippetOf(text, searchQuery(search)!).snippet;
const marked = ({ text, highlights }: { text: string; highlights: { start: number; end: number }[] }) =>
  highlights.reduceRight(
    (out, { start, end }) => `${out.slice(0, start)}[${out.slice(start, end)}]${out.slice(end)}`,
    text,
  );

test("a search looks for each different word once, the last also as a prefix; more than 32 are refused", () => {
  expect(searchQuery("the cat THE Cat sat")).toEqual({ match: '"THE" "Cat" "sat"*', tokens: ["the", "cat", "sat"] });
  expect(searchQuery("don't café")!.tokens).toEqual(["don", "t", "cafe"]);
  expect(searchQuery('" NEAR( * …')!.match).toBe('"NEAR"*');
  expect(searchQuery("…")).toBeNull();
  // 800 words, 20 different: one search of 20.
  const repeated = Array.from({ length: 800 }, (_, i) => `word${i % 20}`).join(" ");
  expect(searchQuery(repeated)!.tokens).toHaveLength(20);
  const many = Array.from({ length: 33 }, (_, i) => `word${i}`).join(" ");
  expect(() => searchQuery(many)).toThrow("the search has 33 different words; search for at most 32");
});

test("the snippet is the first 16 words that hold the most different words, cut with …, the words marked", () => {
  expect(marked(snippet("Dear team: level far damage!", "dear tea"))).toBe("[Dear] [team]: level far damage!");
  const long = Array.from({ length: 40 }, (_, i) => `w${i}`).join(" ") + ".";
  expect(marked(snippet(long, "w20 w30"))).toBe(
    "…w18 w19 [w20] w21 w22 w23 w24 w25 w26 w27 w28 w29 [w30] w31 w32 w33…",
  );
  expect(marked(snippet(long, "w38"))).toBe("…w24 w25 w26 w27 w28 w29 w30 w31 w32 w33 w34 w35 w36 w37 [w38] w39.");
  // The last word is a prefix too (w3, w30…): the first stretch with it.
  expect(marked(snippet(long, "w3"))).toBe("w0 w1 w2 [w3] w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 w14 w15…");
  // Accents and case do not count, in any script; a prefix marks its whole word.
  expect(marked(snippet("Ein Café in Köln, CAFÉS überall.", "cafe koln ube"))).toBe(
    "Ein [Café] in [Köln], CAFÉS [überall].",
  );
  expect(snippet("nothing here", "absent")).toEqual({ text: "nothing here", highlights: [] });
});

test("a search of 32 common words over a page of 500 long transcripts takes under a second of CPU", () => {
  // FTS5's snippet() scored every window around every occurrence of every word: this search took 8.2 s of CPU on
  // the machine this was written on (AMD EPYC, 2 cores, load 15), where it now takes 30 ms; the bound leaves eight
  // times more either way.
  const history = new TranscriptHistory(
    path.join(work, "long"),
    { history: true, historyDays: 0, historyKeepsRecordings: "none" },
    { warn: () => undefined },
  );
  try {
    const common = Array.from({ length: 32 }, (_, i) => `common${i}`);
    const text = Array.from({ length: 1500 }, (_, i) => common[(i * 7) % 32]).join(" ");
    const transcript: TranscriptData = {
      text,
      language: "en",
      durationSeconds: 600,
      segments: [],
      model: "m",
      backend: "cpu",
    };
    for (let i = 0; i < 501; i++) {
      history.record({ kind: "file", job: `j${i}`, transcript, sourceFile: null, app: null, audioFile: null });
    }
    const before = process.cpuUsage();
    const found = history.answer({ type: "history.search", id: "s", query: common.join(" "), limit: 500 });
    const used = process.cpuUsage(before);
    expect(found.history!.entries).toHaveLength(500);
    expect(found.history!.entries[0]!.snippet!.highlights).toHaveLength(16);
    expect((used.user + used.system) / 1000).toBeLessThan(1000);
    // One more word than a search takes: a clear refusal, not a long wait.
    const tooMany = [...common, "common32"].join(" ");
    expect(() => history.answer({ type: "history.search", id: "t", query: tooMany })).toThrow(
      new ProtocolError(
        "bad_message",
        "the search has 33 different words; search for at most 32 (a few rare words find a transcript best)",
        "t",
      ),
    );
  } finally {
    history.close();
  }
});
