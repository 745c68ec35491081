// The LaunchAgent: the plist parsed back with a real plist parser, and the exact launchctl invocations.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import plist from "plist";
import {
  launchAgentPlist,
  LaunchAgentManager,
  RESTART_THROTTLE_SECONDS,
  SERVICE_LABEL,
  serviceEnvironment,
  type CommandOutcome,
  type ServiceSpec,
} from "../src";
import { RecordingRunner } from "./recording-runner";

const home = mkdtempSync(path.join(os.tmpdir(), "verbatim-launchd-"));
afterAll(() => rmSync(home, { recursive: true, force: true }));

// Paths with spaces and XML metacharacters, as a user's home may have.
const spec: ServiceSpec = {
  nodePath: "/opt/homebrew/Cellar/node@20/20.19.0/bin/node",
  daemonEntry: `${home}/Apps & Tools/verbatim <dev>/daemon/bin/verbatimd.js`,
  logDir: path.join(home, "Library", "Logs", "Verbatim"),
  environment: serviceEnvironment(
    "/opt/homebrew/Cellar/node@20/20.19.0/bin/node",
    {
      VERBATIM_SOCKET: "/tmp/v.sock",
      HOME: "/ignored",
      // The installing shell's model cache: a relative HF_HOME is taken from where `daemon install` ran.
      HF_HOME: "models & <cache>",
      HF_HUB_CACHE: "/Volumes/Big Disk/hub",
      XDG_CACHE_HOME: "/Users/me/.cache",
      HF_HUB_OFFLINE: "1",
      HF_ENDPOINT: "https://hf-mirror.example.com",
      HF_TOKEN: "hf_secret",
    },
    home,
  ),
};

const ok: CommandOutcome = { code: 0, stdout: "", stderr: "" };
const notLoaded: CommandOutcome = { code: 113, stdout: "", stderr: `Could not find service "${SERVICE_LABEL}"` };

test("the plist parses back with every key the agent needs", () => {
  const parsed = plist.parse(launchAgentPlist(spec)) as Record<string, unknown>;
  expect(Object.keys(parsed).sort()).toEqual(
    [
      "EnvironmentVariables",
      "KeepAlive",
      "Label",
      "ProcessType",
      "ProgramArguments",
      "RunAtLoad",
      "StandardErrorPath",
      "StandardOutPath",
      "ThrottleInterval",
    ].sort(),
  );
  expect(parsed.Label).toBe("app.verbatim.daemon");
  expect(parsed.ProgramArguments).toEqual([spec.nodePath, spec.daemonEntry]);
  expect(parsed.RunAtLoad).toBe(true);
  // Restart after a crash (non-zero exit), not after a clean stop (verbatimd exits 0 on SIGTERM and shutdown).
  expect(parsed.KeepAlive).toEqual({ SuccessfulExit: false });
  expect(parsed.ThrottleInterval).toBe(RESTART_THROTTLE_SECONDS);
  expect(parsed.ProcessType).toBe("Interactive");
  expect(parsed.StandardOutPath).toBe(path.join(spec.logDir, "verbatimd.out.log"));
  expect(parsed.StandardErrorPath).toBe(path.join(spec.logDir, "verbatimd.err.log"));
  const environment = parsed.EnvironmentVariables as Record<string, string>;
  expect(environment).toEqual({
    PATH: expect.any(String),
    VERBATIM_SOCKET: "/tmp/v.sock",
    HF_HOME: path.join(home, "models & <cache>"),
    HF_HUB_CACHE: "/Volumes/Big Disk/hub",
    XDG_CACHE_HOME: "/Users/me/.cache",
    HF_HUB_OFFLINE: "1",
    HF_ENDPOINT: "https://hf-mirror.example.com",
  });
  const pathEntries = environment.PATH.split(":");
  for (const folder of ["/opt/homebrew/bin", "/usr/local/bin", "/usr/bin", "/bin", path.dirname(spec.nodePath)]) {
    expect(pathEntries).toContain(folder);
  }
  for (const entry of [...pathEntries, ...(parsed.ProgramArguments as string[])])
    expect(path.isAbsolute(entry)).toBe(true);
});

test("plutil accepts the plist (macOS only)", () => {
  const plutil = "/usr/bin/plutil";
  if (!existsSync(plutil)) {
    console.warn("plutil is not on this machine (it ships with macOS); the macOS CI job runs this check");
    return;
  }
  const file = path.join(home, "lint.plist");
  writeFileSync(file, launchAgentPlist(spec));
  expect(execFileSync(plutil, ["-lint", file]).toString()).toContain("OK");
});

describe("LaunchAgentManager", () => {
  const uid = 501;
  const target = `gui/${uid}/${SERVICE_LABEL}`;
  const plistFile = path.join(home, "Library", "LaunchAgents", `${SERVICE_LABEL}.plist`);

  test("install writes the plist, creates the log folder and bootstraps the agent", async () => {
    const runner = new RecordingRunner([notLoaded, ok]);
    const manager = new LaunchAgentManager(home, uid, runner.run);
    expect(manager.file).toBe(plistFile);
    await expect(manager.install(spec)).resolves.toBe("installed");
    expect(runner.calls).toEqual([
      ["/bin/launchctl", "print", target],
      ["/bin/launchctl", "bootstrap", `gui/${uid}`, plistFile],
    ]);
    expect(readFileSync(plistFile, "utf8")).toBe(launchAgentPlist(spec));
    expect(statSync(spec.logDir).isDirectory()).toBe(true);
  });

  test("installing the same definition again leaves a loaded agent alone", async () => {
    const runner = new RecordingRunner([ok]);
    await expect(new LaunchAgentManager(home, uid, runner.run).install(spec)).resolves.toBe("unchanged");
    expect(runner.calls).toEqual([["/bin/launchctl", "print", target]]);
  });

  test("an older plist is upgraded in place: bootout of the old agent, bootstrap of the new", async () => {
    const runner = new RecordingRunner([ok, ok, ok]);
    const newer = { ...spec, nodePath: "/usr/local/bin/node" };
    await expect(new LaunchAgentManager(home, uid, runner.run).install(newer)).resolves.toBe("upgraded");
    expect(runner.calls).toEqual([
      ["/bin/launchctl", "print", target],
      ["/bin/launchctl", "bootout", target],
      ["/bin/launchctl", "bootstrap", `gui/${uid}`, plistFile],
    ]);
    expect((plist.parse(readFileSync(plistFile, "utf8")) as { ProgramArguments: string[] }).ProgramArguments[0]).toBe(
      "/usr/local/bin/node",
    );
  });

  test("a failing bootstrap is reported with the command and launchctl's message", async () => {
    const runner = new RecordingRunner([
      notLoaded,
      { code: 5, stdout: "", stderr: "Bootstrap failed: 5: Input/output error" },
    ]);
    const manager = new LaunchAgentManager(home, uid, runner.run);
    await expect(manager.install(spec)).rejects.toThrow(
      `/bin/launchctl bootstrap gui/${uid} ${plistFile} failed (exit 5): Bootstrap failed: 5: Input/output error`,
    );
  });

  test("a plist that launchd refuses is not left behind; an older one is put back", async () => {
    const failed: CommandOutcome = { code: 5, stdout: "", stderr: "Bootstrap failed: 5: Input/output error" };
    const manager = new LaunchAgentManager(home, uid, new RecordingRunner([notLoaded, failed]).run);
    await rm(plistFile, { force: true });
    await expect(manager.install(spec)).rejects.toThrow("(the plist it wrote was removed again)");
    expect(existsSync(plistFile)).toBe(false);

    writeFileSync(plistFile, "older plist");
    const upgrade = new LaunchAgentManager(home, uid, new RecordingRunner([ok, ok, failed]).run);
    await expect(upgrade.install(spec)).rejects.toThrow("(the previous plist was put back)");
    expect(readFileSync(plistFile, "utf8")).toBe("older plist");
    await rm(plistFile);
  });

  test("restart kickstarts the agent, killing the running daemon first", async () => {
    const runner = new RecordingRunner([ok]);
    await new LaunchAgentManager(home, uid, runner.run).restart();
    expect(runner.calls).toEqual([["/bin/launchctl", "kickstart", "-k", target]]);
  });

  test("uninstall boots the agent out and removes the plist; a second uninstall finds nothing", async () => {
    const runner = new RecordingRunner([ok, ok, notLoaded]);
    const manager = new LaunchAgentManager(home, uid, runner.run);
    await expect(manager.uninstall()).resolves.toBe("removed");
    expect(existsSync(plistFile)).toBe(false);
    await expect(manager.uninstall()).resolves.toBe("not-installed");
    expect(runner.calls).toEqual([
      ["/bin/launchctl", "print", target],
      ["/bin/launchctl", "bootout", target],
      ["/bin/launchctl", "print", target],
    ]);
  });
});
