// A config.json that is not a regular file, or is far too large, on the real daemon and the real CLI: it is read
// without blocking and never more than the size limit, the daemon starts with the defaults and says (in its log and
// `verbatim status`) which file was ignored, why and what to do, edits are refused saying the same, and the CLI's own
// readers do not hang. A daemon started by the CLI that never answers is stopped, not left behind, and what it said
// is shown.
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { cliEntry, DaemonProcess } from "../support/daemon-process";

jest.setTimeout(120_000);

/** No model is loaded: a folder that does not exist fails at once (the file's own model setting is not read). */
const NO_MODEL = "/nonexistent/verbatim-test-model";

const daemons: DaemonProcess[] = [];

afterAll(async () => {
  for (const daemon of daemons) await daemon.dispose();
});

/** A daemon whose config.json is replaced by `make(file)` before it starts. */
async function startWith(make: (file: string) => void): Promise<DaemonProcess> {
  const daemon = new DaemonProcess({}, { env: { VERBATIM_MODEL: NO_MODEL } });
  daemons.push(daemon);
  const file = path.join(daemon.home, "config.json");
  rmSync(file);
  make(file);
  await daemon.start();
  return daemon;
}

const fifo = (file: string) => execFileSync("mkfifo", [file]);

test.each([
  ["a named pipe", fifo, "it is a named pipe (FIFO), not a regular file"],
  ["a link to /dev/zero", (file: string) => symlinkSync("/dev/zero", file), "it is a device, not a regular file"],
  [
    "larger than 1 MiB",
    (file: string) => writeFileSync(file, `{"threads": 1${" ".repeat(1024 * 1024)}}`),
    "it holds more than 1 MiB, far more than settings take",
  ],
])("a config.json that is %s: the daemon starts with the defaults and says why", async (_, make, reason) => {
  const daemon = await startWith(make);
  const file = path.join(daemon.home, "config.json");
  const problem =
    `${file} was ignored (${reason}), so every setting is its default. Fix it, or remove it to have the defaults ` +
    "written there, then restart the daemon: verbatim daemon restart";
  expect((await daemon.status()).config).toEqual({ file, firstRun: false, problems: [problem] });
  expect((await daemon.cli("status")).stdout).toContain(`\nconfig:  ${problem}\n`);

  // An edit is refused, saying what the file is and what to do; the daemon goes on.
  const added = await daemon.cli("vocabulary", "add", "Kubernetes");
  expect(added.code).not.toBe(0);
  expect(added.stderr).toContain(`${file} cannot be used (${reason}): make it a regular JSON file, or remove it`);
  expect((await daemon.status()).pid).toBe(daemon.child?.pid);
});

test("a config.json that is a link to a regular file is read through it", async () => {
  const daemon = await startWith((file) => {
    const real = path.join(path.dirname(file), "settings.json");
    writeFileSync(real, JSON.stringify({ keepResults: 7 }));
    symlinkSync(real, file);
  });
  expect((await daemon.status()).config?.problems).toEqual([]);
  await daemon.cli("vocabulary", "add", "Kubernetes");
  expect((await daemon.cli("vocabulary", "list")).stdout).toContain("Kubernetes");
});

test("the CLI's own config readers do not hang on a named pipe", async () => {
  const daemon = new DaemonProcess({}, { env: { VERBATIM_MODEL: NO_MODEL } });
  daemons.push(daemon);
  const file = path.join(daemon.home, "config.json");
  rmSync(file);
  fifo(file);
  // --no-daemon reads the config in the CLI's own process, then fails on the model that is not there.
  const audio = path.join(daemon.home, "silence.wav");
  execFileSync("sox", ["-n", "-r", "16000", "-c", "1", "-b", "16", audio, "trim", "0", "1"]);
  const run = await daemon.cli("transcribe", "--no-daemon", "--model", NO_MODEL, audio);
  expect(run.code).toBe(4); // the model is unavailable: the config was read (ignored) without hanging
});

test("verbatim daemon start with a named pipe as config.json starts the daemon", async () => {
  const daemon = new DaemonProcess({}, { env: { VERBATIM_MODEL: NO_MODEL } });
  daemons.push(daemon);
  const file = path.join(daemon.home, "config.json");
  rmSync(file);
  fifo(file);
  const started = await daemon.cli("daemon", "start");
  try {
    expect(started).toMatchObject({ code: 0, stdout: expect.stringContaining("verbatimd started") });
    expect((await daemon.status()).config?.problems).toEqual([expect.stringContaining("named pipe (FIFO)")]);
  } finally {
    await daemon.cli("daemon", "stop");
  }
});

test("a daemon started by the CLI that never answers is stopped, and what it said is shown", async () => {
  const home = mkdtempSync(path.join(os.tmpdir(), "vd-"));
  try {
    // The daemon (not the CLI) blocks for good before it listens, after saying so, as a daemon stuck in open() would.
    const stuck = path.join(home, "stuck.cjs");
    writeFileSync(
      stuck,
      `if (process.argv[1].endsWith("verbatimd.js")) {
         process.stderr.write("stuck before listening\\n");
         Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
       }`,
    );
    const env = {
      ...process.env,
      VERBATIM_HOME: home,
      VERBATIM_SOCKET: path.join(home, "verbatimd.sock"),
      VERBATIM_MODEL: NO_MODEL,
      NODE_OPTIONS: `--require ${stuck}`,
    };
    const run = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(process.execPath, [cliEntry, "daemon", "start"], { env }, (error, _stdout, stderr) =>
        resolve({ code: error ? Number(error.code) : 0, stderr }),
      ),
    );
    expect(run.code).toBe(5);
    expect(run.stderr).toMatch(/verbatimd \(pid \d+\) did not answer within 15 s of starting, so it was stopped/);
    expect(run.stderr).toContain("It said:\nstuck before listening");
    const pid = Number(/\(pid (\d+)\)/.exec(run.stderr)![1]);
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: "ESRCH" }));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
