// `npm run package`: the release tarballs for this machine's platform, in dist/packages/, named as on the npm registry
// (packaging/registry-names.mjs):
//   verbatim-dictation-<version>.tgz            the daemon, the CLI (bins verbatim and verbatimd) and the login service
//   verbatim-dictation-native-<version>.tgz     @verbatim-dictation/native: the engine's loader (and its sources, to
//                                               build from when no prebuilt fits)
//   verbatim-dictation-native-<platform>-<version>.tgz
//                                               @verbatim-dictation/native-<platform>: the prebuilt addon, one build
//                                               per CPU level, with what it links (OpenBLAS on Linux; MLX's
//                                               mlx.metallib on Apple silicon, MLX itself linked in)
// Each depends on the next through an npm alias of the workspace name the code imports (@verbatim/native,
// @verbatim/native-<platform>), so they install in those folders. The addon is N-API, so one binary serves every Node
// version. Prints what each tarball holds and its size.
// Usage: npm run package [-- --only-variant NAME | --this-cpu]
//   --only-variant NAME: one CPU build instead of all; --this-cpu: only the build this machine would load (checks)
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { aliasOf, MAIN_PACKAGE, publishedName } from "./registry-names.mjs";

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const stageRoot = path.join(root, "dist", "stage");
const outDir = path.join(root, "dist", "packages");
const { values: options } = parseArgs({
  options: { "only-variant": { type: "string" }, "this-cpu": { type: "boolean" } },
});

// CPU levels per platform, most demanding first; `cpu` lists the /proc/cpuinfo names the loader requires before
// choosing that build (native/lib/prebuilt.ts reads macOS's sysctl names as these: AVX1.0 is avx).
const X86_64_V3 = ["avx", "avx2", "fma", "f16c", "bmi1", "bmi2", "movbe"];
const X86_64_V4 = [...X86_64_V3, "avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"];
const VARIANTS = {
  "linux-x64-gnu": [
    // The CPU backend's integer 4-bit kernels need AVX-512 VNNI (Ice Lake, Zen 4 and later).
    { name: "x86-64-v4", flags: "-march=x86-64-v4 -mavx512vnni", cpu: [...X86_64_V4, "avx512_vnni"] },
    { name: "x86-64-v3", flags: "-march=x86-64-v3", cpu: X86_64_V3 },
    { name: "x86-64", flags: "-march=x86-64 -mtune=generic", cpu: [] },
  ],
  "linux-arm64-gnu": [{ name: "armv8-a", flags: "-march=armv8-a", cpu: [] }],
  "darwin-x64": [
    { name: "x86-64-v3", flags: "-march=x86-64-v3", cpu: X86_64_V3 },
    { name: "x86-64", flags: "-march=x86-64 -mtune=generic", cpu: [] },
  ],
  "darwin-arm64": [{ name: "apple-m1", flags: "-mcpu=apple-m1", cpu: [] }],
};

// Dependencies the verbatim package carries inside it, pruned to what Node loads on macOS and Linux (the published
// packages hold much more: every tiktoken encoding as JSON, 23 MB;
// zod's TypeScript sources, 3.1 MB; pvrecorder's Windows libraries, 1.7 MB). `keep` lists what stays of each (whole
// folders or files), or `drop` what goes, relative to the package; `dependencies` replaces its own, if given.
const BUNDLED = {
  zod: { drop: ["src"] },
  "@picovoice/pvrecorder-node": { drop: ["src", "test", "copy.js", "jest.config.js", "tsconfig.json", "lib/windows"] },
  tiktoken: {
    keep: [
      "package.json",
      "README.md",
      "LICENSE",
      "tiktoken.cjs",
      "tiktoken_bg.cjs",
      "tiktoken_bg.wasm",
      "tiktoken.d.ts",
    ],
  },
};

const run = (command, args, cwd = root) => execFileSync(command, args, { cwd, stdio: "inherit" });
const readJson = (file) => JSON.parse(readFileSync(file, "utf8"));
const writeJson = (file, value) => writeFileSync(file, JSON.stringify(value, null, 2) + "\n");
const copy = (from, to, filter) => cpSync(from, to, { recursive: true, filter });
const compiledJs = (file) => statSync(file).isDirectory() || file.endsWith(".js");

const { platformKey, platformPackageName, probeAddon, cpuFeatures, chooseVariant, PREBUILT_MANIFEST } = loadPrebuilt();
const daemonManifest = readJson(path.join(root, "daemon", "package.json"));
const version = daemonManifest.version;
const key = platformKey();
if (!VARIANTS[key]) throw new Error(`No release build is defined for ${key} (packaging/package.mjs VARIANTS)`);

function loadPrebuilt() {
  run("npx", ["tsc", "-b"]);
  return require(path.join(root, "native", "dist", "prebuilt.js"));
}

function bytesIn(folder) {
  let total = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return total;
}

/** Builds the addon once per CPU level into native/build-release/<level>; returns the platform package's files. */
function buildVariants(stage) {
  const here = chooseVariant({ variants: VARIANTS[key].map((v) => ({ file: v.name, cpu: v.cpu })) }, cpuFeatures());
  const wanted = options["this-cpu"] ? here?.file : options["only-variant"];
  const variants = VARIANTS[key].filter((v) => !wanted || v.name === wanted);
  if (variants.length === 0) throw new Error(`--only-variant must be one of ${VARIANTS[key].map((v) => v.name)}`);
  const manifest = { variants: [] };
  for (const variant of variants) {
    const buildDir = path.join("build-release", variant.name);
    console.log(`\n== the addon for ${key}, ${variant.name} (${variant.flags})`);
    run(
      process.execPath,
      [
        "scripts/build.mjs",
        "--out",
        buildDir,
        "--CDVERBATIM_NATIVE_ARCH=OFF",
        `--CDVERBATIM_ARCH_FLAGS=${variant.flags}`,
        "--CDVERBATIM_STATIC_DEPS=ON",
      ],
      path.join(root, "native"),
    );
    const release = path.join(root, "native", buildDir, "Release");
    const file = `verbatim-${variant.name}.node`;
    cpSync(path.join(release, "verbatim.node"), path.join(stage, file));
    // What every level links alike: OpenBLAS (Linux), MLX's Metal kernels (Apple silicon); one copy each.
    for (const shared of readdirSync(release).filter((name) => name !== "verbatim.node")) {
      if (!existsSync(path.join(stage, shared))) cpSync(path.join(release, shared), path.join(stage, shared));
    }
    manifest.variants.push({ file, cpu: variant.cpu });
  }
  writeJson(path.join(stage, PREBUILT_MANIFEST), manifest);
  // The build this machine would choose must load, in a fresh process, from the staged package.
  const chosen = chooseVariant(manifest, cpuFeatures());
  if (chosen) {
    const probe = probeAddon(path.join(stage, chosen.file));
    if (!probe.ok) throw new Error(`the staged ${chosen.file} does not load: ${probe.reason}`);
    console.log(`${chosen.file} loads here: ${JSON.stringify(probe.buildInfo)}`);
  }
}

function stagePlatformPackage() {
  const name = publishedName(platformPackageName(key));
  const stage = path.join(stageRoot, "native-" + key);
  mkdirSync(stage, { recursive: true });
  buildVariants(stage);
  const [os, cpu, libc] = key.split("-");
  writeJson(path.join(stage, "package.json"), {
    name,
    version,
    description: `Verbatim's prebuilt Whisper engine for ${key} (loaded by ${publishedName("@verbatim/native")})`,
    license: "MIT",
    os: [os],
    cpu: [cpu],
    ...(libc && { libc: [libc === "gnu" ? "glibc" : libc] }),
  });
  return name;
}

function stageLoaderPackage() {
  const native = path.join(root, "native");
  const stage = path.join(stageRoot, "native");
  mkdirSync(stage, { recursive: true });
  const manifest = readJson(path.join(native, "package.json"));
  copy(path.join(native, "dist"), path.join(stage, "dist"), (file) => !file.endsWith(".map"));
  // The voice detector's weights; the sources and scripts a build from source needs, when no prebuilt fits.
  for (const entry of ["assets", "scripts", "src", "cmake", "CMakeLists.txt"])
    copy(path.join(native, entry), path.join(stage, entry));
  const { private: _private, ...published } = manifest;
  writeJson(path.join(stage, "package.json"), {
    ...published,
    name: publishedName(manifest.name),
    version,
    optionalDependencies: Object.fromEntries(
      Object.keys(VARIANTS).map((platform) => [
        platformPackageName(platform),
        aliasOf(platformPackageName(platform), version),
      ]),
    ),
  });
}

function pruneBundled(name, rule, into) {
  // Where Node would find it from the daemon (a package's "exports" may hide its package.json from require.resolve).
  const source = [path.join(root, "daemon"), root]
    .map((folder) => path.join(folder, "node_modules", name))
    .find((folder) => existsSync(path.join(folder, "package.json")));
  if (!source) throw new Error(`${name} is not installed: run npm install first`);
  const target = path.join(into, "node_modules", name);
  if (rule.drop) copy(source, target, (file) => !rule.drop.includes(path.relative(source, file)));
  for (const kept of rule.keep ?? []) {
    if (existsSync(path.join(source, kept))) copy(path.join(source, kept), path.join(target, kept));
  }
  if (rule.dependencies) {
    const pkg = readJson(path.join(target, "package.json"));
    writeJson(path.join(target, "package.json"), { ...pkg, dependencies: rule.dependencies(pkg) });
  }
}

function stageVerbatimPackage() {
  const daemon = path.join(root, "daemon");
  const stage = path.join(stageRoot, "verbatim");
  mkdirSync(stage, { recursive: true });
  copy(path.join(daemon, "dist"), path.join(stage, "dist"), compiledJs);
  copy(path.join(daemon, "bin"), path.join(stage, "bin"));
  copy(path.join(daemon, "assets"), path.join(stage, "assets"));
  cpSync(path.join(root, "README.md"), path.join(stage, "README.md"));

  // The login service code rides inside, as a bundled dependency.
  const launchd = path.join(stage, "node_modules", "@verbatim", "launchd");
  copy(path.join(root, "launchd", "dist"), path.join(launchd, "dist"), compiledJs);
  const { name, main, description } = readJson(path.join(root, "launchd", "package.json"));
  writeJson(path.join(launchd, "package.json"), { name, version, description, main, license: "MIT" });
  for (const [bundled, rule] of Object.entries(BUNDLED)) pruneBundled(bundled, rule, stage);

  const dependencies = { ...daemonManifest.dependencies, "@verbatim/native": aliasOf("@verbatim/native", version) };
  dependencies["@verbatim/launchd"] = version;
  writeJson(path.join(stage, "package.json"), {
    name: MAIN_PACKAGE,
    version,
    description: "Local, private dictation and transcription: a warm Whisper daemon and the verbatim CLI",
    license: "MIT",
    engines: daemonManifest.engines,
    bin: daemonManifest.bin,
    main: daemonManifest.main,
    dependencies,
    bundleDependencies: ["@verbatim/launchd", ...Object.keys(BUNDLED)],
  });
}

for (const folder of [stageRoot, outDir]) rmSync(folder, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
stageVerbatimPackage();
stageLoaderPackage();
stagePlatformPackage();

console.log(`\nRelease tarballs for ${key}, version ${version}, in ${path.relative(root, outDir)}/:`);
for (const folder of readdirSync(stageRoot)) {
  const stage = path.join(stageRoot, folder);
  const tarball = execFileSync("npm", ["pack", stage, "--pack-destination", outDir, "--silent"], { cwd: root })
    .toString()
    .trim()
    .split("\n")
    .pop();
  const size = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
  console.log(
    `  ${tarball.padEnd(52)} ${size(statSync(path.join(outDir, tarball)).size).padStart(9)} packed, ` +
      `${size(bytesIn(stage))} unpacked`,
  );
}
