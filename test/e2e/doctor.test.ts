// `verbatim doctor` against a real daemon: what it finds in a working install, and a login service that names a
// node which is gone (as after `brew upgrade node` with an old plist) or one in a versioned folder.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DaemonProcess } from "../support/daemon-process";
import { fixtureModel, repoRoot } from "../support/fixtures";

jest.setTimeout(120_000);

const verbatim = path.join(repoRoot, "daemon", "bin", "verbatim.js");
const configHome = mkdtempSync(path.join(os.tmpdir(), "verbatim-doctor-"));
const unitFile = path.join(configHome, "systemd", "user", "verbatimd.service");
let daemon: DaemonProcess;

beforeAll(async () => {
  daemon = await DaemonProcess.ready({ model: fixtureModel(), threads: 1 });
});

afterAll(async () => {
  await daemon?.dispose();
  rmSync(configHome, { recursive: true, force: true });
  rmSync(notAModel, { recursive: true, force: true });
});

function doctor(extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string }> {
  const env = { ...daemon.env, XDG_CONFIG_HOME: configHome, ...extraEnv };
  return new Promise((resolve) =>
    execFile(process.execPath, [verbatim, "doctor"], { env }, (error, stdout) =>
      resolve({ code: error ? Number(error.code) : 0, stdout }),
    ),
  );
}

function writeUnit(node: string): void {
  mkdirSync(path.dirname(unitFile), { recursive: true });
  writeFileSync(unitFile, `[Service]\nExecStart="${node}" "${path.join(repoRoot, "daemon", "bin", "verbatimd.js")}"\n`);
}

// The login service read here is the systemd unit; on macOS doctor reads the LaunchAgent instead.
const onLinux = process.platform === "linux" ? test : test.skip;

onLinux("a working install: node, engine, daemon and folders are ok", async () => {
  rmSync(unitFile, { force: true });
  const { code, stdout } = await doctor();
  expect(stdout).toMatch(/^ok +node +node \d+\.\d+\.\d+ at /m);
  expect(stdout).toMatch(/^ok +engine +.*backends cpu/m);
  expect(stdout).toMatch(/^ok +daemon +verbatimd .* model .*verbatim-tiny-en ready/m);
  expect(stdout).toMatch(/^ok +folders +private/m);
  expect(stdout).toMatch(/^warning +login service +not installed.*\n +→ verbatim daemon install$/m);
  expect(stdout).toMatch(/^ok +config +/m);
  const warnings = stdout.match(/^warning /gm)!.length;
  expect(stdout).toMatch(new RegExp(`No problems found \\(${warnings} warnings?\\)\\.\n$`));
  expect(code).toBe(0);
});

onLinux("a misspelled config key is a warning naming the setting meant", async () => {
  rmSync(unitFile, { force: true });
  const file = path.join(daemon.home, "config.json");
  const saved = readFileSync(file, "utf8");
  writeFileSync(file, JSON.stringify({ ...JSON.parse(saved), modle: "tiny" }));
  try {
    const { code, stdout } = await doctor();
    expect(stdout).toMatch(/^warning +config +.*"modle" is not a setting Verbatim knows \(did you mean "model"\?\)/m);
    expect(code).toBe(0);
  } finally {
    writeFileSync(file, saved);
  }
});

// Whether --speakers can work: asked of the running daemon (offline here, its default speaker model not downloaded),
// else of config.json's "speakerModel" in a home no daemon runs in.
const speakerFixture = path.join(repoRoot, "test", "fixtures", "models", "diarization-tiny");
const notAModel = mkdtempSync(path.join(os.tmpdir(), "verbatim-doctor-no-speakers-"));
test.each([
  {
    speakerModel: null,
    finding:
      /^warning +speakers +--speakers is not ready: the speaker model nemotron-diarization \(config speakerModel\) is not downloaded\n +→ verbatim models pull nemotron-diarization in a shell without HF_HUB_OFFLINE \(verbatimd runs with it set/m,
  },
  {
    speakerModel: speakerFixture,
    finding: new RegExp(`^ok +speakers +${speakerFixture}: --speakers is ready \\(it loads on the first job`, "m"),
  },
  {
    speakerModel: notAModel,
    finding: new RegExp(
      `^warning +speakers +--speakers cannot work: the speaker model ${notAModel} cannot be used\\. The folder ` +
        `${notAModel} has no config\\.json.*\\n +→ set "speakerModel" in config\\.json`,
      "m",
    ),
  },
])("speaker model $speakerModel: doctor says whether --speakers is ready", async ({ speakerModel, finding }) => {
  let home: string | undefined;
  if (speakerModel) {
    home = mkdtempSync(path.join(os.tmpdir(), "verbatim-doctor-home-"));
    writeFileSync(path.join(home, "config.json"), JSON.stringify({ speakerModel }));
  }
  try {
    const { stdout } = await doctor(home ? { VERBATIM_HOME: home, VERBATIM_SOCKET: path.join(home, "none.sock") } : {});
    expect(stdout).toMatch(finding);
  } finally {
    if (home) rmSync(home, { recursive: true, force: true });
  }
});

onLinux("a login service whose node is gone is a problem to repair", async () => {
  writeUnit("/opt/homebrew/Cellar/node/20.1.0/bin/node");
  const { code, stdout } = await doctor();
  expect(stdout).toMatch(
    /^PROBLEM +login service +.*verbatimd\.service starts \/opt\/homebrew\/Cellar\/node\/20\.1\.0\/bin\/node, which does not exist\n +→ repair it: verbatim daemon install$/m,
  );
  expect(stdout).toMatch(/1 problem found \(\d+ warnings?\)\.\n$/);
  expect(code).toBe(1);
});

onLinux("a login service on a node in a versioned folder is a warning", async () => {
  const cellarNode = path.join(configHome, "brew", "Cellar", "node", "24.11.1", "bin", "node");
  mkdirSync(path.dirname(cellarNode), { recursive: true });
  writeFileSync(cellarNode, "");
  writeUnit(cellarNode);
  const { code, stdout } = await doctor();
  expect(stdout).toMatch(
    /^warning +login service +.* starts .*Cellar\/node\/24\.11\.1\/bin\/node, in a versioned Homebrew/m,
  );
  expect(code).toBe(0);
});
