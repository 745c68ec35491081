// `verbatim transcribe --no-daemon --model <parakeet folder>`: the tiny random Parakeet fixture through the CLI in
// every output format, its text the reference's (test/fixtures/models/parakeet-reference), the TDT-CTC hybrid form
// (parakeet-110m's) as its reference reads, and Whisper's options
// refused as unsupported. The same through the daemon: test/e2e/parakeet-daemon.test.ts.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "../support/fixtures";

jest.setTimeout(120_000);

const verbatim = path.join(repoRoot, "daemon", "bin", "verbatim.js");
const model = path.join(repoRoot, "test", "fixtures", "models", "parakeet-tiny");
const wav = path.join(repoRoot, "test", "fixtures", "heldout", "heldout-03.wav");
const reference = JSON.parse(
  readFileSync(path.join(repoRoot, "test", "fixtures", "models", "parakeet-reference", "tiny-heldout-03.json"), "utf8"),
) as { text: string; greedy: { frames: number[] } };
const home = mkdtempSync(path.join(os.tmpdir(), "verbatim-parakeet-cli-"));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    ...process.env,
    VERBATIM_HOME: home,
    VERBATIM_SOCKET: path.join(home, "none.sock"),
    HF_HUB_OFFLINE: "1",
  };
  return new Promise((resolve) =>
    execFile(process.execPath, [verbatim, ...args], { env }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

test("text and json: the reference's text, tokens timed from the transducer's frames", async () => {
  // The whole file as one window, as the reference decodes it (the voice activity detector would cut it).
  const text = await cli("transcribe", "--no-daemon", "--no-vad", "--model", model, wav);
  expect(text.stderr).toBe("");
  expect(text.code).toBe(0);
  expect(text.stdout.trim().split(/\s+/).join(" ")).toBe(reference.text.trim());

  const json = await cli(
    "transcribe",
    ...["--no-daemon", "--no-vad", "--model", model, "--format", "json", "--word-timestamps", wav],
  );
  expect(json.code).toBe(0);
  const transcript = JSON.parse(json.stdout) as {
    text: string;
    segments: Array<{ start: number; end: number; words: Array<{ start: number }> }>;
  };
  expect(transcript.text).toBe(reference.text.trim());
  const starts = transcript.segments.flatMap((segment) => segment.words.map((word) => word.start));
  expect(starts[0]).toBeCloseTo(reference.greedy.frames[0] * 0.08, 6);
  for (const segment of transcript.segments) expect(segment.end).toBeGreaterThanOrEqual(segment.start);
});

test("a TDT-CTC hybrid (parakeet-110m's form, 80 mel features) reads as its reference: TDT decoding, CTC head unused", async () => {
  const hybrid = path.join(repoRoot, "test", "fixtures", "models", "parakeet-tiny-tdt-ctc");
  const expected = JSON.parse(
    readFileSync(
      path.join(repoRoot, "test", "fixtures", "models", "parakeet-reference", "tiny-tdt-ctc-heldout-03.json"),
      "utf8",
    ),
  ) as { text: string };
  const run = await cli("transcribe", "--no-daemon", "--no-vad", "--model", hybrid, wav);
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  expect(run.stdout.trim().split(/\s+/).join(" ")).toBe(expected.text.trim().split(/\s+/).join(" "));
});

test("srt and vtt cues", async () => {
  const srt = await cli("transcribe", "--no-daemon", "--model", model, "--format", "srt", wav);
  expect(srt.code).toBe(0);
  expect(srt.stdout).toMatch(/^1\n\d\d:\d\d:\d\d,\d\d\d --> \d\d:\d\d:\d\d,\d\d\d\n/);
  const vtt = await cli("transcribe", "--no-daemon", "--model", model, "--format", "vtt", wav);
  expect(vtt.code).toBe(0);
  expect(vtt.stdout.startsWith("WEBVTT")).toBe(true);
});

test.each([
  [["--task", "translate"], "cannot translate"],
  [["--language", "en"], "whose languages are not known"],
  [["--beam-size", "5"], "beamSize is one of Whisper's decoding options"],
])("%s is refused as unsupported", async (flags, message) => {
  const run = await cli("transcribe", "--no-daemon", "--model", model, ...flags, wav);
  expect(run.code).toBe(2); // the exit-code table: a request the model refuses
  expect(run.stderr).toContain(message);
  expect(run.stdout).toBe("");
});
