// `verbatim doctor` on a Mac: the macOS against the engine's minimum, the reason the engine computes on the CPU, and
// the LaunchAgent as launchd holds it (asked of a launchctl stand-in that answers as launchd does).
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { LaunchAgentManager, SystemdUserManager, type LaunchdTiming } from "@verbatim/launchd";
import type { BuildInfo, MacHost } from "@verbatim/native";
import { LaunchctlStandIn } from "../../launchd/tests/launchctl-stand-in";
import { ok } from "../src/cli/doctor-finding";
import { checkMacos, engineOnCpu, launchAgentState } from "../src/cli/doctor-mac";

const home = mkdtempSync(path.join(os.tmpdir(), "verbatim-doctor-mac-"));
afterAll(() => rmSync(home, { recursive: true, force: true }));

const appleSilicon: MacHost = { platform: "darwin", arch: "arm64", macos: "15.5", rosetta: false };

test("macOS older than the engine's minimum is a problem; a newer one names the minimum; elsewhere nothing", () => {
  expect(checkMacos({ ...appleSilicon, macos: "13.7.2" })).toEqual({
    check: "macOS",
    verdict: "problem",
    detail: "13.7.2 is older than 14.0, the oldest macOS Verbatim's engine runs on",
    fix: "update macOS (System Settings → General → Software Update)",
  });
  expect(checkMacos(appleSilicon)).toEqual(ok("macOS", "15.5 (Verbatim needs 14.0 or later)"));
  expect(checkMacos({ ...appleSilicon, platform: "linux", macos: null })).toBeNull();
});

test("an engine on the CPU of an Apple silicon Mac says why: Rosetta, or MLX's own reason", () => {
  const intelBuild: BuildInfo = { blas: "Accelerate", backends: ["cpu"], mlxGpu: false, mlxGpuProblem: null };
  expect(
    engineOnCpu("darwin-x64 (x86-64-v3)", intelBuild, { ...appleSilicon, arch: "x64", rosetta: true }),
  ).toMatchObject({
    verdict: "warning",
    detail: expect.stringMatching(/^darwin-x64 \(x86-64-v3\); it computes on the CPU: this node is an Intel \(x64\)/),
    fix: expect.stringMatching(/arm64/),
  });
  expect(engineOnCpu("x", intelBuild, { ...appleSilicon, arch: "x64" })).toBeNull(); // an Intel Mac
  const noGpu: BuildInfo = {
    ...intelBuild,
    backends: ["cpu", "mlx"],
    mlxGpuProblem: "Failed to load the default metallib. ",
  };
  expect(engineOnCpu("x", noGpu, appleSilicon)?.detail).toMatch(/mlx\.metallib.*did not load/);
});

describe("the LaunchAgent as launchd holds it", () => {
  const uid = 501;
  const timing: LaunchdTiming = { settleMs: 1000, pollMs: 1 };
  const installed = ok("login service", "app.verbatim.daemon.plist starts node verbatimd.js");

  async function agent() {
    const launchctl = new LaunchctlStandIn(uid);
    const manager = new LaunchAgentManager(home, uid, launchctl.run, timing);
    mkdirSync(path.dirname(manager.file), { recursive: true });
    await manager.install({
      nodePath: "/opt/homebrew/opt/node/bin/node",
      daemonEntry: "/x/verbatimd.js",
      logDir: path.join(home, "logs"),
      environment: {},
    });
    return { launchctl, manager };
  }

  test("loaded: ok, saying so", async () => {
    const { manager } = await agent();
    expect(await launchAgentState(installed, manager)).toEqual(
      ok("login service", `${installed.detail}; launchd has it loaded`),
    );
  });

  test("booted out (a failed upgrade of an older verbatim, launchctl bootout): a warning to reinstall", async () => {
    const { launchctl, manager } = await agent();
    await launchctl.run("/bin/launchctl", ["bootout", `gui/${uid}/app.verbatim.daemon`]);
    expect(await launchAgentState(installed, manager)).toMatchObject({
      verdict: "warning",
      detail: expect.stringMatching(/is installed but launchd has not loaded it: the daemon does not start at login/),
      fix: "verbatim daemon install",
    });
  });

  test("switched off in Login Items: a warning naming where to switch it on", async () => {
    const { launchctl, manager } = await agent();
    launchctl.disabled.add("app.verbatim.daemon");
    expect(await launchAgentState(installed, manager)).toMatchObject({
      verdict: "warning",
      detail: expect.stringMatching(/is switched off, so launchd does not start it at login$/),
      fix: expect.stringMatching(/^switch it on in System Settings → General → Login Items & Extensions/),
    });
  });

  test("a finding that is already a problem, or a systemd unit, is left as it is", async () => {
    const { manager } = await agent();
    const missing = { check: "login service", verdict: "problem" as const, detail: "starts nothing", fix: "repair" };
    expect(await launchAgentState(missing, manager)).toBe(missing);
    const systemd = new SystemdUserManager(home, async () => ({ code: 0, stdout: "", stderr: "" }));
    expect(await launchAgentState(installed, systemd)).toBe(installed);
  });
});
