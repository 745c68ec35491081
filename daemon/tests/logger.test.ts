// The daemon's log stays bounded whatever repeats: a message is written a few times a window and then counted, and the
// file moves aside past its cap, keeping one older file.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Logger } from "../src/service/logger";

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), "verbatim-log-"))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const linesOf = (file: string) =>
  readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);

test("a message is written `lines` times a window, then counted; the count is written when the window ends", () => {
  let now = 0;
  const echoed: string[] = [];
  const log = new Logger(dir, {
    echo: (line) => echoed.push(line),
    repeats: { lines: 3, windowMs: 1000 },
    now: () => now,
  });
  for (let i = 0; i < 1000; i++) log.error("model failed to load", { attempt: i });
  log.info("something else");
  now = 1000;
  log.error("model failed to load", { attempt: 1000 });

  const lines = linesOf(log.path);
  expect(lines.map((line) => [line.message, line.attempt ?? line.leftOut ?? null])).toEqual([
    ["model failed to load", 0],
    ["model failed to load", 1],
    ["model failed to load", 2],
    ["something else", null],
    ["model failed to load (repeated)", 997],
    ["model failed to load", 1000],
  ]);
  expect(lines[4].note).toBe("997 more lines of this message in 1 s were left out of the log");
  expect(echoed).toHaveLength(lines.length); // stderr gets the same lines, no more
});

test("the count is written when the window ends even if the message stops", async () => {
  const log = new Logger(dir, { echo: null, repeats: { lines: 1, windowMs: 50 } });
  log.warn("transcription failed");
  log.warn("transcription failed");
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(linesOf(log.path).map((line) => [line.message, line.leftOut ?? null])).toEqual([
    ["transcription failed", null],
    ["transcription failed (repeated)", 1],
  ]);
});

test("fields named like the line's own keep neither its time, level nor message from it", () => {
  const log = new Logger(dir, { echo: null });
  log.warn("transcription failed", { message: "the model did not load", level: "debug", code: "model" });
  expect(linesOf(log.path)[0]).toMatchObject({ level: "warn", message: "transcription failed", code: "model" });
});

test("past its cap the file becomes verbatimd.log.1, replacing the one before, and stays private", () => {
  const log = new Logger(dir, { echo: null, maxBytes: 2000, repeats: { lines: 1e9, windowMs: 1000 } });
  for (let i = 0; i < 100; i++) log.info("line", { i, padding: "x".repeat(100) });
  expect(statSync(log.path).size).toBeLessThanOrEqual(2000);
  expect(statSync(`${log.path}.1`).size).toBeLessThanOrEqual(2000);
  expect(existsSync(`${log.path}.2`)).toBe(false);
  expect(linesOf(log.path).at(-1)).toMatchObject({ i: 99 });
  // Nothing lost at a rotation: the two files end and begin with consecutive lines.
  const before = linesOf(`${log.path}.1`).at(-1)!.i as number;
  expect(linesOf(log.path)[0].i).toBe(before + 1);
  expect(statSync(`${log.path}.1`).mode & 0o777).toBe(0o600);
  expect(statSync(log.path).mode & 0o777).toBe(0o600);
});
