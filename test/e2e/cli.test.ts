// `verbatim` as a user runs it, against a real daemon with the fixture model: help on every command, the version,
// word timings in every format, and a reader that closes the pipe early.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DaemonProcess } from "../support/daemon-process";
import { heldoutWav } from "../support/dictation";
import { fixtureModel, repoRoot } from "../support/fixtures";

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
