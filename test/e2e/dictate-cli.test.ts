// `verbatim dictate` and `verbatim dictations` as a user runs them, against a real daemon with the fixture model:
// a held-out recording streamed through a live dictation ends with the batch transcript of the same file.
import { spawn } from "node:child_process";
import path from "node:path";
import { DaemonProcess } from "../support/daemon-process";
import { heldoutWav } from "../support/dictation";
import { fixtureModel, repoRoot } from "../support/fixtures";

jest.setTimeout(180_000);

const verbatim = path.join(repoRoot, "daemon", "bin", "verbatim.js");
const model = fixtureModel();
const wav = heldoutWav("heldout-05.wav");
let daemon: DaemonProcess;
let batch: { text: string; segments: unknown[]; duration: number };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], whileRunning?: (child: ReturnType<typeof spawn>) => void): Promise<Run> {
  const child = spawn(process.execPath, [verbatim, ...args], { env: daemon.env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  whileRunning?.(child);
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

beforeAll(async () => {
  daemon = await DaemonProcess.ready({ model, threads: 2 });
  const transcribed = await run(["transcribe", "--format", "json", wav]);
  expect(transcribed.code).toBe(0);
  batch = JSON.parse(transcribed.stdout);
});

afterAll(async () => {
  await daemon?.dispose();
});

test("dictate --input --json prints every event, then the transcript as transcribe --format json does", async () => {
  const result = await run(["dictate", "--input", wav, "--json"]); // at real-time pace
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  const lines = result.stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
  const final = lines.pop();
  expect(final).toEqual({ ...batch, file: wav });

  const types = new Set(lines.map((line) => line.type));
  expect([...types].sort()).toEqual(["committed", "level", "started", "stopping", "utterance"]);
  expect(lines.find((line) => line.type === "stopping")).toMatchObject({ reason: "requested" }); // the file ended
  for (const line of lines) expect(typeof line.at).toBe("number");
  const ats = lines.map((line) => line.at);
  expect(ats).toEqual([...ats].sort((a, b) => a - b)); // audio only grows
  const committed = lines.filter((line) => line.type === "committed");
  expect(committed.length).toBeGreaterThan(1);
  expect(committed[0].at).toBeLessThan(batch.duration); // live text while the file was still arriving
  expect(committed.every((line) => typeof line.text === "string" && typeof line.tentativeText === "string")).toBe(true);
  expect(lines.find((line) => line.type === "utterance")).toMatchObject({ index: 0, text: batch.text });
});

test("dictate --input --fast prints only the final text on stdout, ready for a pipe", async () => {
  const result = await run(["dictate", "--input", wav, "--fast", "--model", model]);
  expect(result.code).toBe(0);
  expect(result.stdout).toBe(batch.text + "\n");
});

test("Ctrl-C stops early with the final text of what was said; Ctrl-\\ cancels with nothing on stdout", async () => {
  const stopped = await run(["dictate", "--input", wav, "--json"], (child) =>
    setTimeout(() => child.kill("SIGINT"), 1500),
  );
  expect(stopped.code).toBe(0);
  const final = JSON.parse(stopped.stdout.trim().split("\n").at(-1)!);
  // Only the audio sent before Ctrl-C was recognised (sent at real-time pace, after the CLI's start-up).
  expect(final.duration).toBeGreaterThan(0.3);
  expect(final.duration).toBeLessThan(batch.duration - 0.5);
  expect(final.text).not.toBe(batch.text);

  const cancelled = await run(["dictate", "--input", wav], (child) => setTimeout(() => child.kill("SIGQUIT"), 1000));
  expect(cancelled.code).toBe(130);
  expect(cancelled.stdout).toBe("");
  expect(cancelled.stderr).toMatch(/cancelled/);
});

test("dictations list and retry, and clear errors for a missing recording or file", async () => {
  const list = await run(["dictations", "list"]);
  expect(list).toMatchObject({ code: 0, stdout: "No dictation recordings are waiting.\n" });
  const retry = await run(["dictations", "retry", "20990101T000000Z-000000"]);
  expect(retry.code).toBe(3);
  expect(retry.stderr).toMatch(/no recording "20990101T000000Z-000000" \(see dictations.list\)/);
  const missing = await run(["dictate", "--input", path.join(daemon.home, "nothing.wav")]);
  expect(missing.code).toBe(3);
  expect(missing.stderr).toMatch(/nothing\.wav/);
});
