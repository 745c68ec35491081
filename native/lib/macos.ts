// What the engine needs of a Mac, and why it may compute on the CPU there: the oldest macOS it runs on, Rosetta, and
// the reason MLX gives for having no GPU. Plain Node only (no addon): `verbatim doctor`, the daemon's status and the
// release workflow's check of the shipped binaries use it.
import { execFileSync } from "node:child_process";
import type { BuildInfo } from "./types";

/**
 * The oldest macOS Verbatim's engine runs on: MLX needs 14.0 (its CMakeLists.txt refuses an older deployment
 * target), and the release builds MLX, its Metal kernels (mlx.metallib) and the addon for it (MACOSX_DEPLOYMENT_TARGET
 * in .github/workflows/release.yml, CMAKE_OSX_DEPLOYMENT_TARGET in native/CMakeLists.txt).
 */
export const MINIMUM_MACOS = "14.0";

/** -1, 0 or 1 as version `a` is older than, the same as or newer than `b` ("14.6.1" against "14.0"). */
export function compareVersions(a: string, b: string): number {
  const [x, y] = [a, b].map((version) => version.split(".").map(Number));
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const difference = (x[i] ?? 0) - (y[i] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

/** The running macOS's version ("14.6.1"), null elsewhere or when sw_vers cannot say. */
export function macosVersion(platform = process.platform): string | null {
  if (platform !== "darwin") return null;
  try {
    return execFileSync("/usr/bin/sw_vers", ["-productVersion"], { encoding: "utf8" }).trim() || null;
  } catch {
    return null;
  }
}

/**
 * Whether this process is an Intel (x64) program translated by Rosetta on Apple silicon: Apple's sysctl
 * `sysctl.proc_translated` is 1 then, 0 in a native process, and missing on an Intel Mac.
 */
export function runsUnderRosetta(platform = process.platform, arch = process.arch): boolean {
  if (platform !== "darwin" || arch !== "x64") return false;
  try {
    return execFileSync("/usr/sbin/sysctl", ["-n", "sysctl.proc_translated"], { encoding: "utf8" }).trim() === "1";
  } catch {
    return false;
  }
}

/**
 * The minimum macOS a Mach-O binary was linked for, from `otool -l`'s load commands (LC_BUILD_VERSION's `minos`, or
 * LC_VERSION_MIN_MACOSX's `version` in binaries linked for macOS 10.13 and older); null when it names none.
 */
export function machOMinimumMacos(otoolLoadCommands: string): string | null {
  const commands = otoolLoadCommands.split(/^Load command \d+$/m);
  for (const command of commands) {
    if (/^\s*cmd LC_BUILD_VERSION$/m.test(command) && /^\s*platform (macos|1)$/im.test(command))
      return /^\s*minos (\S+)$/m.exec(command)?.[1] ?? null;
    if (/^\s*cmd LC_VERSION_MIN_MACOSX$/m.test(command)) return /^\s*version (\S+)$/m.exec(command)?.[1] ?? null;
  }
  return null;
}

/** The Mac as the engine meets it. */
export interface MacHost {
  platform: NodeJS.Platform;
  arch: string;
  /** The macOS version, null when unknown (or not a Mac). */
  macos: string | null;
  rosetta: boolean;
}

export function thisMac(): MacHost {
  return { platform: process.platform, arch: process.arch, macos: macosVersion(), rosetta: runsUnderRosetta() };
}

/** Why the engine computes on the CPU, and what to do about it. */
export interface GpuAbsence {
  reason: string;
  fix: string;
}

/**
 * Why the engine computes on the CPU on a Mac that has a GPU for it (Apple silicon, Intel programs under Rosetta
 * included); null where the GPU is in use, or where the CPU is the engine anyway (Intel Macs, Linux).
 */
export function gpuAbsence(build: BuildInfo, host: MacHost): GpuAbsence | null {
  if (host.platform !== "darwin") return null;
  if (host.rosetta)
    return {
      reason:
        "this node is an Intel (x64) program that Rosetta translates on Apple silicon, so it runs the Intel engine: " +
        "no MLX, and every instruction emulated",
      fix: "install a node for Apple silicon (arm64), e.g. Homebrew's in /opt/homebrew (brew install node), then install verbatim again with it",
    };
  if (host.arch !== "arm64" || build.mlxGpu) return null;
  if (!build.backends.includes("mlx"))
    return {
      reason: "this engine was built without MLX",
      fix: "install the prebuilt engine (npm install -g verbatim-dictation)",
    };
  if (host.macos !== null && compareVersions(host.macos, MINIMUM_MACOS) < 0)
    return {
      reason: `macOS ${host.macos} is older than ${MINIMUM_MACOS}, the oldest MLX's Metal kernels run on`,
      fix: "update macOS (System Settings → General → Software Update)",
    };
  const why = (build.mlxGpuProblem ?? "MLX gave no reason").trim();
  return /metallib/i.test(why)
    ? {
        reason: `MLX's Metal kernels (mlx.metallib, beside the engine) did not load: ${why}`,
        fix: "reinstall verbatim (npm install -g verbatim-dictation)",
      }
    : {
        reason: `MLX found no usable GPU: ${why}`,
        fix: "run verbatim on the Mac itself: a virtual machine or a sandbox hides the GPU",
      };
}
