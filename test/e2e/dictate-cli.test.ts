// `verbatim dictate` and `verbatim dictations` as a user runs them, against a real daemon with the fixture model:
// a held-out recording streamed through a live dictation ends with the batch transcript of the same file. A
// dictation that ends early (maxDictationSeconds, cancelled elsewhere, the daemon stopped or killed) ends the command
// with its text so far and what happened, never a stack trace; `dictations stop|cancel|attach` reach it from anywhere.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { DictationInfo } from "../../daemon/src/protocol";
import { DaemonProcess } from "../support/daemon-process";
import { heldoutWav } from "../support/dictation";
import { fixtureModel, repoRoot } from "../support/fixtures";
import { onTerminal } from "../support/terminal";

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

function run(
  args: string[],
  whileRunning?: (child: ReturnType<typeof spawn>) => void,
  env: NodeJS.ProcessEnv = daemon.env,
): Promise<Run> {
  const child = spawn(process.execPath, [verbatim, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
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
  // Ctrl-C once 0.6 s of audio has reached the dictation (its level events say how much), however long the start took.
  const stopped = await run(["dictate", "--input", wav, "--json"], (child) => {
    let lines = "";
    const watch = (chunk: Buffer) => {
      lines += chunk;
      if (!/"type":"level","at":(0\.[6-9]|[1-9])/.test(lines)) return;
      child.stdout?.off("data", watch);
      child.kill("SIGINT");
    };
    child.stdout?.on("data", watch);
  });
  expect(stopped.code).toBe(0);
  const final = JSON.parse(stopped.stdout.trim().split("\n").at(-1)!);
  // Only the audio sent before Ctrl-C was recognised (sent at real-time pace, after the CLI's start-up).
  expect(final.duration).toBeGreaterThan(0.3);
  expect(final.duration).toBeLessThan(batch.duration - 0.5);
  expect(final.text).not.toBe(batch.text);

  // Ctrl-\ once the dictation runs (the daemon lists it with some audio).
  const cancelled = await run(["dictate", "--input", wav], (child) => {
    void (async () => {
      const client = await daemon.connect();
      try {
        for (let running = false; !running; await new Promise((resolve) => setTimeout(resolve, 50))) {
          const event = await client.request({ type: "dictation.list" });
          const dictations = event.type === "done" ? (event.dictations ?? []) : [];
          running = dictations.some((info) => info.state === "running" && info.audioSeconds > 0.2);
        }
      } finally {
        client.close();
      }
      child.kill("SIGQUIT");
    })();
  });
  expect(cancelled.code).toBe(130);
  expect(cancelled.stdout).toBe("");
  expect(cancelled.stderr).toMatch(/canceled/);
});

test("on a terminal it shows the keys once it runs, and Enter stops it", async () => {
  // 5 s of silence first: Enter, typed as the hint appears, stops it before any speech (else the text would print).
  const media = mkdtempSync(path.join(os.tmpdir(), "verbatim-dictate-keys-"));
  const padded = path.join(media, "padded.wav");
  execFileSync("sox", [wav, padded, "pad", "5", "0"]);
  try {
    const result = await onTerminal(
      [process.execPath, verbatim, "dictate", "--input", padded],
      daemon.env,
      "Esc cancels",
      "",
    );
    expect(result.output).toContain("Dictating: Enter stops and prints the text, Esc cancels.\n");
    expect(result.output).toContain("verbatim: No speech detected");
    expect(result.code).toBe(6);
    // Without a terminal there are no keys to name.
    expect((await run(["dictate", "--input", wav, "--fast"])).stderr).toBe("");
  } finally {
    rmSync(media, { recursive: true, force: true });
  }
});

test("dictations list and retry, and clear errors for a missing recording or file", async () => {
  const list = await run(["dictations", "list"]);
  expect(list).toMatchObject({ code: 0, stdout: "No dictation recordings are waiting.\n" });
  const retry = await run(["dictations", "retry", "20990101T000000Z-000000"]);
  expect(retry.code).toBe(7);
  expect(retry.stderr).toMatch(
    /no recording "20990101T000000Z-000000" \(verbatim dictations list shows the recordings kept\)/,
  );
  const missing = await run(["dictate", "--input", path.join(daemon.home, "nothing.wav")]);
  expect(missing.code).toBe(3);
  expect(missing.stderr).toMatch(/nothing\.wav/);
});

describe("a dictation that ends early", () => {
  const media = mkdtempSync(path.join(os.tmpdir(), "verbatim-dictate-cli-"));
  /** 15 s of speech: long enough to still be streaming (at real-time pace) when the dictation is ended early. */
  const long = path.join(media, "long.wav");
  const stackTrace = /\n\s+at |DaemonUnreachableError|Error:/;

  beforeAll(() => {
    const parts = ["05", "03", "04", "00"].map((n) => heldoutWav(`heldout-${n}.wav`));
    execFileSync("sox", [...parts, long]);
  });

  afterAll(() => rmSync(media, { recursive: true, force: true }));

  /** The dictation running on `on`, once it has received `seconds` of audio. */
  async function runningDictation(on: DaemonProcess, seconds: number): Promise<DictationInfo> {
    const client = await on.connect();
    let running: DictationInfo | undefined;
    try {
      for (let i = 0; i < 300 && !(running && running.audioSeconds >= seconds); i++) {
        const event = await client.request({ type: "dictation.list" });
        running = (event.type === "done" ? (event.dictations ?? []) : []).find((info) => info.state === "running");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      client.close();
    }
    if (!running) throw new Error("no dictation started");
    return running;
  }

  /** The dictation running on `on`, once it has committed some text (so that there is text so far). */
  async function dictationWithText(on: DaemonProcess): Promise<DictationInfo> {
    const info = await runningDictation(on, 0);
    const client = await on.connect();
    try {
      await new Promise<void>((resolve, reject) => {
        client
          .request({ type: "dictation.attach", session: info.session }, (event) => {
            if (event.type === "dictation.committed" && event.text.trim()) resolve();
          })
          .then(() => reject(new Error("the dictation ended before it committed any text")), reject);
      });
    } finally {
      client.close();
    }
    return info;
  }

  test("maxDictationSeconds: the final text of what came before, one notice, no errors about late audio", async () => {
    const limited = await DaemonProcess.ready({ model, threads: 2, maxDictationSeconds: 3 });
    try {
      const plain = await run(["dictate", "--input", long], undefined, limited.env);
      expect(plain.code).toBe(0);
      expect(plain.stdout.trim()).not.toBe("");
      // Said once, with what to do; no per-frame "audio sent after dictation.stop" errors, no stack trace.
      expect(plain.stderr).toBe(
        "verbatim: the dictation reached maxDictationSeconds (3 s) and stopped; audio after that is not used. " +
          "For longer dictations raise maxDictationSeconds in config.json.\n",
      );

      const json = await run(["dictate", "--input", long, "--json"], undefined, limited.env);
      expect(json.stderr).toBe("");
      expect(json.code).toBe(0);
      const lines = json.stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line));
      const final = lines.pop();
      expect(lines.filter((line) => line.type === "notice")).toEqual([
        expect.objectContaining({ message: expect.stringMatching(/^the dictation reached maxDictationSeconds/) }),
      ]);
      expect(lines.find((line) => line.type === "stopping")).toMatchObject({ reason: "max_duration" });
      // The audio that arrived in the first 3 s (streamed at real-time pace), not the 15 s of the file.
      expect(final.duration).toBeGreaterThan(2);
      expect(final.duration).toBeLessThan(4);
      expect(final.text).not.toBe("");
    } finally {
      await limited.dispose();
    }
  });

  test("cancelled by another client (verbatim dictations cancel): its text so far and why, exit 130", async () => {
    let cancelling: Promise<{ session: string; cancelled: Run }> | null = null;
    const dictated = await run(["dictate", "--input", long], () => {
      cancelling = dictationWithText(daemon).then(async (info) => ({
        session: info.session,
        cancelled: await run(["dictations", "cancel"]),
      }));
    });
    const { session, cancelled } = await cancelling!;
    expect(cancelled).toEqual({ code: 0, stdout: `Canceled the dictation ${session}.\n`, stderr: "" });
    expect(dictated.code).toBe(130);
    expect(dictated.stderr).not.toMatch(stackTrace);
    expect(dictated.stderr).toMatch(/^verbatim: another client canceled the dictation \(verbatim dictations cancel/);
    expect(dictated.stdout.trim()).not.toBe(""); // the words committed before the cancel
  });

  test("dictations stop and attach from another terminal end it with the same final text", async () => {
    let others: Promise<{ attached: Run; stopped: Run }> | null = null;
    const dictated = await run(["dictate", "--input", long], () => {
      others = runningDictation(daemon, 1).then(async () => {
        const attached = run(["dictations", "attach"]);
        await runningDictation(daemon, 3);
        return { stopped: await run(["dictations", "stop"]), attached: await attached };
      });
    });
    const { attached, stopped } = await others!;
    expect(dictated).toMatchObject({ code: 0, stderr: "" });
    expect(dictated.stdout.trim()).not.toBe("");
    expect(stopped).toEqual({ code: 0, stdout: dictated.stdout, stderr: "" });
    expect(attached).toEqual({ code: 0, stdout: dictated.stdout, stderr: "" });

    const none = await run(["dictations", "stop"]);
    expect(none.code).toBe(7);
    expect(none.stderr).toMatch(
      /no dictation is running; to stop an earlier one, name it: verbatim dictations stop ID/,
    );
  });

  test("the daemon stopped mid-stream: its text so far, where the audio is, exit 5 (unreachable, not a cancel)", async () => {
    let stopping: Promise<string> | null = null;
    const dictated = await run(["dictate", "--input", long], () => {
      stopping = dictationWithText(daemon).then(async (info) => {
        await daemon.stop();
        return info.session;
      });
    });
    const session = await stopping!;
    expect(dictated.code).toBe(5);
    expect(dictated.stderr).not.toMatch(stackTrace);
    expect(dictated.stderr).toContain(
      `verbatim: verbatimd stopped during the dictation. Its audio is kept: once verbatimd is back, \`verbatim dictations retry ${session}\` transcribes its recording.`,
    );
    expect(dictated.stdout.trim()).not.toBe("");
    await daemon.start();
    await daemon.waitForModel();
  });

  test("the daemon killed mid-stream (SIGKILL): its text so far, where the audio is, exit 5", async () => {
    let killing: Promise<string> | null = null;
    const dictated = await run(["dictate", "--input", long], () => {
      killing = dictationWithText(daemon).then((info) => {
        daemon.child!.kill("SIGKILL");
        return info.session;
      });
    });
    const session = await killing!;
    expect(dictated.code).toBe(5);
    expect(dictated.stderr).toMatch(/^verbatim: verbatimd went away during the dictation \(Cannot reach verbatimd at /);
    expect(dictated.stderr).toContain(`\`verbatim dictations retry ${session}\` transcribes its recording`);
    expect(dictated.stderr).not.toMatch(/\n\s+at /);
    expect(dictated.stdout.trim()).not.toBe("");
    await daemon.exited();
    await daemon.start();
    await daemon.waitForModel();
    const retried = await run(["dictations", "retry", session]);
    expect(retried.code).toBe(0);
    expect(retried.stdout.trim()).not.toBe("");
  });
});
