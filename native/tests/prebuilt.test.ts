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
  parseCpuFeatures,
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

// Real feature strings, as each OS prints them. macOS: `sysctl machdep.cpu.features machdep.cpu.leaf7_features`;
// Linux: /proc/cpuinfo's flags line.
const REAL_CPUS = {
  // A MacBook Pro (2018), Core i7-8750H, posted in arduano/simdeez#10.
  macCoffeeLake:
    "FPU VME DE PSE TSC MSR PAE MCE CX8 APIC SEP MTRR PGE MCA CMOV PAT PSE36 CLFSH DS ACPI MMX FXSR SSE SSE2 SS HTT TM " +
    "PBE SSE3 PCLMULQDQ DTES64 MON DSCPL VMX EST TM2 SSSE3 FMA CX16 TPR PDCM SSE4.1 SSE4.2 x2APIC MOVBE POPCNT AES PCID " +
    "XSAVE OSXSAVE SEGLIM64 TSCTMR AVX1.0 RDRAND F16C\n" +
    "RDWRFSGS TSC_THREAD_OFFSET SGX BMI1 AVX2 SMEP BMI2 ERMS INVPCID FPU_CSDS MPX RDSEED ADX SMAP CLFSOPT IPT SGXLC " +
    "MDCLEAR TSXFA IBRS STIBP L1DF SSBD",
  // An Intel Mac on macOS 12 (Darwin 21.6), posted in ggml-org/whisper.cpp#1250.
  macMonterey:
    "FPU VME DE PSE TSC MSR PAE MCE CX8 APIC SEP MTRR PGE MCA CMOV PAT PSE36 CLFSH DS ACPI MMX FXSR SSE SSE2 SS HTT TM " +
    "PBE SSE3 PCLMULQDQ DTES64 MON DSCPL VMX EST TM2 SSSE3 FMA CX16 TPR PDCM SSE4.1 SSE4.2 x2APIC MOVBE POPCNT AES PCID " +
    "XSAVE OSXSAVE SEGLIM64 TSCTMR AVX1.0 RDRAND F16C\n" +
    "RDWRFSGS TSC_THREAD_OFFSET SGX BMI1 AVX2 SMEP BMI2 ERMS INVPCID FPU_CSDS MPX RDSEED ADX SMAP CLFSOPT IPT SGXLC " +
    "MDCLEAR TSXFA IBRS STIBP L1DF ACAPMSR SSBD",
  // An iMac Pro's Xeon W, machdep.cpu.leaf7_features alone, posted in BLAKE3-team/BLAKE3#232.
  macXeonWLeaf7:
    "RDWRFSGS TSC_THREAD_OFFSET BMI1 HLE AVX2 FDPEO SMEP BMI2 ERMS INVPCID RTM PQM FPU_CSDS MPX PQE AVX512F AVX512DQ " +
    "RDSEED ADX SMAP CLFSOPT CLWB IPT AVX512CD AVX512BW AVX512VL MDCLEAR TSXFA IBRS STIBP L1DF ACAPMSR SSBD",
  // Haswell: a Xeon E5-2660 v3, posted in FOXBI/ch_cpuinfo#43.
  linuxHaswell:
    "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi mmx fxsr sse sse2 ss ht " +
    "tm pbe syscall nx pdpe1gb rdtscp lm constant_tsc arch_perfmon pebs bts rep_good nopl xtopology nonstop_tsc " +
    "aperfmperf eagerfpu pni pclmulqdq dtes64 monitor ds_cpl vmx smx est tm2 ssse3 fma cx16 xtpr pdcm pcid dca sse4_1 " +
    "sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand lahf_lm abm ida arat epb xsaveopt pln pts " +
    "dtherm tpr_shadow vnmi flexpriority ept vpid fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms invpcid",
  // Westmere, no AVX: a Xeon E5620, posted in huku-/research#1.
  linuxWestmere:
    "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi mmx fxsr sse sse2 ss ht " +
    "tm pbe syscall nx pdpe1gb rdtscp lm constant_tsc arch_perfmon pebs bts rep_good nopl xtopology nonstop_tsc " +
    "aperfmperf pni pclmulqdq dtes64 monitor ds_cpl vmx smx est tm2 ssse3 cx16 xtpr pdcm pcid dca sse4_1 sse4_2 popcnt " +
    "aes lahf_lm arat dtherm tpr_shadow vnmi flexpriority ept vpid",
};

// The release's CPU levels for Intel (packaging/package.mjs VARIANTS), as its prebuilt.json lists them.
const X86_64_V3 = ["avx", "avx2", "fma", "f16c", "bmi1", "bmi2", "movbe"];
const releaseX64: PrebuiltManifest = {
  variants: [
    { file: "verbatim-x86-64-v4.node", cpu: [...X86_64_V3, "avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"] },
    { file: "verbatim-x86-64-v3.node", cpu: X86_64_V3 },
    { file: "verbatim-x86-64.node", cpu: [] },
  ],
};

test("an Intel Mac's AVX2 CPU gets the x86-64-v3 build: macOS's AVX1.0 is AVX", () => {
  for (const mac of [REAL_CPUS.macCoffeeLake, REAL_CPUS.macMonterey]) {
    const features = parseCpuFeatures(mac, "darwin");
    expect(features.has("avx")).toBe(true);
    expect(chooseVariant(releaseX64, features)?.file).toBe("verbatim-x86-64-v3.node");
  }
  // AVX-512 is named in leaf7 alone, the same way on both systems.
  expect([...parseCpuFeatures(REAL_CPUS.macXeonWLeaf7, "darwin")]).toEqual(
    expect.arrayContaining(["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl", "bmi2"]),
  );
});

test("Linux's flags choose the same way: Haswell gets x86-64-v3, a CPU without AVX the baseline", () => {
  expect(chooseVariant(releaseX64, parseCpuFeatures(REAL_CPUS.linuxHaswell, "linux"))?.file).toBe(
    "verbatim-x86-64-v3.node",
  );
  expect(chooseVariant(releaseX64, parseCpuFeatures(REAL_CPUS.linuxWestmere, "linux"))?.file).toBe(
    "verbatim-x86-64.node",
  );
  // Only macOS's own spelling is renamed: "avx1.0" means nothing on Linux.
  expect(parseCpuFeatures("AVX1.0", "linux").has("avx")).toBe(false);
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
