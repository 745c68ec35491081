// Text from outside Verbatim reaches terminals, the history and other clients without control or text-direction
// characters (issue 60, item 5). A model folder whose vocabulary file was doctored (the trained Parakeet fixture with
// NUL, escape, bell, carriage return and a right-to-left override in every piece, beside its own weights) transcribes
// to exactly the text of the fixture itself, on stdout and in the history; names a client gives (an upload's file name,
// an app's name) are kept as plain lines.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { apiToken, curl, freePort } from "../support/api";
import { DaemonProcess } from "../support/daemon-process";
import { heldoutWav } from "../support/dictation";
import { fixtureModel } from "../support/fixtures";
import type { DaemonClient } from "../../daemon/src/client";
import type { HistoryPage } from "../../daemon/src/protocol";

jest.setTimeout(300_000);

/** What a terminal obeys or reorders text by: C0 controls but tab and line feed, DEL, C1, bidi embeddings/isolates. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
/** NUL, ESC (which with the piece's next character starts an escape sequence), CSI, BEL, CR, DEL, RLO, LRI. */
const JUNK = "\u0000\u001b\u009b\u0007\r\u007f\u202e\u2066";

const fixture = fixtureModel("parakeet-trained-en");
const wav = heldoutWav("heldout-03.wav");
const work = mkdtempSync(path.join(os.tmpdir(), "verbatim-plain-text-"));
const doctored = path.join(work, "parakeet-doctored");
let daemon: DaemonProcess;
let client: DaemonClient;
let port: number;

beforeAll(async () => {
  // Every piece but <unk> carries the junk, after its word-start mark "▁" where it has one.
  const config = JSON.parse(readFileSync(path.join(fixture, "config.json"), "utf8")) as {
    joint: { vocabulary: string[] };
  };
  config.joint.vocabulary = config.joint.vocabulary.map((piece) =>
    piece === "<unk>" ? piece : piece.startsWith("\u2581") ? `\u2581${JUNK}${piece.slice(1)}` : `${JUNK}${piece}`,
  );
  mkdirSync(doctored);
  writeFileSync(path.join(doctored, "config.json"), JSON.stringify(config));
  symlinkSync(path.join(fixture, "model.safetensors"), path.join(doctored, "model.safetensors"));
  port = await freePort();
  daemon = await DaemonProcess.ready({
    model: fixture,
    threads: 2,
    history: true,
    api: { enabled: true, port, host: "127.0.0.1" },
  });
  client = await daemon.connect();
});

afterAll(async () => {
  client?.close();
  await daemon?.dispose();
  rmSync(work, { recursive: true, force: true });
});

const newest = async () => {
  const listed = await client.request({ type: "history.list", limit: 1 });
  return (listed.history as HistoryPage).entries[0]!;
};

test("a doctored vocabulary writes the fixture's own text: stdout, JSON, SRT, VTT and the history hold no control character", async () => {
  const clean = await daemon.cli("transcribe", "--model", fixture, wav);
  expect(clean.code).toBe(0);
  expect(clean.stdout.trim().length).toBeGreaterThan(0);

  const printed = await daemon.cli("transcribe", "--model", doctored, wav);
  expect(printed.code).toBe(0);
  expect(printed.stdout).toBe(clean.stdout);
  const entry = await newest();
  expect(entry.text).toBe(clean.stdout.trim());
  expect(UNSAFE.test(JSON.stringify(await client.request({ type: "history.get", entry: entry.id })))).toBe(false);

  for (const format of ["json", "srt", "vtt"]) {
    const formatted = await daemon.cli("transcribe", "--model", doctored, "--format", format, wav);
    expect([format, formatted.code, UNSAFE.test(formatted.stdout)]).toEqual([format, 0, false]);
  }
  const history = await daemon.cli("history");
  expect(history.code).toBe(0);
  expect(UNSAFE.test(history.stdout)).toBe(false);
  expect(history.stdout).toContain(clean.stdout.trim());
});

test("a file name and an app name with controls and line breaks are kept as plain lines", async () => {
  const named = await curl([
    "-H",
    `Authorization: Bearer ${apiToken(daemon)}`,
    "-F",
    // (the multipart parser refuses control characters in a part's headers with 400: those come by the socket below)
    `file=@${wav};filename=memo\u202eevil\u2066\u2028.wav`,
    "-F",
    "model=whisper-1",
    `http://127.0.0.1:${port}/v1/audio/transcriptions`,
  ]);
  expect(named.status).toBe(200);
  expect((await newest()).sourceFile).toBe("memoevil.wav");
  const uploaded = await client.transcribeBytes(readFileSync(wav), "memo\u001b[2J\u0007\r\n.wav").promise;
  expect(uploaded.durationSeconds).toBeGreaterThan(0);
  expect((await newest()).sourceFile).toBe("memo[2J.wav");

  await client.transcribeFile(wav, { options: { app: "Notes\n\u001b[2JEvil\u2066" } }).promise;
  expect((await newest()).app).toBe("Notes[2JEvil");
});
