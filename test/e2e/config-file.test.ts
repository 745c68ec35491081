// config.json and the real daemon on a real socket: hand edits saved (by another process, in place, as editors and
// scripts save) while the daemon writes vocabulary edits are never lost, and a config file the daemon could not use
// is reported by `verbatim status`, saying it was ignored and why, not only in the log.
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { DaemonClient } from "../../daemon/src/client";
import { DaemonProcess } from "../support/daemon-process";

jest.setTimeout(180_000);

/** No model is loaded: these tests need none, and a folder that does not exist fails at once. */
const NO_MODEL = { model: "/nonexistent/verbatim-test-model", threads: 1 };

const daemons: DaemonProcess[] = [];
async function startDaemon(config: Record<string, unknown>, fileText?: string): Promise<DaemonProcess> {
  const daemon = new DaemonProcess(config);
  daemons.push(daemon);
  if (fileText !== undefined) writeFileSync(path.join(daemon.home, "config.json"), fileText);
  await daemon.start();
  return daemon;
}

afterAll(async () => {
  for (const daemon of daemons) await daemon.dispose();
});

/**
 * Another process edits `file` by hand `count` times, as a script or an editor saving in place does: read it, set
 * "handN": N, write it back (truncate, then write), a few milliseconds apart.
 */
function handEdits(file: string, count: number): Promise<void> {
  const script = `
    const fs = require("node:fs");
    const [file, count] = [process.argv[1], Number(process.argv[2])];
    const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
    for (let n = 0; n < count; n++) {
      const values = JSON.parse(fs.readFileSync(file, "utf8"));
      values["hand" + n] = n;
      fs.writeFileSync(file, JSON.stringify(values, null, 2) + "\\n");
      sleep(2 + Math.random() * 15);
    }`;
  const editor = spawn(process.execPath, ["-e", script, file, String(count)], { stdio: ["ignore", "ignore", "pipe"] });
  let errors = "";
  editor.stderr.on("data", (chunk) => (errors += chunk));
  return new Promise((resolve, reject) =>
    editor.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`the hand editor failed: ${errors}`)))),
  );
}

test("hand edits saved while the daemon writes vocabulary edits are all kept", async () => {
  const daemon = await startDaemon(NO_MODEL);
  const file = path.join(daemon.home, "config.json");
  const clients: DaemonClient[] = await Promise.all([daemon.connect(), daemon.connect()]);
  try {
    const HAND_EDITS = 30;
    let editing = true;
    const edited = handEdits(file, HAND_EDITS).finally(() => (editing = false));
    // Two clients add terms back to back for as long as the hand edits go on.
    const added: string[] = [];
    await Promise.all(
      clients.map(async (client, which) => {
        for (let n = 0; editing; n++) {
          const term = `Term${which}x${n}`;
          const event = await client.request({ type: "vocabulary.add", term });
          expect(event.type).toBe("done");
          added.push(term);
        }
      }),
    );
    await edited;
    // The daemon wrote between the hand saves: 28 terms over the 30 saves on 2 cores with a whole test run beside it,
    // more on an idle machine; a third of that still interleaves a write with most saves.
    expect(added.length).toBeGreaterThanOrEqual(10);

    const values = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    const lost = Array.from({ length: HAND_EDITS }, (_, n) => `hand${n}`).filter((key) => !(key in values));
    expect(lost).toEqual([]);
    // Every setting the test wrote is still there, and the vocabulary is a list of the terms added (a hand save
    // that read the file before a term was added and wrote it after takes that term away: it is the person's edit).
    expect(values).toMatchObject(NO_MODEL);
    for (const term of (values.vocabulary as { terms: string[] }).terms) expect(added).toContain(term);

    // Once the hand edits stop, an edit lands beside all of them.
    await clients[0]!.request({ type: "vocabulary.add", term: "Afterwards" });
    const after = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    expect(after).toEqual({ ...values, vocabulary: expect.anything() });
    expect((after.vocabulary as { terms: string[] }).terms.at(-1)).toBe("Afterwards");
  } finally {
    for (const client of clients) client.close();
  }
});

test.each([
  ["not valid JSON", '{ "model": "base.en", "threads": 2,, }', /is not valid JSON/],
  ["not an object", '["model", "base.en"]', /does not hold a JSON object/],
])("a config file that is %s: verbatim status says it was ignored and why", async (_, text, why) => {
  const daemon = await startDaemon(NO_MODEL, text);
  const file = path.join(daemon.home, "config.json");
  const status = await daemon.status();
  expect(status.config?.file).toBe(file);
  expect(status.config?.problems).toEqual([expect.stringContaining(`${file} was ignored (`)]);
  const problem = status.config!.problems[0]!;
  expect(problem).toMatch(why);
  expect(problem).toMatch(/every setting is its default.*then restart the daemon: verbatim daemon restart$/);

  const shown = await daemon.cli("status");
  expect(shown.stdout).toContain(`\nconfig:  ${problem}\n`);
  expect(JSON.parse((await daemon.cli("status", "--json")).stdout)).toMatchObject({
    config: { file, problems: [problem] },
  });
  // The file is left for the person to fix: the daemon did not write over it.
  expect(readFileSync(file, "utf8")).toBe(text);
});

test("a config file with an invalid setting: verbatim status names it and what was used instead", async () => {
  const daemon = await startDaemon({ ...NO_MODEL, historyDays: -3 });
  const problems = (await daemon.status()).config?.problems;
  expect(problems).toEqual([expect.stringMatching(/"historyDays" has an invalid value -3 .*; using 90$/)]);
  expect((await daemon.cli("status")).stdout).toContain(`\nconfig:  ${problems![0]}\n`);
  // A good file has none.
  const good = await startDaemon(NO_MODEL);
  expect((await good.status()).config?.problems).toEqual([]);
  expect((await good.cli("status")).stdout).not.toMatch(/^config:/m);
});

test("an unknown key is named with the setting meant, kept in the file, and not used", async () => {
  const daemon = await startDaemon({ ...NO_MODEL, modle: "tiny", "x-note": "mine" });
  const problems = (await daemon.status()).config?.problems;
  expect(problems).toEqual([
    expect.stringMatching(/"modle" is not a setting Verbatim knows \(did you mean "model"\?\); it is kept in the file/),
    expect.stringMatching(/"x-note" is not a setting Verbatim knows; it is kept in the file but not used$/),
  ]);
  expect((await daemon.cli("status")).stdout).toContain(`\nconfig:  ${problems![0]}\n`);
  expect(JSON.parse(readFileSync(path.join(daemon.home, "config.json"), "utf8"))).toMatchObject({ modle: "tiny" });
});
