// `verbatim` as a user runs it, against a real daemon with the fixture model: help on every command, the version,
// word timings in every format, openai's clip timestamps and hallucination silence threshold, a reader that closes
// the pipe early, several files in every format, a mistyped command line, a stopped daemon that stays stopped, and
// an old Node.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { WhisperModel } from "../../native/lib";
import { loadAudio } from "../../daemon/src/audio";
import { fileEngineOptions } from "../../daemon/src/families/whisper/whisper-decoding";
import { loadTokenizer } from "../../daemon/src/tokenizer";
import type { TranscriptionOptions } from "../../daemon/src/protocol";
import { DaemonProcess } from "../support/daemon-process";
import { heldoutWav } from "../support/dictation";
import { fixtureModel, repoRoot } from "../support/fixtures";
import { meetsNodeFloor } from "../../native/scripts/node-floor.cjs";

jest.setTimeout(180_000);

const verbatim = path.join(repoRoot, "daemon", "bin", "verbatim.js");
const model = fixtureModel();
const wav = heldoutWav("heldout-07.wav");
const media = mkdtempSync(path.join(os.tmpdir(), "verbatim-cli-"));
let daemon: DaemonProcess;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], onStdout?: (child: ReturnType<typeof spawn>) => void): Promise<Run> {
  const child = spawn(process.execPath, [verbatim, ...args], { env: daemon.env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
    onStdout?.(child);
  });
  child.stderr.on("data", (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

beforeAll(async () => {
  daemon = await DaemonProcess.ready({ model, threads: 2 });
});

afterAll(async () => {
  await daemon?.dispose();
  rmSync(media, { recursive: true, force: true });
});

const commands = ["transcribe", "status", "daemon", "models", "dictate", "dictations", "capture"];

test.each(
  commands.flatMap((command) => [
    [command, "--help"],
    [command, "-h"],
  ]),
)("verbatim %s %s prints the command's usage and exits 0", async (command, flag) => {
  const result = await run([command, flag]);
  expect(result).toMatchObject({ code: 0, stderr: "" });
  expect(result.stdout).toMatch(/^Usage:\n/);
  expect(result.stdout).toContain(`verbatim ${command}`);
});

test("help comes before the command's own checks, and verbatim help COMMAND says the same", async () => {
  const transcribeHelp = await run(["transcribe", "--help"]);
  expect(await run(["transcribe", "--format", "nonsense", "--help"])).toEqual(transcribeHelp);
  expect(await run(["help", "transcribe"])).toEqual(transcribeHelp);
  // After "--", -h is a file name.
  const file = await run(["transcribe", "--", "-h"]);
  expect(file.code).toBe(3);
  expect(file.stderr).toContain("-h: cannot read -h: no such file");
});

test("-v and --version print the version", async () => {
  const version = JSON.parse(readFileSync(path.join(repoRoot, "daemon", "package.json"), "utf8")).version;
  expect(await run(["-v"])).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
  expect(await run(["--version"])).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
});

/** Parses SRT or VTT cues into [start, end, text] with times in seconds. */
function cuesOf(subtitles: string): [number, number, string][] {
  const seconds = (clock: string) => {
    const [h, m, s] = clock.replace(",", ".").split(":");
    return Number(h) * 3600 + Number(m) * 60 + Number(s);
  };
  return [...subtitles.matchAll(/(\d\d:\d\d:\d\d[.,]\d{3}) --> (\d\d:\d\d:\d\d[.,]\d{3})\n(.*)\n/g)].map((m) => [
    seconds(m[1]),
    seconds(m[2]),
    m[3],
  ]);
}

test("--word-timestamps gives SRT and VTT one cue per word, at the JSON's word times, all to the millisecond", async () => {
  const json = await run(["transcribe", "--format", "json", "--word-timestamps", wav]);
  expect(json.code).toBe(0);
  const transcript = JSON.parse(json.stdout);
  const words: { word: string; start: number; end: number }[] = transcript.segments.flatMap(
    (segment: { words: unknown[] }) => segment.words,
  );
  expect(words.length).toBeGreaterThan(3);
  const times = [
    transcript.duration,
    ...transcript.segments.flatMap((s: { start: number; end: number }) => [s.start, s.end]),
    ...words.flatMap((w) => [w.start, w.end]),
  ];
  for (const time of times) expect(String(time)).toMatch(/^\d+(\.\d{1,3})?$/);

  const expected = words.map((w) => [w.start, w.end, w.word.trim()]);
  const srt = await run(["transcribe", "--format", "srt", "--word-timestamps", wav]);
  expect(srt.code).toBe(0);
  expect(cuesOf(srt.stdout)).toEqual(expected);
  expect(srt.stdout).toMatch(/^1\n/);
  const vtt = await run(["transcribe", "--format", "vtt", "--word-timestamps", wav]);
  expect(vtt.code).toBe(0);
  expect(vtt.stdout).toMatch(/^WEBVTT\n\n/);
  expect(cuesOf(vtt.stdout)).toEqual(expected);

  // Without word timings, one cue per segment.
  const segments = await run(["transcribe", "--format", "srt", wav]);
  expect(cuesOf(segments.stdout).length).toBe(transcript.segments.length);
});

test("--word-timestamps with plain text is a usage error that names the formats it needs", async () => {
  const result = await run(["transcribe", "--word-timestamps", wav]);
  expect(result.code).toBe(2);
  expect(result.stdout).toBe("");
  expect(result.stderr).toContain("--word-timestamps needs --format srt, vtt or json");
});

interface JsonTranscript {
  text: string;
  segments: { start: number; end: number; text: string; words?: unknown[] }[];
}

/**
 * The file through the engine in this process with the options the daemon gives the engine for `options` (all of
 * the audio: clips and the threshold ask for no speech search): the transcript's text and its segments with text.
 */
async function engineDirect(file: string, options: TranscriptionOptions) {
  const tokenizer = await loadTokenizer({ nVocab: 51864 });
  const engine = await WhisperModel.load(model, { threads: 2 }).promise;
  try {
    engine.setVocabulary(tokenizer.tokenBytesTable());
    const { samples } = await loadAudio(file);
    const result = await engine.transcribe(samples, fileEngineOptions(tokenizer, options)).promise;
    const segments = result.segments.filter((segment) => tokenizer.decode(segment.tokens).trim() !== "");
    return {
      text: tokenizer.decode(segments.flatMap((segment) => segment.tokens)).trim(),
      segments: segments.map((segment) => ({ start: segment.start, end: segment.end })),
    };
  } finally {
    engine.free();
  }
}

const secondsOf = (segments: { start: number; end: number }[]) =>
  segments.map((segment) => [Math.round(segment.start * 1000), Math.round(segment.end * 1000)]);

test("--clip-timestamps transcribes only the clips, as the engine does with openai's clip_timestamps", async () => {
  const long = path.join(repoRoot, "test", "fixtures", "heldout-long", "long-02.flac");
  const result = await run(["transcribe", "--format", "json", "--clip-timestamps", "5,20,32.5,47", long]);
  expect(result).toMatchObject({ code: 0, stderr: "" });
  const transcript: JsonTranscript = JSON.parse(result.stdout);
  const direct = await engineDirect(long, { clipTimestamps: [5, 20, 32.5, 47] });
  expect(transcript.text).toBe(direct.text);
  expect(secondsOf(transcript.segments)).toEqual(secondsOf(direct.segments));
  expect(transcript.segments.length).toBeGreaterThan(0);
  for (const segment of transcript.segments) {
    expect((segment.start >= 5 && segment.start < 20) || (segment.start >= 32.5 && segment.start < 47)).toBe(true);
  }
  // Without clips the whole file is transcribed.
  const whole: JsonTranscript = JSON.parse((await run(["transcribe", "--format", "json", "--no-vad", long])).stdout);
  expect(whole.segments[0].start).toBeLessThan(5);
});

test("--hallucination-silence-threshold skips as the engine does with openai's rules; words only when asked", async () => {
  // A sentence, 5 s of silence, another sentence (as transcribe-options-reference.test.ts, where PyTorch agrees).
  const part = (name: string) => path.join(media, `${name}.wav`);
  const format = ["-r", "16000", "-c", "1", "-b", "16"];
  execFileSync("sox", ["-R", heldoutWav("heldout-00.wav"), ...format, part("first")]);
  execFileSync("sox", ["-R", heldoutWav("heldout-03.wav"), ...format, part("second")]);
  execFileSync("sox", ["-R", "-n", ...format, part("silence"), "trim", "0", "5"]);
  execFileSync("sox", [part("first"), part("silence"), part("second"), part("pause")]);

  const args = ["transcribe", "--format", "json", "--no-vad", "--hallucination-silence-threshold", "4"];
  const result = await run([...args, part("pause")]);
  expect(result).toMatchObject({ code: 0, stderr: "" });
  const transcript: JsonTranscript = JSON.parse(result.stdout);
  const direct = await engineDirect(part("pause"), { vad: false, hallucinationSilenceThreshold: 4 });
  expect(transcript.text).toBe(direct.text);
  expect(secondsOf(transcript.segments)).toEqual(secondsOf(direct.segments));
  expect(transcript.segments.every((segment) => segment.words === undefined)).toBe(true);
  // The threshold changed what was decoded (openai's rules dropped doubtful text and decoded on after it).
  const plain: JsonTranscript = JSON.parse(
    (await run(["transcribe", "--format", "json", "--no-vad", part("pause")])).stdout,
  );
  expect(transcript.text).not.toBe(plain.text);

  const withWords: JsonTranscript = JSON.parse((await run([...args, "--word-timestamps", part("pause")])).stdout);
  expect(withWords.text).toBe(transcript.text);
  expect(withWords.segments.every((segment) => (segment.words?.length ?? 0) > 0)).toBe(true);
});

test.each([
  [["--clip-timestamps", "5,x"], "--clip-timestamps must be START,END,START,END,… in seconds"],
  [["--clip-timestamps=-1,5"], "--clip-timestamps must be START,END,START,END,… in seconds"],
  [["--clip-timestamps", "1,5", "--vad"], "--clip-timestamps choose what to decode: give them without --vad"],
  [["--hallucination-silence-threshold=-2"], "--hallucination-silence-threshold must be seconds"],
  [["--hallucination-silence-threshold", "soon"], "--hallucination-silence-threshold must be seconds"],
])("verbatim transcribe %j is a usage error", async (flags, message) => {
  const result = await run(["transcribe", ...flags, wav]);
  expect(result.code).toBe(2);
  expect(result.stdout).toBe("");
  expect(result.stderr).toContain(message);
});

test("the protocol refuses clips with vad true, and times that are not seconds", async () => {
  const client = await daemon.connect();
  try {
    const source = { kind: "file" as const, path: wav };
    const request = (options: Record<string, unknown>) =>
      client.request({ type: "transcribe", source, options: options as TranscriptionOptions });
    await expect(request({ clipTimestamps: [1, 2], vad: true })).rejects.toMatchObject({
      code: "bad_message",
      message: expect.stringContaining('"clipTimestamps" choose what to decode'),
    });
    await expect(request({ clipTimestamps: [1, -2] })).rejects.toMatchObject({ code: "bad_message" });
    await expect(request({ clipTimestamps: "1,2" })).rejects.toMatchObject({ code: "bad_message" });
    await expect(request({ hallucinationSilenceThreshold: -1 })).rejects.toMatchObject({ code: "bad_message" });
  } finally {
    client.close();
  }
});

test("a reader that closes the pipe early ends the command quietly, and its job is cancelled", async () => {
  const long = path.join(media, "long.wav");
  execFileSync("sox", [wav, long, "repeat", "20"]);
  let closed = false;
  const result = await run(["transcribe", "--format", "srt", "--word-timestamps", long], (child) => {
    if (closed) return;
    closed = true; // as `| head -1` does after its first line
    child.stdout?.destroy();
  });
  expect(closed).toBe(true);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  let status = await daemon.status();
  for (let i = 0; i < 100 && status.queue.running; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    status = await daemon.status();
  }
  expect(status.queue).toEqual({ running: null, waiting: 0 });
});

describe("several files", () => {
  const second = heldoutWav("heldout-03.wav");
  const texts = new Map<string, string>();

  beforeAll(async () => {
    for (const file of [wav, second]) {
      const alone = await run(["transcribe", "--format", "json", file]);
      texts.set(file, JSON.parse(alone.stdout).text);
    }
  });

  test("text: a '==> FILE <==' line before each file's text, as head prints several files", async () => {
    const result = await run(["transcribe", wav, second]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toBe(`==> ${wav} <==\n${texts.get(wav)}\n\n==> ${second} <==\n${texts.get(second)}\n`);
    // One file alone is printed bare.
    expect((await run(["transcribe", wav])).stdout).toBe(`${texts.get(wav)}\n`);
  });

  test("JSON: one object per line, each naming its file", async () => {
    const result = await run(["transcribe", "--format", "json", wav, second]);
    expect(result.code).toBe(0);
    const objects = result.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(objects.map((object) => [object.file, object.text])).toEqual([
      [wav, texts.get(wav)],
      [second, texts.get(second)],
    ]);
  });

  test("VTT: one document per file, each named in a NOTE; SRT, which cannot name a file, needs --output-dir", async () => {
    const vtt = await run(["transcribe", "--format", "vtt", wav, second]);
    expect(vtt.code).toBe(0);
    const documents = vtt.stdout.split(/(?=^WEBVTT\n)/m);
    expect(documents.length).toBe(2);
    expect(documents[0]).toMatch(new RegExp(`^WEBVTT\\n\\nNOTE ${wav}\\n\\n\\d\\d:`));
    expect(documents[1]).toMatch(new RegExp(`^WEBVTT\\n\\nNOTE ${second}\\n\\n\\d\\d:`));
    expect(
      cuesOf(documents[1])
        .map((cue) => cue[2])
        .join(" "),
    ).toBe(texts.get(second));

    const srt = await run(["transcribe", "--format", "srt", wav, second]);
    expect(srt).toMatchObject({ code: 2, stdout: "" });
    expect(srt.stderr).toContain("for several files give --output-dir DIR");
  });

  test("--output-dir writes one file per input, named after it, and prints the paths", async () => {
    const folder = path.join(media, "transcripts");
    const result = await run(["transcribe", "--format", "srt", "--output-dir", folder, wav, second]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    const written = [path.join(folder, "heldout-07.srt"), path.join(folder, "heldout-03.srt")];
    expect(result.stdout).toBe(written.map((file) => `${file}\n`).join(""));
    for (const [file, srt] of [wav, second].map((input, i) => [input, readFileSync(written[i], "utf8")])) {
      expect(srt).toMatch(/^1\n/);
      expect(
        cuesOf(srt)
          .map((cue) => cue[2])
          .join(" "),
      ).toBe(texts.get(file));
    }
    const text = await run(["transcribe", "--output-dir", folder, wav]);
    expect(text.stdout).toBe(`${path.join(folder, "heldout-07.txt")}\n`);
    expect(readFileSync(path.join(folder, "heldout-07.txt"), "utf8")).toBe(`${texts.get(wav)}\n`);

    // Two inputs that would land on one name are refused before anything is transcribed.
    const clash = await run(["transcribe", "--output-dir", folder, wav, wav]);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toContain(`would both be written to ${path.join(folder, "heldout-07.txt")}`);
  });
});

describe("a mistyped command line names what it most likely meant", () => {
  test.each([
    [["transcribe", "--fromat", "json", "x.wav"], "unknown option --fromat (did you mean --format?)"],
    [["transcribe", "--lang", "en", "x.wav"], "unknown option --lang (did you mean --language?)"],
    [["dictate", "--devcie", "2"], "unknown option --devcie (did you mean --device?)"],
    [["capture", "--prob"], "unknown option --prob (did you mean --probe?)"],
    [["status", "--jsno"], "unknown option --jsno (did you mean --json?)"],
    [["transcibe", "x.wav"], 'unknown command "transcibe" (did you mean transcribe?)'],
    [["daemon", "strat"], 'unknown daemon action "strat" (did you mean start?); daemon needs one of: start, stop,'],
    [["vocabulary", "lsit"], 'unknown vocabulary action "lsit" (did you mean list?)'],
    [["vocabulary", "strenght", "3"], 'unknown vocabulary action "strenght" (did you mean strength?)'],
    [["history", "shwo", "1"], 'unknown history action "shwo" (did you mean show?)'],
  ])("verbatim %j", async (args, message) => {
    const result = await run(args);
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toContain(`verbatim: ${message}`);
    // Not Node's own wording, whose quote is never closed.
    expect(result.stderr).not.toContain("place it at the end of the command");
  });

  test("an unknown option nothing is close to says how to give a file named like one", async () => {
    const result = await run(["transcribe", "--xyzzy"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "verbatim: unknown option --xyzzy (a file named --xyzzy goes after --: -- --xyzzy)",
    );
  });
});

test("capture --system-tap goes with --meeting-track alone, and away from a Mac says what records the system's audio", async () => {
  for (const args of [
    ["capture", "--system-tap"],
    ["capture", "--meeting-track", "m-system", "--system-tap", "--device", "x"],
  ]) {
    const refused = await run(args);
    expect(refused).toMatchObject({ code: 2, stdout: "" });
    expect(refused.stderr).toContain("--system-tap records a meeting's system track: it goes with --meeting-track ID");
  }
  if (process.platform === "darwin") return;
  const elsewhere = await run(["capture", "--meeting-track", "m-system", "--system-tap"]);
  expect(elsewhere).toMatchObject({ code: 3, stdout: "" });
  expect(elsewhere.stderr).toContain(
    "--system-tap: the Core Audio tap records a Mac's system audio; elsewhere name the",
  );
});

test("a stopped daemon stays stopped for the commands that only read or edit what it keeps; a job starts it", async () => {
  const stopped = new DaemonProcess({ model, threads: 2 });
  const cli = (...args: string[]) =>
    new Promise<Run>((resolve) => {
      const child = spawn(process.execPath, [verbatim, ...args], {
        env: stopped.env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk) => (stdout += chunk));
      child.stderr.on("data", (chunk) => (stderr += chunk));
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
  try {
    for (const args of [
      ["history"],
      ["history", "show", "1"],
      ["vocabulary", "list"],
      ["vocabulary", "add", "Verbatim"],
      ["modes", "list"],
      ["api", "off"],
      ["dictations", "list"],
    ]) {
      const result = await cli(...args);
      expect([args, result]).toEqual([
        args,
        {
          code: 5,
          stdout: "",
          stderr:
            `verbatim: Cannot reach verbatimd at ${stopped.socket}: verbatimd is not running. Start it with: ` +
            "verbatim daemon start\n",
        },
      ]);
    }
    expect((await cli("status")).code).toBe(5);
    expect(existsSync(stopped.socket)).toBe(false);
    // A job needs the engine: it starts the daemon, which then serves the rest.
    expect((await cli("transcribe", wav)).code).toBe(0);
    expect(await cli("vocabulary", "list")).toMatchObject({ code: 0 });
  } finally {
    await cli("daemon", "stop");
    await stopped.dispose();
  }
});

test("help, and the capture process before it opens the microphone, load nothing they do not need", () => {
  /** The modules that loading `modules` in a fresh process brought in (paths under the repository). */
  const loadedBy = (...modules: string[]) =>
    execFileSync(
      process.execPath,
      [
        "-e",
        `for (const m of ${JSON.stringify(modules)}) require(m); console.log(Object.keys(require.cache).join("\\n"))`,
      ],
      { encoding: "utf8" },
    )
      .trim()
      .split("\n")
      .map((file) => path.relative(repoRoot, file));
  const dist = (file: string) => path.join(repoRoot, "daemon", "dist", file);
  // What no command's help needs: the commands' own modules, the daemon's client (ws), the engine, the MCP server.
  const heavy =
    /(^|\/)(ws|@modelcontextprotocol|@huggingface|tiktoken|onnxruntime-web)\/|native\/dist|daemon\/dist\/(service|models|tokenizer|mcp|audio)\/|-command\.js$|daemon\/dist\/client\.js/;
  const help = loadedBy(dist("cli/main.js"));
  expect(help.filter((file) => heavy.test(file))).toEqual([]);
  // The capture process: the microphone (PvRecorder), and the daemon's client only once the microphone records.
  const capture = loadedBy(
    path.join(repoRoot, "native", "scripts", "node-floor.cjs"),
    dist("cli/capture-command.js"),
  ).filter((file) => heavy.test(file) && !file.endsWith("cli/capture-command.js"));
  expect(capture).toEqual([]);
});

describe("on a Node older than Verbatim needs", () => {
  const floor =
    /^verbatim: Verbatim needs Node\.js 22\.16 or newer \(\^22\.16\.0 \|\| >=24\.0\.0\); this is Node\.js (\S+) \((.+)\)\. To fix, (.+)$/;
  /**
   * A Node below the floor: the system's own where it is older (this repository's CI machine has 20), run as is, so
   * that the check is shown to parse and run on it; else this Node made to report 20.0.0.
   */
  const oldNode = (() => {
    for (const candidate of ["/usr/bin/node", "/usr/local/bin/node"]) {
      if (!existsSync(candidate)) continue;
      const version = execFileSync(candidate, ["--version"], { encoding: "utf8" }).trim();
      if (!meetsNodeFloor(version)) return { command: [candidate], version: version.replace(/^v/, "") };
    }
    const pretend = path.join(media, "node-20.cjs");
    writeFileSync(pretend, 'Object.defineProperty(process.versions, "node", { value: "20.0.0" });\n');
    return { command: [process.execPath, "--require", pretend], version: "20.0.0" };
  })();
  const [node, ...nodeArgs] = oldNode.command;
  const bin = (name: string) => path.join(repoRoot, "daemon", "bin", name);

  test.each([
    ["verbatim transcribe", [bin("verbatim.js"), "transcribe", "x.wav"], "npx verbatim transcribe …"],
    ["verbatim mcp", [bin("verbatim.js"), "mcp"], "npx verbatim mcp"],
    ["verbatimd", [bin("verbatimd.js")], "npx verbatimd"],
    ["the capture process", [bin("verbatim-capture.js"), "--session", "x"], "npx verbatim capture …"],
    ["the engine's npm install", [path.join(repoRoot, "native", "scripts", "install.mjs")], "npm install"],
  ])("%s says in one line which Node it found, which it needs and how to get it, and exits 1", (_, args, rerun) => {
    const result = spawnSync(node, [...nodeArgs, ...args], { cwd: repoRoot, encoding: "utf8" });
    expect([result.status, result.stdout]).toEqual([1, ""]);
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines.length).toBe(1);
    const [, version, execPath, fix] = floor.exec(lines[0]) ?? [];
    expect([version, execPath]).toEqual([oldNode.version, node]);
    expect(fix).toBe(
      process.platform === "darwin"
        ? "install a current one with Homebrew: brew install node"
        : `run it under Node 24 from the npm registry: bash .ci/with-node ${rerun}`,
    );
  });

  test("outside a checkout, Linux gets its distribution's way to a current Node, never Homebrew's", () => {
    const installed = path.join(media, "installed", "scripts");
    mkdirSync(installed, { recursive: true });
    cpSync(path.join(repoRoot, "native", "scripts", "node-floor.cjs"), path.join(installed, "node-floor.cjs"));
    const fix = execFileSync(
      process.execPath,
      [
        "-e",
        `process.stdout.write(require(${JSON.stringify(path.join(installed, "node-floor.cjs"))}).nodeFix("npm install"))`,
      ],
      { encoding: "utf8" },
    );
    if (process.platform === "darwin") expect(fix).toBe("install a current one with Homebrew: brew install node");
    else {
      expect(fix).not.toMatch(/brew|with-node/);
      expect(fix).toMatch(/nodesource|dnf install|pacman|nodejs\.org/);
    }
  });
});
