// The LaunchAgent: the plist parsed back with a real plist parser, and the exact launchctl invocations.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import plist from "plist";
import {
  AgentSwitchedOffError,
  launchAgentPlist,
  LaunchAgentManager,
  RESTART_THROTTLE_SECONDS,
  SERVICE_LABEL,
  serviceEnvironment,
  type LaunchdTiming,
  type ServiceSpec,
} from "../src";
import { LaunchctlStandIn } from "./launchctl-stand-in";

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
    VERBATIM_LOGIN_SERVICE: "1",
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

describe("LaunchAgentManager, against a launchctl that answers as launchd does", () => {
  const uid = 501;
  const target = `gui/${uid}/${SERVICE_LABEL}`;
  const plistFile = path.join(home, "Library", "LaunchAgents", `${SERVICE_LABEL}.plist`);
  const quick: LaunchdTiming = { settleMs: 5000, pollMs: 1 };
  const older = { ...spec, nodePath: "/usr/local/Cellar/node/22.16.0/bin/node" };

  /** A Mac where `installed` (a spec) was installed and is loaded, or nothing is. */
  async function mac(installed?: ServiceSpec, timing = quick) {
    await rm(plistFile, { force: true });
    const launchctl = new LaunchctlStandIn(uid);
    const manager = new LaunchAgentManager(home, uid, launchctl.run, timing);
    if (installed) {
      await manager.install(installed);
      launchctl.calls.length = 0;
    }
    return { launchctl, manager };
  }

  test("install writes the plist, creates the log folder and bootstraps the agent", async () => {
    const { launchctl, manager } = await mac();
    expect(manager.file).toBe(plistFile);
    await expect(manager.install(spec)).resolves.toBe("installed");
    expect(launchctl.calls).toEqual([
      ["print-disabled", `gui/${uid}`],
      ["print", target],
      ["bootstrap", `gui/${uid}`, plistFile],
    ]);
    expect(readFileSync(plistFile, "utf8")).toBe(launchAgentPlist(spec));
    expect(launchctl.loaded.get(SERVICE_LABEL)).toBe(launchAgentPlist(spec));
    expect(statSync(spec.logDir).isDirectory()).toBe(true);
  });

  test("installing the same definition again leaves a loaded agent alone", async () => {
    const { launchctl, manager } = await mac(spec);
    await expect(manager.install(spec)).resolves.toBe("unchanged");
    expect(launchctl.calls).toEqual([
      ["print-disabled", `gui/${uid}`],
      ["print", target],
    ]);
  });

  test("an upgrade waits for launchd to let go of the old agent, then rides out its transient refusals", async () => {
    const { launchctl, manager } = await mac(older);
    // As measured after a bootout (headroom#1289): the label listed a moment, then EIO, then EALREADY.
    launchctl.listedAfterBootout = 3;
    launchctl.ioErrorsAfterBootout = 10;
    launchctl.alreadyInProgressAfterBootout = 1;
    await expect(manager.install(spec)).resolves.toBe("upgraded");
    expect(launchctl.loaded.get(SERVICE_LABEL)).toBe(launchAgentPlist(spec));
    const verbs = launchctl.calls.map(([verb]) => verb);
    expect(verbs.slice(0, 3)).toEqual(["print-disabled", "print", "bootout"]);
    // Asked until the label was gone: listed three times, then not found.
    expect(verbs.slice(3, 7)).toEqual(["print", "print", "print", "print"]);
    expect(verbs.slice(7)).toEqual(Array(12).fill("bootstrap"));
  });

  test("an upgrade launchd will not load puts the old plist back and loads it: the daemon is never left down", async () => {
    const { launchctl, manager } = await mac(older, { settleMs: 50, pollMs: 5 });
    launchctl.refuses = (text) => text === launchAgentPlist(spec);
    await expect(manager.install(spec)).rejects.toThrow(
      /^verbatimd was not installed as a login service \(the previous plist was put back and is loaded\): \/bin\/launchctl bootstrap gui\/501 .* failed \(exit 5\): Bootstrap failed: 5: Input\/output error/,
    );
    expect(readFileSync(plistFile, "utf8")).toBe(launchAgentPlist(older));
    expect(launchctl.loaded.get(SERVICE_LABEL)).toBe(launchAgentPlist(older));
  });

  test("when launchd will load neither, the error says the daemon is down until the next login or a reinstall", async () => {
    const { launchctl, manager } = await mac(older, { settleMs: 30, pollMs: 5 });
    launchctl.refuses = () => true;
    await expect(manager.install(spec)).rejects.toThrow(
      /\(the previous plist was put back, but launchd did not load it either \(.*exit 5.*\): the daemon starts at the next login, or now with `verbatim daemon install`\)/s,
    );
    expect(launchctl.loaded.size).toBe(0);
  });

  test("a first install launchd refuses is not left behind", async () => {
    const { launchctl, manager } = await mac(undefined, { settleMs: 30, pollMs: 5 });
    launchctl.refuses = () => true;
    await expect(manager.install(spec)).rejects.toThrow(
      `(the plist it wrote was removed again): /bin/launchctl bootstrap gui/${uid} ${plistFile} failed (exit 5): Bootstrap failed: 5: Input/output error`,
    );
    expect(existsSync(plistFile)).toBe(false);
  });

  test("an agent switched off (Login Items, launchctl disable) is left as the user set it, and the error says so", async () => {
    const { launchctl, manager } = await mac();
    launchctl.disabled.add(SERVICE_LABEL);
    const beforeInstall = jest.fn(async () => undefined);
    await expect(manager.install(spec, beforeInstall)).rejects.toThrow(AgentSwitchedOffError);
    await expect(manager.install(spec)).rejects.toThrow(
      `Switch it on there (or run \`launchctl enable ${target}\`), then run \`verbatim daemon install\` again`,
    );
    expect(beforeInstall).not.toHaveBeenCalled();
    expect(existsSync(plistFile)).toBe(false);
    await expect(manager.state()).resolves.toEqual({ loaded: false, disabled: true });
    launchctl.disabled.delete(SERVICE_LABEL);
    await expect(manager.state()).resolves.toEqual({ loaded: false, disabled: false });
  });

  test("restart kickstarts a loaded agent, and bootstraps one launchd no longer holds", async () => {
    const { launchctl, manager } = await mac(spec);
    await manager.restart();
    expect(launchctl.calls).toEqual([
      ["print", target],
      ["kickstart", "-k", target],
    ]);
    expect(launchctl.kickstarts).toBe(1);

    await launchctl.run("/bin/launchctl", ["bootout", target]); // as a user's `launchctl bootout` leaves it
    launchctl.calls.length = 0;
    launchctl.ioErrorsAfterBootout = 0;
    await manager.restart();
    expect(launchctl.calls).toEqual([
      ["print", target],
      ["bootstrap", `gui/${uid}`, plistFile],
    ]);
    await expect(manager.state()).resolves.toEqual({ loaded: true, disabled: false });
  });

  test("uninstall boots the agent out and removes the plist; a second uninstall finds nothing", async () => {
    const { launchctl, manager } = await mac(spec);
    launchctl.listedAfterBootout = 2;
    await expect(manager.uninstall()).resolves.toBe("removed");
    expect(existsSync(plistFile)).toBe(false);
    expect(launchctl.loaded.size).toBe(0);
    await expect(manager.uninstall()).resolves.toBe("not-installed");
    expect(launchctl.calls.map(([verb]) => verb)).toEqual(["print", "bootout", "print", "print", "print", "print"]);
  });
});
