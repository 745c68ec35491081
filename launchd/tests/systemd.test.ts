// The systemd user unit: checked by systemd-analyze where it exists, and the exact systemctl invocations.
import { spawnSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  serviceEnvironment,
  serviceManagerFor,
  SystemdUserManager,
  systemdUnit,
  type CommandOutcome,
  type ServiceSpec,
  UserManagerUnavailableError,
} from "../src";
import { RecordingRunner } from "./recording-runner";

const root = mkdtempSync(path.join(os.tmpdir(), "verbatim-systemd-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// A real entry file in a folder with a space and a percent sign, which systemd would otherwise expand.
const entryDir = path.join(root, "my apps", "100% verbatim");
mkdirSync(entryDir, { recursive: true });
const daemonEntry = path.join(entryDir, "verbatimd.js");
writeFileSync(daemonEntry, "");
const spec: ServiceSpec = {
  nodePath: process.execPath,
  daemonEntry,
  logDir: path.join(root, "logs"),
  environment: serviceEnvironment(
    process.execPath,
    {
      VERBATIM_HOME: path.join(root, "home"),
      // A model cache in a folder whose name holds what systemd would expand or unquote.
      HF_HOME: 'hf "cache" 100% \\ here',
      HF_HUB_OFFLINE: "1",
      HF_ENDPOINT: "https://hub.example.org/mirror%20one",
      HF_TOKEN: "hf_not_for_a_unit_file",
    },
    root,
  ),
};
const ok: CommandOutcome = { code: 0, stdout: "", stderr: "" };
const configHome = path.join(root, "config");
const unitFile = path.join(configHome, "systemd", "user", "verbatimd.service");

test("the unit runs node on the daemon entry, restarts on failure only, and starts at login", () => {
  const unit = systemdUnit(spec);
  const lines = unit.split("\n");
  expect(lines).toContain(`ExecStart="${process.execPath}" "${daemonEntry.replace("%", "%%")}"`);
  expect(lines).toContain("Restart=on-failure");
  expect(lines).toContain("RestartSec=10");
  expect(lines).toContain("WantedBy=default.target");
  expect(lines).toContain(`Environment="VERBATIM_HOME=${path.join(root, "home")}"`);
  expect(lines.find((line) => line.startsWith('Environment="PATH='))).toContain("/usr/bin");
});

test("the unit gives the service the installing shell's model cache settings, escaped for systemd", () => {
  const lines = systemdUnit(spec).split("\n");
  const hfHome = path.join(root, 'hf "cache" 100% \\ here');
  expect(lines).toContain(
    `Environment="HF_HOME=${hfHome.replace("%", "%%").replace("\\", "\\\\").replace(/"/g, '\\"')}"`,
  );
  expect(lines).toContain('Environment="HF_HUB_OFFLINE=1"');
  expect(lines).toContain('Environment="HF_ENDPOINT=https://hub.example.org/mirror%%20one"');
  expect(lines.filter((line) => line.startsWith("Environment=")).map((line) => line.split("=")[1].slice(1))).toEqual([
    "PATH",
    "VERBATIM_LOGIN_SERVICE",
    "VERBATIM_HOME",
    "HF_HOME",
    "HF_HUB_OFFLINE",
    "HF_ENDPOINT",
  ]);
});

test("systemd-analyze verify accepts the unit", () => {
  const found = spawnSync("sh", ["-c", "command -v systemd-analyze"], { encoding: "utf8" }).stdout.trim();
  if (!found) {
    console.warn("systemd-analyze is not installed here; the unit file was not verified by systemd");
    return;
  }
  const file = path.join(root, "verbatimd.service");
  writeFileSync(file, systemdUnit(spec));
  // The user manager needs a runtime folder; a container has none of its own.
  const runtime = path.join(root, "runtime");
  mkdirSync(runtime, { recursive: true, mode: 0o700 });
  const result = spawnSync(found, ["verify", "--user", "--man=no", file], {
    encoding: "utf8",
    env: { ...process.env, XDG_RUNTIME_DIR: runtime },
  });
  // Warnings (unknown keys, unexecutable commands) name our file; other units' warnings are not about ours.
  const ours = result.stderr.split("\n").filter((line) => line.includes("verbatimd.service"));
  expect(ours).toEqual([]);
  expect(result.status).toBe(0);
});

test("on Linux the platform's manager is the systemd user manager under XDG_CONFIG_HOME", () => {
  const manager = serviceManagerFor({
    platform: "linux",
    home: root,
    uid: 1000,
    env: { XDG_CONFIG_HOME: configHome },
    run: new RecordingRunner([]).run,
  });
  expect(manager).toBeInstanceOf(SystemdUserManager);
  expect(manager.file).toBe(unitFile);
});

describe("SystemdUserManager", () => {
  test("install writes the unit, reloads, enables and starts it", async () => {
    const runner = new RecordingRunner([ok, ok, ok, ok]);
    await expect(new SystemdUserManager(configHome, runner.run).install(spec)).resolves.toBe("installed");
    expect(readFileSync(unitFile, "utf8")).toBe(systemdUnit(spec));
    expect(runner.calls).toEqual([
      ["/usr/bin/systemctl", "--user", "show-environment"],
      ["/usr/bin/systemctl", "--user", "daemon-reload"],
      ["/usr/bin/systemctl", "--user", "enable", "verbatimd.service"],
      ["/usr/bin/systemctl", "--user", "restart", "verbatimd.service"],
    ]);
  });

  test("installing again only makes sure the unit is enabled and running", async () => {
    const runner = new RecordingRunner([ok, ok]);
    await expect(new SystemdUserManager(configHome, runner.run).install(spec)).resolves.toBe("unchanged");
    expect(runner.calls).toEqual([
      ["/usr/bin/systemctl", "--user", "show-environment"],
      ["/usr/bin/systemctl", "--user", "enable", "--now", "verbatimd.service"],
    ]);
  });

  test("an older unit is upgraded in place and the daemon restarted on it", async () => {
    const runner = new RecordingRunner([ok, ok, ok, ok]);
    const newer = { ...spec, environment: { PATH: "/usr/bin:/bin" } };
    await expect(new SystemdUserManager(configHome, runner.run).install(newer)).resolves.toBe("upgraded");
    expect(readFileSync(unitFile, "utf8")).toBe(systemdUnit(newer));
    expect(runner.calls.map((call) => call.slice(2).join(" "))).toEqual([
      "show-environment",
      "daemon-reload",
      "enable verbatimd.service",
      "restart verbatimd.service",
    ]);
  });

  test("restart restarts the unit", async () => {
    const runner = new RecordingRunner([ok]);
    await new SystemdUserManager(configHome, runner.run).restart();
    expect(runner.calls).toEqual([["/usr/bin/systemctl", "--user", "restart", "verbatimd.service"]]);
  });

  test("uninstall disables and stops the unit, removes it and reloads; a second uninstall finds nothing", async () => {
    const runner = new RecordingRunner([ok, ok, ok]);
    const manager = new SystemdUserManager(configHome, runner.run);
    await expect(manager.uninstall()).resolves.toBe("removed");
    expect(existsSync(unitFile)).toBe(false);
    await expect(manager.uninstall()).resolves.toBe("not-installed");
    expect(runner.calls).toEqual([
      ["/usr/bin/systemctl", "--user", "show-environment"],
      ["/usr/bin/systemctl", "--user", "disable", "--now", "verbatimd.service"],
      ["/usr/bin/systemctl", "--user", "daemon-reload"],
    ]);
  });

  test("a failing systemctl is reported with its message", async () => {
    const runner = new RecordingRunner([{ code: 1, stdout: "", stderr: "Failed to connect to bus: No medium found" }]);
    await expect(new SystemdUserManager(configHome, runner.run).restart()).rejects.toThrow(
      "/usr/bin/systemctl --user restart verbatimd.service failed (exit 1): Failed to connect to bus: No medium found",
    );
  });
});

describe("without a user systemd manager (no user D-Bus, as in a container or under su)", () => {
  const noBus: CommandOutcome = { code: 1, stdout: "", stderr: "Failed to connect to bus: No medium found" };
  let home: string;
  let unit: string;
  let enablement: string;
  beforeEach(() => {
    home = mkdtempSync(path.join(root, "config-"));
    unit = path.join(home, "systemd", "user", "verbatimd.service");
    enablement = path.join(home, "systemd", "user", "default.target.wants", "verbatimd.service");
  });

  test("install writes nothing and says what happened and what to do", async () => {
    const runner = new RecordingRunner([noBus]);
    const install = new SystemdUserManager(home, runner.run).install(spec);
    await expect(install).rejects.toBeInstanceOf(UserManagerUnavailableError);
    await expect(install).rejects.toThrow("Failed to connect to bus: No medium found");
    await expect(install).rejects.toThrow(`loginctl enable-linger ${os.userInfo().username}`);
    await expect(install).rejects.toThrow("verbatim daemon start");
    expect(runner.calls).toEqual([["/usr/bin/systemctl", "--user", "show-environment"]]);
    expect(existsSync(path.join(home, "systemd"))).toBe(false);
  });

  test("uninstall removes the unit and its enablement, and reports that no running daemon was stopped", async () => {
    mkdirSync(path.dirname(enablement), { recursive: true });
    writeFileSync(unit, systemdUnit(spec));
    symlinkSync(unit, enablement);
    const runner = new RecordingRunner([noBus]);
    await expect(new SystemdUserManager(home, runner.run).uninstall()).resolves.toBe("unmanaged");
    expect(existsSync(unit)).toBe(false);
    expect(lstatSync(enablement, { throwIfNoEntry: false })).toBeUndefined();
  });

  test("a new unit that systemd refuses to start is removed again, enablement included", async () => {
    const failedStart: CommandOutcome = { code: 1, stdout: "", stderr: "Job for verbatimd.service failed." };
    const runner = new RecordingRunner([ok, ok, ok, failedStart, ok, ok]);
    const manager = new SystemdUserManager(home, runner.run);
    // What `systemctl enable` would have linked before the start failed.
    mkdirSync(path.dirname(enablement), { recursive: true });
    symlinkSync(manager.file, enablement);
    await expect(manager.install(spec)).rejects.toThrow(
      "verbatimd was not installed as a login service (the unit it wrote was removed again): " +
        "/usr/bin/systemctl --user restart verbatimd.service failed (exit 1): Job for verbatimd.service failed.",
    );
    expect(existsSync(unit)).toBe(false);
    expect(lstatSync(enablement, { throwIfNoEntry: false })).toBeUndefined();
    expect(runner.calls.slice(4).map((call) => call.slice(2).join(" "))).toEqual([
      "disable verbatimd.service",
      "daemon-reload",
    ]);
  });

  test("a failed upgrade puts the previous unit back", async () => {
    mkdirSync(path.dirname(unit), { recursive: true });
    writeFileSync(unit, "[Unit]\nDescription=older verbatimd\n");
    const runner = new RecordingRunner([ok, { code: 1, stdout: "", stderr: "reload failed" }, ok]);
    await expect(new SystemdUserManager(home, runner.run).install(spec)).rejects.toThrow(
      "(the previous unit was put back)",
    );
    expect(readFileSync(unit, "utf8")).toBe("[Unit]\nDescription=older verbatimd\n");
  });
});
