// What the engine needs of a Mac: the minimum macOS read from a binary's load commands, and why the engine computes on
// the CPU on a Mac whose GPU it would use. The sysctl and sw_vers readers run only on a Mac (see the report of the
// issue for the steps to check them there).
import { compareVersions, gpuAbsence, machOMinimumMacos, MINIMUM_MACOS, type MacHost } from "../lib/macos";
import type { BuildInfo } from "../lib/types";

// `otool -l`'s load commands: the LC_BUILD_VERSION is as otool printed it for a binary linked on a macos-15 runner
// for macOS 14 (posted in Cockatrice/Cockatrice#7127), between two other commands in otool's layout.
const OTOOL_BUILD_VERSION = `Load command 10
      cmd LC_UUID
  cmdsize 24
     uuid 6F4D2E3A-1B1C-3D0E-9A1B-2C3D4E5F6A7B
Load command 11
      cmd LC_BUILD_VERSION
  cmdsize 32
 platform MACOS
    minos 14.0
      sdk 26.2
   ntools 1
     tool LD
  version 1230.1
Load command 12
      cmd LC_SOURCE_VERSION
  cmdsize 16
  version 0.0
`;
// A binary linked for macOS 10.13 or older carries LC_VERSION_MIN_MACOSX instead.
const OTOOL_VERSION_MIN = `Load command 8
      cmd LC_VERSION_MIN_MACOSX
  cmdsize 16
  version 10.9
      sdk 10.14
`;

// LLVM's otool (llvm-otool 14, on a bundle clang linked for arm64-apple-macos14.0) writes the platform in lower case.
const LLVM_OTOOL_BUILD_VERSION = `Load command 6
       cmd LC_BUILD_VERSION
   cmdsize 32
  platform macos
       sdk 14.0
     minos 14.0
    ntools 1
      tool ld
   version 14.0.6
Load command 7
`;

test("the minimum macOS a binary was linked for is read from otool -l", () => {
  expect(machOMinimumMacos(LLVM_OTOOL_BUILD_VERSION)).toBe("14.0");
  expect(machOMinimumMacos(OTOOL_BUILD_VERSION)).toBe("14.0");
  expect(machOMinimumMacos(OTOOL_VERSION_MIN)).toBe("10.9");
  expect(machOMinimumMacos("Load command 0\n      cmd LC_SEGMENT_64\n")).toBeNull();
});

test("versions compare part by part", () => {
  expect(compareVersions("13.6.7", MINIMUM_MACOS)).toBe(-1);
  expect(compareVersions("14", "14.0")).toBe(0);
  expect(compareVersions("14.10", "14.9")).toBe(1);
  expect(compareVersions("26.1", MINIMUM_MACOS)).toBe(1);
});

describe("why the engine has no GPU on a Mac", () => {
  const mlxBuild = (mlxGpu: boolean, mlxGpuProblem: string | null = null): BuildInfo => ({
    blas: "Accelerate",
    backends: ["cpu", "mlx"],
    mlxGpu,
    mlxGpuProblem,
  });
  const appleSilicon: MacHost = { platform: "darwin", arch: "arm64", macos: "15.5", rosetta: false };

  test("nothing to say where the GPU is used, on an Intel Mac or on Linux", () => {
    expect(gpuAbsence(mlxBuild(true), appleSilicon)).toBeNull();
    const cpuOnly: BuildInfo = { blas: "Accelerate", backends: ["cpu"], mlxGpu: false, mlxGpuProblem: null };
    expect(gpuAbsence(cpuOnly, { platform: "darwin", arch: "x64", macos: "14.7", rosetta: false })).toBeNull();
    expect(
      gpuAbsence({ ...cpuOnly, blas: "OpenBLAS" }, { ...appleSilicon, platform: "linux", macos: null }),
    ).toBeNull();
  });

  test("an Intel node under Rosetta is told to be replaced by an arm64 one", () => {
    const cpuOnly: BuildInfo = { blas: "Accelerate", backends: ["cpu"], mlxGpu: false, mlxGpuProblem: null };
    expect(gpuAbsence(cpuOnly, { platform: "darwin", arch: "x64", macos: "15.5", rosetta: true })).toEqual({
      reason: expect.stringMatching(/^this node is an Intel \(x64\) program that Rosetta translates/),
      fix: expect.stringMatching(/^install a node for Apple silicon \(arm64\)/),
    });
  });

  test("a macOS older than the minimum, a rejected metallib, a virtual machine: each says so", () => {
    expect(gpuAbsence(mlxBuild(false), { ...appleSilicon, macos: "13.6.7" })).toEqual({
      reason: "macOS 13.6.7 is older than 14.0, the oldest MLX's Metal kernels run on",
      fix: "update macOS (System Settings → General → Software Update)",
    });
    // MLX's own messages (mlx/backend/metal/device.cpp, v0.32.1).
    expect(
      gpuAbsence(mlxBuild(false, "Failed to load the default metallib. library not found "), appleSilicon),
    ).toEqual({
      reason:
        "MLX's Metal kernels (mlx.metallib, beside the engine) did not load: Failed to load the default metallib. library not found",
      fix: "reinstall verbatim (npm install -g verbatim-dictation)",
    });
    const noDevice =
      "[metal::load_device] No Metal device available. This typically occurs in headless, sandboxed, or " +
      "virtualized macOS sessions where the GPU is not accessible.";
    expect(gpuAbsence(mlxBuild(false, noDevice), appleSilicon)).toEqual({
      reason: `MLX found no usable GPU: ${noDevice}`,
      fix: "run verbatim on the Mac itself: a virtual machine or a sandbox hides the GPU",
    });
    expect(gpuAbsence({ ...mlxBuild(false), backends: ["cpu"] }, appleSilicon)?.reason).toBe(
      "this engine was built without MLX",
    );
  });
});
