// Where the engine's compiled addon comes from: a build from source in this package (build/Release, made by
// `npm install` in a checkout, or when no prebuilt fits), else the prebuilt binary in this platform's package
// (@verbatim/native-<os>-<cpu>[-<libc>], an optional dependency that npm installs only on its own platform; published
// as @verbatim-dictation/native-…, it installs under this name through an npm alias), in the variant for this CPU.
// Plain Node only: scripts/install.mjs and `verbatim doctor` use it too.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { BuildInfo } from "./types";

/** The platforms with a prebuilt package (packaging/package.mjs builds them; the release workflow publishes them). */
export const PREBUILT_PLATFORMS = ["darwin-arm64", "darwin-x64", "linux-x64-gnu", "linux-arm64-gnu"] as const;

/** One build of the addon in a platform package, for CPUs with every feature in `cpu` (as /proc/cpuinfo names them). */
export interface PrebuiltVariant {
  file: string;
  cpu: string[];
}

/** A platform package's prebuilt.json: its variants, most demanding first. */
export interface PrebuiltManifest {
  variants: PrebuiltVariant[];
}

export const PREBUILT_MANIFEST = "prebuilt.json";

const packageDir = path.join(__dirname, "..");

/** The addon built from source in this package. */
export const sourceBuild = path.join(packageDir, "build", "Release", "verbatim.node");

/** This machine as the platform packages are named: os-cpu, and the C library on Linux (gnu or musl). */
export function platformKey(platform = process.platform, arch = process.arch): string {
  if (platform !== "linux") return `${platform}-${arch}`;
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return `${platform}-${arch}-${report?.header?.glibcVersionRuntime ? "gnu" : "musl"}`;
}

export function platformPackageName(key = platformKey()): string {
  return `@verbatim/native-${key}`;
}

/**
 * The names macOS gives CPU features where /proc/cpuinfo's differ beyond case and punctuation: xnu's feature_map
 * (osfmk/i386/cpuid.c) writes AVX as "AVX1.0".
 */
const MACOS_FEATURE_NAMES: Record<string, string> = { "AVX1.0": "avx" };

/**
 * The features named in `text`, as the loader compares them (normalizeFeature): Linux's /proc/cpuinfo `flags`, or
 * macOS's `machdep.cpu.features` and `machdep.cpu.leaf7_features` sysctls.
 */
export function parseCpuFeatures(text: string, platform: NodeJS.Platform): Set<string> {
  const names = text.split(/\s+/).filter(Boolean);
  const renamed = platform === "darwin" ? names.map((name) => MACOS_FEATURE_NAMES[name] ?? name) : names;
  return new Set(renamed.map(normalizeFeature));
}

/** This CPU's features (parseCpuFeatures); none where they cannot be read, so only a variant that needs none fits. */
export function cpuFeatures(): Set<string> {
  let names = "";
  try {
    if (process.platform === "linux") {
      names = /^flags\s*:(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "";
    } else if (process.platform === "darwin" && process.arch === "x64") {
      names = execFileSync("/usr/sbin/sysctl", ["-n", "machdep.cpu.features", "machdep.cpu.leaf7_features"], {
        encoding: "utf8",
      });
    }
  } catch {
    // Unknown features: only a variant that needs none is chosen.
  }
  return parseCpuFeatures(names, process.platform);
}

/** Lower case without punctuation: "avx512_vnni" and macOS's "AVX512VNNI" are both "avx512vnni". */
export function normalizeFeature(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/** The first variant whose CPU features this machine has, or null. */
export function chooseVariant(manifest: PrebuiltManifest, features: Set<string>): PrebuiltVariant | null {
  return manifest.variants.find((variant) => variant.cpu.every((name) => features.has(normalizeFeature(name)))) ?? null;
}

export type PrebuiltLookup =
  { found: true; file: string; packageName: string; variant: string } | { found: false; reason: string };

/** This platform's prebuilt addon for this CPU, or why there is none. */
export function findPrebuilt(
  key = platformKey(),
  features: () => Set<string> = cpuFeatures,
  resolve: (request: string) => string = require.resolve,
): PrebuiltLookup {
  const packageName = platformPackageName(key);
  if (!(PREBUILT_PLATFORMS as readonly string[]).includes(key)) {
    return { found: false, reason: `no prebuilt engine is published for ${key}` };
  }
  let manifestFile: string;
  try {
    manifestFile = resolve(`${packageName}/${PREBUILT_MANIFEST}`);
  } catch {
    return {
      found: false,
      reason: `${packageName}, the prebuilt engine for ${key}, is not installed (npm leaves it out when optional dependencies are omitted)`,
    };
  }
  let manifest: PrebuiltManifest;
  try {
    manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as PrebuiltManifest;
  } catch (error) {
    return { found: false, reason: `${manifestFile} cannot be read: ${(error as Error).message}` };
  }
  const variant = chooseVariant(manifest, features());
  if (!variant) return { found: false, reason: `no build in ${packageName} runs on this CPU` };
  const file = path.join(path.dirname(manifestFile), variant.file);
  if (!existsSync(file)) return { found: false, reason: `${file} is missing: reinstall ${packageName}` };
  return { found: true, file, packageName, variant: path.basename(variant.file, ".node") };
}

export type AddonLocation = { file: string; origin: string } | { file: null; problem: string };

/** The addon this package loads: a build from source when there is one, else the prebuilt for this machine. */
export function locateAddon(): AddonLocation {
  if (existsSync(sourceBuild)) return { file: sourceBuild, origin: "built from source" };
  const prebuilt = findPrebuilt();
  if (prebuilt.found) return { file: prebuilt.file, origin: `${prebuilt.packageName} (${prebuilt.variant})` };
  return { file: null, problem: prebuilt.reason };
}

/** What to do when no addon loads: build it from source, with the tools that needs. */
export function sourceBuildAdvice(platform = process.platform): string {
  const tools =
    platform === "darwin"
      ? "xcode-select --install; brew install cmake" + (process.arch === "arm64" ? " mlx" : "")
      : "sudo apt-get install -y cmake g++ libopenblas-dev zlib1g-dev (or your system's packages for them)";
  return (
    `Build it from source: install the build tools (${tools}), then run ` +
    "`npm install -g verbatim-dictation --allow-scripts=@verbatim-dictation/native --foreground-scripts` " +
    "(in a checkout of Verbatim's repository: `npm install`)."
  );
}

export type ProbeResult = { ok: true; buildInfo: BuildInfo } | { ok: false; reason: string };

/**
 * Loads the addon in a child process and asks for its build info: a binary that cannot load here (a missing
 * library, a C library too old, a CPU instruction this machine lacks) fails there instead of in this process.
 */
export function probeAddon(file: string, node = process.execPath): ProbeResult {
  const script = "process.stdout.write(JSON.stringify(require(process.argv[1]).buildInfo()))";
  const child = spawnSync(node, ["-e", script, file], { encoding: "utf8", timeout: 60_000 });
  if (child.status === 0) {
    try {
      return { ok: true, buildInfo: JSON.parse(child.stdout) as BuildInfo };
    } catch {
      return { ok: false, reason: `it answered ${JSON.stringify(child.stdout.slice(0, 200))}` };
    }
  }
  const why = child.error?.message ?? (child.signal ? `it was killed by ${child.signal}` : `exit ${child.status}`);
  const detail = /^(Error|error).*$/m.exec(child.stderr)?.[0] ?? child.stderr.trim().split("\n").pop() ?? "";
  return { ok: false, reason: detail ? `${why}: ${detail}` : why };
}
