// Files that hold what the user said or the API's secret are the user's alone (0600), on the real daemon with the
// real engine, SQLite, encoder and CLI: made so under a umask of 000 (which leaves new files open to everyone), and
// made so again at the next start or `api on` when something (an older version, a restored backup) left them
// readable by others. An API key that is garbage, or is not the certificate's, is made again, and the API serves.
import { createPrivateKey, X509Certificate } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort, curl } from "../support/api";
import { DaemonProcess } from "../support/daemon-process";
import { heldoutWav, pcmOf, sendPcm, startDictation, stopDictation } from "../support/dictation";
import { fixtureModel } from "../support/fixtures";

jest.setTimeout(180_000);

const daemons: DaemonProcess[] = [];
const scripts = mkdtempSync(path.join(os.tmpdir(), "vd-umask-"));
const openUmask = path.join(scripts, "umask.cjs");
writeFileSync(openUmask, "process.umask(0o000);\n");

afterAll(async () => {
  for (const daemon of daemons) await daemon.dispose();
  rmSync(scripts, { recursive: true, force: true });
});

/** A daemon (and CLI) whose umask is 000: every file made without an explicit mode is readable by everyone. */
function openUmaskDaemon(config: Record<string, unknown>): DaemonProcess {
  const daemon = new DaemonProcess(config, { env: { NODE_OPTIONS: `--require ${openUmask}` } });
  daemons.push(daemon);
  return daemon;
}

const modeOf = (file: string) => (statSync(file).mode & 0o777).toString(8);

test("the history database, its -wal and -shm, and kept FLAC recordings are 0600, and made so at the next start", async () => {
  const daemon = openUmaskDaemon({ model: fixtureModel(), threads: 2, historyKeepsRecordings: "dictations" });
  await daemon.start();
  await daemon.waitForModel();
  const client = await daemon.connect();
  const folder = path.join(daemon.home, "state", "history");
  const database = path.join(folder, "history.sqlite");
  const files = () => [database, `${database}-wal`, `${database}-shm`, flac];
  let flac = "";
  try {
    const following = await startDictation(client);
    sendPcm(client, following.session, await pcmOf(heldoutWav("heldout-04.wav")));
    await stopDictation(client, following.session);
    // The kept recording is compressed in the background; the entry names the FLAC once it is.
    for (let tries = 0; tries < 300 && !flac.endsWith(".flac"); tries++) {
      const event = await client.request({ type: "history.list" });
      flac = (event.type === "done" && event.history?.entries[0]?.recording) || "";
      if (!flac.endsWith(".flac")) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(flac).toMatch(/\.flac$/);
    for (const file of files()) expect([file, modeOf(file)]).toEqual([file, "600"]);
  } finally {
    client.close();
  }

  // Killed, its -wal and -shm stay; readable by others (as an older version left them), they are private again once
  // the daemon starts.
  daemon.child?.kill("SIGKILL");
  await daemon.exited();
  for (const file of files()) {
    expect(existsSync(file)).toBe(true);
    chmodSync(file, 0o644);
  }
  await daemon.start();
  await daemon.waitForModel();
  for (const file of files()) expect([file, modeOf(file)]).toEqual([file, "600"]);
});

test("api on makes the TLS key 0600 whatever was there, and makes again a key that is garbage", async () => {
  const [port, tlsPort] = [await freePort(), await freePort()];
  const daemon = openUmaskDaemon({ model: "/nonexistent/verbatim-test-model", threads: 1 });
  await daemon.start();
  const folder = path.join(daemon.home, "api-tls");
  const keyFile = path.join(folder, "private-key.pem");
  const certificateFile = path.join(folder, "certificate.pem");
  const apiOn = async () => {
    const on = await daemon.cli("api", "on", "--port", String(port), "--tls", "--tls-port", String(tlsPort));
    expect(on).toMatchObject({ code: 0, stderr: "" });
    // The API answers over TLS with the certificate as it now is (401: no token sent).
    const health = await curl(["--cacert", certificateFile, `https://127.0.0.1:${tlsPort}/v1/models`]);
    expect(health.status).toBe(401);
    expect(await daemon.cli("api", "off")).toMatchObject({ code: 0 });
  };

  await apiOn();
  expect(modeOf(keyFile)).toBe("600");

  // Restored from a backup readable by others: private again, the same key and certificate kept.
  chmodSync(keyFile, 0o644);
  const certificate = readFileSync(certificateFile, "utf8");
  await apiOn();
  expect(modeOf(keyFile)).toBe("600");
  expect(readFileSync(certificateFile, "utf8")).toBe(certificate);

  // Garbage: a new key and certificate, said in the log.
  writeFileSync(keyFile, "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n", { mode: 0o644 });
  await apiOn();
  expect(modeOf(keyFile)).toBe("600");
  const made = new X509Certificate(readFileSync(certificateFile));
  expect(made.checkPrivateKey(createPrivateKey(readFileSync(keyFile)))).toBe(true);
  expect(readFileSync(path.join(daemon.home, "logs", "verbatimd.log"), "utf8")).toContain(
    "the API's TLS key is not a key of its certificate (or does not parse): both are made again",
  );
});
