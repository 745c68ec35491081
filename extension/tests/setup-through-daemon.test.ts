// The setup states, each told apart against the real daemon: not installed, installed but not running, a daemon
// speaking another protocol version (the protocol_version handshake), a model that failed to load, a model still
// downloading (from a local server speaking the Hugging Face Hub API); connections that are given up (a timeout, the
// view closing) never stay open, and the menu bar asks on one connection per refresh. @raycast/api is not involved.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DaemonProcess } from "../../test/support/daemon-process";
import { fixtureModel, makeRandomModel, repoRoot, smallEnglishDims } from "../../test/support/fixtures";
import { TestHub } from "../../daemon/tests/support/hub-server";
import { RecordingRunner } from "../../launchd/tests/recording-runner";
import {
  connect,
  ConnectAbortedError,
  DaemonTimeoutError,
  DaemonUnreachableError,
  ForeignSocketError,
  ProtocolMismatchError,
  type DaemonStatus,
} from "../src/lib/daemon-connection";
import {
  FIRST_RUN_ACTIONS,
  type FirstRunAction,
  INSTALL_COMMAND,
  modelDownloadMarkdown,
  serviceDefinitionFile,
  setupHudMessage,
  setupProblemOf,
  setupScreen,
  UPDATE_COMMAND,
} from "../src/lib/daemon-setup";
import { beginDictation, dictateGate, openDaemon } from "../src/lib/dictation-start";
import { loadMenuBar } from "../src/lib/menu-bar-model";
import {
  DaemonService,
  ServiceNotInstalledError,
  startModelSwitch,
  waitUntilAnswering,
} from "../src/lib/service-control";
import { FIRST_RUN_OPTIONS } from "../src/verbatimd/first-run-choice";
import { SlowRelay } from "./slow-relay";

jest.setTimeout(120_000);

const work = mkdtempSync(path.join(os.tmpdir(), "verbatim-setup-"));
const installedService = path.join(work, "app.verbatim.daemon.plist");
writeFileSync(installedService, "<plist/>");
const missingService = path.join(work, "missing.plist");
const parakeetFixture = path.join(repoRoot, "test", "fixtures", "models", "parakeet-tiny");
let daemon: DaemonProcess;

beforeAll(async () => {
  daemon = await DaemonProcess.ready({ model: fixtureModel(), threads: 1, maxConnections: 4 });
});

afterAll(async () => {
  await daemon?.dispose();
  rmSync(work, { recursive: true, force: true });
});

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) => error,
  );

test("no daemon: not installed without its LaunchAgent, not running with it, each screen with its actions", async () => {
  const nobody = await failureOf(connect(path.join(work, "nobody.sock"), { timeoutMs: 500 }));
  expect(nobody).toBeInstanceOf(DaemonUnreachableError);

  const notInstalled = setupProblemOf(nobody, missingService)!;
  expect(notInstalled.kind).toBe("not-installed");
  const install = setupScreen(notInstalled);
  expect(install.actions).toEqual(["copy-install-command", "try-again", "open-preferences"]);
  expect(INSTALL_COMMAND).toBe("npm install -g verbatim-dictation && verbatim daemon install");
  expect(install.markdown).toContain("\nnpm install -g verbatim-dictation\nverbatim daemon install\n");
  expect(install.markdown).toContain("it needs Node.js 22.16 or newer"); // the daemon's floor (its engines)
  expect(install.markdown).toMatch(/> Cannot reach verbatimd at .*nobody\.sock: verbatimd is not running\.\n$/);

  const stopped = setupProblemOf(nobody, installedService)!;
  expect(stopped.kind).toBe("stopped");
  expect(setupScreen(stopped).actions[0]).toBe("start-daemon");
  expect(setupScreen(stopped).markdown).toMatch(/^# Verbatim Is Not Running\n/);
  expect(setupHudMessage(stopped)).toBe("Verbatim is not running: open Dictate to start it");

  expect(serviceDefinitionFile("darwin", "/Users/ana")).toBe(
    "/Users/ana/Library/LaunchAgents/app.verbatim.daemon.plist",
  );
  expect(setupProblemOf(new ForeignSocketError("/tmp/v.sock", 65534))).toMatchObject({ kind: "unreachable" });
  expect(setupProblemOf(new Error("something else"))).toBeNull();
});

test("another protocol version: the daemon's status says which side to update, and no connection stays open", async () => {
  // This extension claiming protocol 2 meets a daemon of protocol 1: the daemon is the older one.
  for (let attempt = 0; attempt < 6; attempt++) {
    const newer = await failureOf(connect(daemon.socket, { protocol: 2 }));
    expect(newer).toBeInstanceOf(ProtocolMismatchError);
    expect(newer).toMatchObject({ clientProtocol: 2, daemonProtocol: 1, daemonVersion: expect.any(String) });
  }
  const newerClient = await failureOf(connect(daemon.socket, { protocol: 2 }));
  const updateDaemon = setupProblemOf(newerClient)!;
  expect(updateDaemon).toMatchObject({ kind: "update-daemon", daemonVersion: (await daemon.status()).version });
  expect(setupScreen(updateDaemon).actions[0]).toBe("copy-update-command");
  expect(UPDATE_COMMAND).toBe("npm install -g verbatim-dictation && verbatim daemon restart");

  const olderClient = await failureOf(connect(daemon.socket, { protocol: 0 }));
  const updateExtension = setupProblemOf(olderClient)!;
  expect(updateExtension.kind).toBe("update-extension");
  expect(setupScreen(updateExtension).markdown).toMatch(/^# Update the Verbatim Extension\n/);

  // Eight refused connections were all closed: the daemon, taking 4 at once, still takes 4 more.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const clients = await Promise.all([1, 2, 3, 4].map(() => connect(daemon.socket)));
  for (const client of clients) client.close();
});

test("a connection that answers after the timeout, or after the view closed, is closed, and nothing starts", async () => {
  const relay = await SlowRelay.start(work, daemon.socket, 700);
  try {
    const late = await failureOf(connect(relay.socket, { timeoutMs: 200 }));
    expect(late).toBeInstanceOf(DaemonTimeoutError);
    expect((late as Error).message).toMatch(/did not answer within 0\.2 s$/);
    const busy = setupProblemOf(late, installedService)!;
    expect(busy.kind).toBe("not-answering");
    expect(setupScreen(busy).actions).toEqual(["try-again", "restart-daemon", "open-logs"]);
    // The menu bar gives up as quickly, with the down menu, and its connection closes too.
    expect(await loadMenuBar(relay.socket, [], missingService, 200)).toMatchObject({
      state: "down",
      setup: "not-answering",
      details: ["The daemon does not answer"],
    });

    // Dictate closes while it connects: no dictation starts, and the connection is closed once it completes.
    const closing = new AbortController();
    const opening = failureOf(openDaemon(relay.socket, closing.signal));
    setTimeout(() => closing.abort(), 100);
    expect(await opening).toBeInstanceOf(ConnectAbortedError);
    await new Promise((resolve) => setTimeout(resolve, 1200)); // the relayed connections have completed by now
    await relay.allClosed();
    expect(relay.connections).toBe(3);
  } finally {
    await relay.close();
  }

  // Dictate closes while it gathers the dictation's setup (the frontmost app): nothing is started.
  const closing = new AbortController();
  const opened = await openDaemon(daemon.socket, closing.signal);
  const run = await beginDictation(opened.client, closing.signal, async () => {
    closing.abort();
    return { source: "stream", onChange: () => undefined };
  });
  expect(run).toBeNull();
  expect(await failureOf(opened.client.status())).toBeInstanceOf(DaemonUnreachableError);
  const watcher = await connect(daemon.socket);
  const listed = await watcher.request({ type: "dictation.list" });
  expect(listed.type === "done" && listed.dictations).toEqual([]);
  watcher.close();
});

test("the menu bar asks everything on one connection per refresh", async () => {
  const relay = await SlowRelay.start(work, daemon.socket, 0);
  try {
    const view = await loadMenuBar(relay.socket, []);
    expect(view.state).toBe("ready");
    expect(relay.connections).toBe(1);
    await relay.allClosed();
  } finally {
    await relay.close();
  }
});

test("a model that failed to load is its own screen, and Dictate does not start", async () => {
  const broken = new DaemonProcess({ model: path.join(work, "no-such-model"), threads: 1 });
  try {
    await broken.start();
    let status: DaemonStatus = await broken.status();
    for (let tries = 0; tries < 200 && status.model.state !== "failed"; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = await broken.status();
    }
    const gate = dictateGate(status);
    expect(gate).toMatchObject({ kind: "problem", problem: { kind: "model-failed", model: status.model.id } });
    const screen = setupScreen((gate as { problem: Parameters<typeof setupScreen>[0] }).problem);
    expect(screen.title).toBe("The Speech Model Did Not Load");
    expect(screen.actions).toEqual(["retry-model", "open-preferences", "open-logs"]);
    expect(screen.markdown).toContain("no-such-model");
    expect((await loadMenuBar(broken.socket, [])).state).toBe("failed");
  } finally {
    await broken.dispose();
  }
});

/** A daemon that downloads its model from the test hub. */
class DownloadingDaemon extends DaemonProcess {
  constructor(
    config: Record<string, unknown>,
    private readonly hub: TestHub,
  ) {
    super(config);
  }
  override get env(): NodeJS.ProcessEnv {
    return {
      ...super.env,
      HF_HUB_OFFLINE: "",
      HF_ENDPOINT: this.hub.url,
      HF_HUB_CACHE: path.join(this.home, "hub-cache"),
    };
  }
}

test("a model still downloading: its own screen with the progress, then dictation may start", async () => {
  const hub = await TestHub.start();
  const published = makeRandomModel(smallEnglishDims, ["--dtype", "float16", "--seed", "7"]);
  const repo = await hub.addRepoFromFolder("verbatim-test/slow-model", published);
  hub.injectFault(repo.repoId, "weights.safetensors", { kind: "trickle", bytes: 300_000, intervalMs: 100 });
  const downloading = new DownloadingDaemon({ model: repo.repoId, threads: 1 }, hub);
  try {
    await downloading.start();
    let status = await downloading.status();
    const weightsArriving = (progress: DaemonStatus["model"]["progress"]) =>
      progress?.stage === "download" && progress.detail?.startsWith("weights.safetensors") && progress.fraction! < 1;
    for (let tries = 0; tries < 400 && !weightsArriving(status.model.progress); tries++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      status = await downloading.status();
    }
    const gate = dictateGate(status);
    expect(gate.kind).toBe("downloading");
    const loading = (gate as Extract<typeof gate, { kind: "downloading" }>).loading;
    expect(loading).toMatchObject({ model: repo.repoId, downloading: true });
    expect(loading.fraction).toBeGreaterThanOrEqual(0);
    expect(loading.fraction).toBeLessThan(1);
    expect(loading.detail).toMatch(/^weights\.safetensors: [\d.]+ of [\d.]+ MB at [\d.]+ MB\/s$/);
    const markdown = modelDownloadMarkdown(loading);
    expect(markdown).toMatch(/^# Downloading the Speech Model\n/);
    expect(markdown).toMatch(/\*\*\d+%\*\*/);
    expect((await loadMenuBar(downloading.socket, [])).details).toContainEqual(
      expect.stringMatching(/^State: downloading \d+%$/),
    );
    expect((await downloading.cli("status")).stdout).toMatch(/^loading: downloading \d+% \(weights\.safetensors: /m);

    await downloading.waitForModel();
    expect(dictateGate(await downloading.status())).toEqual({ kind: "start" });
    expect((await downloading.status()).model.progress).toBeNull();
  } finally {
    await downloading.dispose();
    await hub.close();
    rmSync(published, { recursive: true, force: true });
  }
});

test("first run: the model choice comes first, nothing downloads before it, and the choice is kept", async () => {
  const hub = await TestHub.start();
  const parakeet = FIRST_RUN_ACTIONS["choose-parakeet"];
  await hub.addRepoFromFolder("mlx-community/parakeet-tdt-0.6b-v3", parakeetFixture);
  const fresh = new DownloadingDaemon({}, hub);
  const configFile = path.join(fresh.home, "config.json");
  rmSync(configFile); // no config yet: the daemon's first start writes it
  try {
    await fresh.start();
    const status = await fresh.status();
    expect(status.config?.firstRun).toBe(true);
    expect(status.model).toMatchObject({ id: "large-v3-turbo-4bit", state: "unloaded", progress: null });
    expect(JSON.parse(readFileSync(configFile, "utf8")).model).toBe("large-v3-turbo-4bit"); // the default, named
    const gate = dictateGate(status);
    expect(gate).toEqual({ kind: "problem", problem: { kind: "choose-model" } });
    const screen = setupScreen({ kind: "choose-model" });
    expect(screen.title).toBe("Choose a Speech Model");
    expect(screen.actions).toEqual(["choose-whisper", "choose-parakeet", "choose-nemotron"]);
    // Each option the screen describes has its action, in the same order.
    const chosen = screen.actions.map((action) => FIRST_RUN_ACTIONS[action as FirstRunAction].model);
    expect(chosen).toEqual(FIRST_RUN_OPTIONS.map((option) => option.model));
    expect(chosen).toEqual(["large-v3-turbo-4bit", "parakeet-v3", "nemotron-streaming-en"]);
    expect(screen.markdown).toMatch(/Whisper Large v3 Turbo[\s\S]*100 languages[\s\S]*Parakeet TDT v3[\s\S]*6\.32%/);
    expect(screen.markdown).toMatch(/6\.32%[\s\S]*Nemotron Speech Streaming \(English\)[\s\S]*2\.29% streaming/);
    // The idle unload is offered beside the choice: the memory a loaded model holds, or a wait after an unload.
    expect(screen.markdown).toMatch(/holds its memory[\s\S]*\*\*When Idle\*\*[\s\S]*waits for it to load again/);
    expect(setupHudMessage({ kind: "choose-model" })).toMatch(/choose a speech model first/);
    const doctor = await fresh.cli("doctor");
    expect(doctor.stdout).toMatch(/^warning\s+model choice\s+no model chosen yet/m);
    expect(doctor.stdout).toContain("verbatim models use large-v3-turbo-4bit: Whisper Large v3 Turbo (4-bit)");
    expect(doctor.stdout).toContain("verbatim models use parakeet-v3: Parakeet TDT v3");
    expect(doctor.stdout).toContain("verbatim models use nemotron-streaming-en: Nemotron Speech Streaming (English)");
    expect(doctor.stdout).toMatch(/set "idleUnloadMinutes" in config\.json[\s\S]*waits for the model to load again/);

    await startModelSwitch(fresh.socket, parakeet.model);
    expect((await fresh.status()).config?.firstRun).toBe(false);
    await fresh.waitForModel();
    expect((await fresh.status()).model).toMatchObject({ id: "parakeet-v3", state: "ready" });
    expect(dictateGate(await fresh.status())).toEqual({ kind: "start" });
    for (let tries = 0; tries < 100 && JSON.parse(readFileSync(configFile, "utf8")).model !== "parakeet-v3"; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(JSON.parse(readFileSync(configFile, "utf8")).model).toBe("parakeet-v3");
    expect((await fresh.cli("doctor")).stdout).not.toContain("model choice");
  } finally {
    await fresh.dispose();
    await hub.close();
  }
});

test("a daemon started with a config of its own is past the first run, and loads its model at once", async () => {
  const status = await daemon.status();
  expect(status.config?.firstRun).toBe(false);
  expect(dictateGate(status)).toEqual({ kind: "start" });
});

test("Start Daemon loads the LaunchAgent when launchd does not have it, else kickstarts it", async () => {
  const ok = { code: 0, stdout: "", stderr: "" };
  const notLoaded = { code: 113, stdout: "", stderr: "Could not find service" };
  const target = "gui/501/app.verbatim.daemon";

  const unloaded = new RecordingRunner([notLoaded, ok]);
  await new DaemonService(501, installedService, unloaded.run).start();
  expect(unloaded.calls).toEqual([
    ["/bin/launchctl", "print", target],
    ["/bin/launchctl", "bootstrap", "gui/501", installedService],
  ]);
  const loaded = new RecordingRunner([ok, ok, ok, ok]);
  const service = new DaemonService(501, installedService, loaded.run);
  await service.start();
  await service.restart();
  expect(loaded.calls).toEqual([
    ["/bin/launchctl", "print", target],
    ["/bin/launchctl", "kickstart", target],
    ["/bin/launchctl", "print", target],
    ["/bin/launchctl", "kickstart", "-k", target],
  ]);
  const none = new RecordingRunner([]);
  await expect(new DaemonService(501, missingService, none.run).start()).rejects.toBeInstanceOf(
    ServiceNotInstalledError,
  );
  expect(none.calls).toEqual([]);

  // After starting it, the view waits until the daemon listens.
  expect(await waitUntilAnswering(path.join(work, "nobody.sock"), 300, 50)).toBe(false);
  const starting = new DaemonProcess({ model: fixtureModel(), threads: 1 });
  try {
    const answered = waitUntilAnswering(starting.socket, 20_000, 50);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await starting.start();
    expect(await answered).toBe(true);
  } finally {
    await starting.dispose();
  }
});
