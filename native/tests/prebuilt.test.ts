// Choosing the engine's binary: the platform package's build for this CPU, and the child-process test that a binary
// loads here. The whole path (packed, installed, loaded) is test/package/install.test.ts.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import {
  chooseVariant,
  cpuFeatures,
  findPrebuilt,
  normalizeFeature,
  platformKey,
  platformPackageName,
  probeAddon,
  sourceBuild,
  type PrebuiltManifest,
} from "../lib/prebuilt";

const manifest: PrebuiltManifest = {
  variants: [
    { file: "verbatim-x86-64-v4.node", cpu: ["avx2", "avx512f", "avx512_vnni"] },
    { file: "verbatim-x86-64-v3.node", cpu: ["avx2", "fma"] },
    { file: "verbatim-x86-64.node", cpu: [] },
  ],
};
const features = (...names: string[]) => new Set(names.map(normalizeFeature));

let scratch: string;
let folder: string;
beforeEach(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), "verbatim-prebuilt-"));
  folder = scratch;
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

/** Resolves package requests from `folder`'s node_modules with Node's own resolver, as an installed loader would. */
const resolveIn = (request: string) => createRequire(path.join(folder, "loader.js")).resolve(request);

function installPlatformPackage(key: string, files: string[]): string {
  const dir = path.join(folder, "node_modules", platformPackageName(key));
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: platformPackageName(key), version: "0.1.0" }));
  writeFileSync(path.join(dir, "prebuilt.json"), JSON.stringify(manifest));
  for (const file of files) writeFileSync(path.join(dir, file), "");
  return dir;
}

test("the most demanding build whose features the CPU has is chosen, whatever the OS calls them", () => {
  // Linux writes avx512_vnni, macOS AVX512VNNI.
  expect(chooseVariant(manifest, features("AVX2", "FMA", "AVX512F", "AVX512VNNI"))?.file).toBe(
    "verbatim-x86-64-v4.node",
  );
  expect(chooseVariant(manifest, features("avx2", "fma", "avx512f"))?.file).toBe("verbatim-x86-64-v3.node");
  expect(chooseVariant(manifest, features("sse4_2"))?.file).toBe("verbatim-x86-64.node");
  expect(chooseVariant({ variants: [{ file: "a.node", cpu: ["avx2"] }] }, features())).toBeNull();
});

test("this machine's features are read (Linux: /proc/cpuinfo)", () => {
  if (process.platform === "linux" && process.arch === "x64") expect(cpuFeatures().has("sse2")).toBe(true);
});

test("the platform package is found by name; its absence, an unknown platform or a missing file say so", () => {
  const key = "linux-x64-gnu";
  expect(findPrebuilt("linux-riscv64-gnu", () => features(), resolveIn)).toEqual({
    found: false,
    reason: "no prebuilt engine is published for linux-riscv64-gnu",
  });
  expect(findPrebuilt(key, () => features(), resolveIn)).toMatchObject({
    found: false,
    reason: expect.stringMatching(/@verbatim\/native-linux-x64-gnu.* is not installed/),
  });
  // Node remembers a package.json it did not find: the package is installed where it has not looked yet.
  folder = path.join(folder, "later");

  const dir = installPlatformPackage(key, ["verbatim-x86-64-v3.node", "verbatim-x86-64.node"]);
  expect(findPrebuilt(key, () => features("avx2", "fma"), resolveIn)).toEqual({
    found: true,
    file: path.join(dir, "verbatim-x86-64-v3.node"),
    packageName: "@verbatim/native-linux-x64-gnu",
    variant: "verbatim-x86-64-v3",
  });
  expect(findPrebuilt(key, () => features("avx2", "avx512f", "avx512vnni"), resolveIn)).toMatchObject({
    found: false,
    reason: expect.stringMatching(/verbatim-x86-64-v4\.node is missing: reinstall @verbatim\/native-linux-x64-gnu/),
  });
});

test("platform keys name the C library on Linux only", () => {
  expect(platformKey("darwin", "arm64")).toBe("darwin-arm64");
  if (process.platform === "linux") expect(platformKey("linux", "x64")).toMatch(/^linux-x64-(gnu|musl)$/);
});

test("a binary is tried in a child process: this checkout's build loads, a broken one fails there with the reason", () => {
  const built = probeAddon(sourceBuild);
  expect(built).toMatchObject({ ok: true, buildInfo: { backends: expect.arrayContaining(["cpu"]) } });

  const broken = path.join(folder, "broken.node");
  writeFileSync(broken, "not a shared library\n".repeat(100));
  const probe = probeAddon(broken);
  expect(probe.ok).toBe(false);
  expect(probe.ok || probe.reason).toMatch(/^exit 1: Error: .*broken\.node/);
});
