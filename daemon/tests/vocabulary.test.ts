// The vocabulary's text rules: replacements on final text and timed words, replacements in growing live text that
// never take back what was sent, the decoder prompt's choice of terms (with the real English tokenizer), the config
// key's validation, and the config file edit that leaves the rest of the file as it was.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../src/service/config";
import { loadTokenizer, type Tokenizer } from "../src/tokenizer";
import { decoderPrompt, promptTerms, VOCABULARY_PROMPT_TOKENS } from "../src/families/whisper/decoder-prompt";
import { removeTopLevelMember, setTopLevelMember } from "../src/config-file/json-member-edit";
import { LiveReplacements } from "../src/vocabulary/live-replacements";
import { Replacer } from "../src/vocabulary/replacements";
import type { VocabularyReplacement } from "../src/protocol";

let english: Tokenizer;
let multilingual: Tokenizer;
beforeAll(async () => {
  english = await loadTokenizer({ nVocab: 51864 });
  multilingual = await loadTokenizer({ nVocab: 51866 });
});
afterAll(() => {
  english.free();
  multilingual.free();
});

describe("replacements", () => {
  const replacer = new Replacer([
    { from: "kate", to: "Cait" },
    { from: "kate smith", to: "Kate Smyth" },
    { from: "gonna", to: "going to", case: "keep" },
    { from: "US", to: "U.S.", case: "exact" },
    { from: "c++", to: "C++" },
  ]);

  test("match whole words in any case, the longest first, and never replace their own output", () => {
    expect(replacer.replace("Kate and KATE, skate with kate smith.")).toBe("Cait and Cait, skate with Kate Smyth.");
    expect(replacer.replace("kate's book")).toBe("Cait's book");
    expect(new Replacer([{ from: "a", to: "a a" }]).replace("a b a")).toBe("a a b a a");
  });

  test("keep follows the matched capitalisation; exact matches only as written", () => {
    expect(replacer.replace("gonna go. Gonna go. GONNA GO.")).toBe("going to go. Going to go. GOING TO GO.");
    expect(replacer.replace("the US and us")).toBe("the U.S. and us");
    expect(replacer.replace("I like c++ and C++x")).toBe("I like C++ and C++x");
  });

  test("timed words a match spans become one word over their time", () => {
    const words = [
      { word: " Ask", start: 0, end: 0.3, probability: 0.9 },
      { word: " Kate", start: 0.3, end: 0.6, probability: 0.8 },
      { word: " Smith,", start: 0.6, end: 1, probability: 0.5 },
      { word: " now.", start: 1, end: 1.2, probability: 0.7 },
    ];
    expect(replacer.words(words)).toEqual([
      words[0],
      { word: " Kate Smyth,", start: 0.3, end: 1, probability: 0.5 },
      words[3],
    ]);
  });
});

describe("replacements among many", () => {
  /**
   * Where replacements apply, found by trying every entry's pattern (as docs say: whole words, white space as any run
   * of it, any case unless exact) at every place, longest `from` first: what the replacer's trie must agree with.
   */
  function everyPatternAtEveryPlace(entries: VocabularyReplacement[], text: string): [number, number][] {
    const word = /[\p{L}\p{N}]/u;
    const patterns = [...entries]
      .sort((a, b) => b.from.length - a.from.length)
      .map(({ from, case: rule }) => {
        const body = from
          .split(/\s+/)
          .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
          .join("\\s+");
        const before = word.test(from[0]) ? "(?<![\\p{L}\\p{N}])" : "";
        const after = word.test(from[from.length - 1]) ? "(?![\\p{L}\\p{N}])" : "";
        return new RegExp(before + body + after, rule === "exact" ? "uy" : "iuy");
      });
    const spans: [number, number][] = [];
    for (let at = 0; at < text.length;) {
      const found = patterns
        .map((pattern) => {
          pattern.lastIndex = at;
          return pattern.exec(text);
        })
        .find(Boolean);
      if (found) {
        spans.push([at, at + found[0].length]);
        at += found[0].length;
      } else at++;
    }
    return spans;
  }

  test("the trie finds what trying every entry's pattern at every place finds, odd letters and spaces too", () => {
    const alphabet = ["a", "A", "b", " ", "  ", "\t", ".", "é", "É", "ſ", "s", "S", "K", "k", "ß", "ẞ", "İ", "i", "ı"];
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = (n: number) =>
      Array.from({ length: n }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
    for (let trial = 0; trial < 500; trial++) {
      const entries = Array.from({ length: 1 + Math.floor(random() * 5) }, () => {
        const entry: VocabularyReplacement = { from: pick(1 + Math.floor(random() * 3)).trim() || "a", to: "x" };
        if (random() < 0.3) entry.case = random() < 0.5 ? "exact" : "keep";
        return entry;
      });
      const text = pick(30);
      const spans = new Replacer(entries).matches(text).map((match) => [match.start, match.end]);
      expect({ entries, text, spans }).toEqual({ entries, text, spans: everyPatternAtEveryPlace(entries, text) });
    }
  });

  test("a thousand replacements over an hour's transcript take milliseconds of CPU, not seconds", () => {
    // Every `from` shares its first 90 characters with the transcript, which repeats them: each place of the text
    // is where all thousand could begin. Trying each pattern at each place took 2.7 s of CPU on the machine this
    // was written on (AMD EPYC, 2 cores, load 18); the trie takes 17-29 ms there. The bound leaves ten times more
    // either way.
    const sentence = "the quick brown fox jumps over the lazy dog and then some more words follow here the quick ";
    const entries = Array.from({ length: 1000 }, (_, i) => ({ from: `${sentence}${i}`.slice(0, 100), to: "x" }));
    const transcript = sentence.repeat(600); // 54,600 characters: about an hour of speech
    const replacer = new Replacer(entries);
    const before = process.cpuUsage();
    expect(replacer.replace(transcript)).toBe(transcript);
    const used = process.cpuUsage(before);
    expect((used.user + used.system) / 1000).toBeLessThan(250);
  });
});

describe("live replacements", () => {
  const replacer = new Replacer([
    { from: "kate smith", to: "Kate Smyth" },
    { from: "kub", to: "cub" },
  ]);
  const text = " Ask Kate Smith about Kub ernetes and Kubernetes, kub.";
  const final = replacer.replace(text);

  test("committed text is only appended to, never splits a word or a match, and shows the rest as tentative", () => {
    // Every way of cutting the committed text into two or three pieces.
    for (let a = 0; a <= text.length; a++) {
      for (let b = a; b <= text.length; b += 3) {
        const live = new LiveReplacements(replacer);
        let sent = "";
        for (const [start, end] of [
          [0, a],
          [a, b],
          [b, text.length],
        ]) {
          const next = live.next(0, text.slice(start, end), " guess");
          sent += next.text;
          // Nothing is lost: committed then tentative is the text so far, with replacements only where settled.
          expect(next.tentativeText.endsWith(" guess")).toBe(true);
          const shown = sent + next.tentativeText.slice(0, -" guess".length);
          expect(replacer.replace(shown)).toBe(replacer.replace(text.slice(0, end)));
          expect(final.startsWith(sent)).toBe(true);
        }
      }
    }
  });

  test("a new utterance starts afresh, words that could begin a match wait, and without replacements text passes through", () => {
    const live = new LiveReplacements(replacer);
    expect(live.next(0, " Ask Kate Smith ", "")).toEqual({ text: " Ask ", tentativeText: "Kate Smith " });
    // The last word waits: with a two-word "from" it could still begin a match.
    expect(live.next(1, " kub kub ", "x")).toEqual({ text: " cub ", tentativeText: "kub x" });
    const plain = new LiveReplacements(new Replacer([]));
    expect(plain.next(0, " Kate Smi", "th")).toEqual({ text: " Kate Smi", tentativeText: "th" });
  });
});

describe("decoder prompt", () => {
  const terms = Array.from({ length: 60 }, (_, i) => `Name${i}`);

  test("takes the most recently added terms that fit the budget, written oldest first before the job's prompt", () => {
    const chosen = promptTerms(english, terms);
    expect(chosen[0]).toBe("Name59");
    expect(chosen).toEqual(terms.slice(terms.length - chosen.length).reverse());
    const text = ` ${[...chosen].reverse().join(", ")}.`;
    expect(english.encode(text).length).toBeLessThanOrEqual(VOCABULARY_PROMPT_TOKENS);
    expect(english.encode(` Name${59 - chosen.length}, ${text.trim()}`).length).toBeGreaterThan(
      VOCABULARY_PROMPT_TOKENS,
    );
    expect(english.decode(decoderPrompt(english, ["Ximena", "Okonkwo"], "Minutes of the meeting."))).toBe(
      " Ximena, Okonkwo. Minutes of the meeting.",
    );
    expect(decoderPrompt(english, [], "")).toEqual([]);
  });

  test("a long job prompt keeps its room: the terms shrink to what is left of the 223 tokens", () => {
    const long = Array.from({ length: 200 }, () => "word").join(" ");
    const tokens = decoderPrompt(english, terms, long);
    expect(tokens.length).toBeLessThanOrEqual(223);
    expect(english.decode(tokens).endsWith(long)).toBe(true);
    expect(promptTerms(english, ["A", "a", "B"])).toEqual(["B", "a"]);
  });

  test("the terms and the job's prompt, tokenized apart, give the tokens of the text they make together", () => {
    const terms = ["Ximena", "C++", "O'Neill", "Okonkwo!"];
    for (const prompt of ["Minutes.", "'s notes", "42 items", "... and so on", "“quoted”", "  spaced  out  ", "漢字"]) {
      expect(decoderPrompt(english, terms, prompt)).toEqual(
        english.promptTokens(` Ximena, C++, O'Neill, Okonkwo!. ${prompt.trim()}`),
      );
      expect(decoderPrompt(multilingual, terms, prompt)).toEqual(
        multilingual.promptTokens(` Ximena, C++, O'Neill, Okonkwo!. ${prompt.trim()}`),
      );
    }
  });
});

describe("config", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "verbatim-vocabulary-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("each vocabulary entry is checked on its own: bad ones are named, the others used", () => {
    const file = path.join(dir, "config.json");
    writeFileSync(
      file,
      JSON.stringify({
        vocabulary: {
          terms: ["Ximena", "", "two\nlines"],
          replacements: [{ from: "items", to: "Ximena" }, { from: "x" }, { from: "a", to: "b", case: "upper" }],
        },
      }),
    );
    const { config, problems } = loadConfig(file);
    expect(config.vocabulary).toEqual({ terms: ["Ximena"], replacements: [{ from: "items", to: "Ximena" }] });
    expect(problems).toEqual([
      `${file}: "vocabulary.terms[1]" ("") is not used: it is empty`,
      `${file}: "vocabulary.terms[2]" ("two\\nlines") is not used: it holds a line break or another control character`,
      `${file}: "vocabulary.replacements[1]" is not used: its "to" is not usable: it is not text`,
      `${file}: "vocabulary.replacements[2]" is not used: its "case" must be "keep" or "exact" (or left out), not "upper"`,
    ]);
    writeFileSync(file, JSON.stringify({ vocabulary: ["Ximena"] }));
    expect(loadConfig(file).problems[0]).toMatch(
      /"vocabulary" has an invalid value \["Ximena"\] \(it must be an object/,
    );
  });

  test("setting the vocabulary member rewrites only its text, in the file's own layout", () => {
    const value = { terms: ["X"], replacements: [] };
    const multiline = '{\n    "model": "tiny.en",\n    "note": "a } in a string",\n    "vocabulary": null\n}\n';
    expect(setTopLevelMember(multiline, "vocabulary", value)).toBe(
      '{\n    "model": "tiny.en",\n    "note": "a } in a string",\n    "vocabulary": {\n      "terms": [\n        "X"\n      ],\n      "replacements": []\n    }\n}\n',
    );
    expect(setTopLevelMember('{"model":"tiny.en"}', "vocabulary", value)).toBe(
      '{"model":"tiny.en","vocabulary":{"terms":["X"],"replacements":[]}}',
    );
    expect(setTopLevelMember('{\n  "threads": [1, {"a": "]"}]\n}', "vocabulary", value)).toBe(
      '{\n  "threads": [1, {"a": "]"}],\n  "vocabulary": {\n    "terms": [\n      "X"\n    ],\n    "replacements": []\n  }\n}',
    );
    expect(setTopLevelMember("{}", "vocabulary", value)).toBe('{"vocabulary":{"terms":["X"],"replacements":[]}}');
  });

  test("removing a member takes out only its text and the comma that joined it", () => {
    const file = '{\n  "a": 1,\n  "b": [1, "]"],\n  "c": {"x": "}"}\n}\n';
    expect(removeTopLevelMember(file, "a")).toBe('{\n  "b": [1, "]"],\n  "c": {"x": "}"}\n}\n');
    expect(removeTopLevelMember(file, "b")).toBe('{\n  "a": 1,\n  "c": {"x": "}"}\n}\n');
    expect(removeTopLevelMember(file, "c")).toBe('{\n  "a": 1,\n  "b": [1, "]"]\n}\n');
    expect(removeTopLevelMember(file, "absent")).toBe(file);
    expect(removeTopLevelMember('{"only":true}', "only")).toBe("{}");
  });
});
