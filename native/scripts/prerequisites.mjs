// Checks the system tools the native build (and, with --tests, the test suite) needs and names the package that
// provides each missing one, so that `npm install` and `npm test` fail with an instruction rather than a trace.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const nodeFloor = createRequire(import.meta.url)("./node-floor.cjs");

const isMac = process.platform === "darwin";
const isAppleSilicon = isMac && process.arch === "arm64";

function runs(command, args) {
  try {
    return execFileSync(command, args, { stdio: ["ignore", "pipe", "ignore"] }).toString();
  } catch {
    return null;
  }
}

function cmakeProblem() {
  const out = runs("cmake", ["--version"]);
  if (!out) return "CMake is not installed";
  const [major, minor] = (out.match(/(\d+)\.(\d+)/) ?? ["", "0", "0"]).slice(1).map(Number);
  return major > 3 || (major === 3 && minor >= 18)
    ? null
    : `CMake ${major}.${minor} is too old (3.18 or newer is needed)`;
}

function compilerProblem() {
  const cxx = process.env.CXX ?? (isMac ? "clang++" : "c++");
  return runs(cxx, ["--version"]) ? null : `no C++17 compiler was found (tried "${cxx}")`;
}

const includeDirs = [
  process.env.OpenBLAS_HOME && path.join(process.env.OpenBLAS_HOME, "include"),
  "/usr/include",
  "/usr/include/openblas",
  "/usr/include/x86_64-linux-gnu",
  "/usr/include/aarch64-linux-gnu",
  "/usr/local/include",
  "/usr/local/opt/openblas/include",
  "/opt/homebrew/include",
].filter(Boolean);

function hasHeader(header) {
  return includeDirs.some((dir) => existsSync(path.join(dir, header)));
}

function blasProblem() {
  if (isMac) return null; // Accelerate ships with macOS.
  return hasHeader("cblas.h") ? null : "no BLAS headers (cblas.h) were found";
}

function zlibProblem() {
  if (isMac) return null; // zlib ships with macOS.
  return hasHeader("zlib.h") ? null : "no zlib headers (zlib.h) were found";
}

// Where CMake's find_package(MLX) looks (native/cmake/mlx.cmake): MLX_DIR, Homebrew, a pip-installed MLX.
function mlxConfigDirs() {
  const dirs = [];
  if (process.env.MLX_DIR) dirs.push(process.env.MLX_DIR, path.join(process.env.MLX_DIR, "share", "cmake", "MLX"));
  for (const prefix of ["/opt/homebrew", "/usr/local"]) dirs.push(path.join(prefix, "share", "cmake", "MLX"));
  const pip = runs("python3", ["-m", "mlx", "--cmake-dir"]);
  if (pip) dirs.push(path.join(pip.trim(), "share", "cmake", "MLX"));
  return dirs;
}

// On Apple silicon the engine runs on the GPU through MLX: a build without it would quietly be CPU only.
function mlxProblem() {
  if (!isAppleSilicon) return null;
  return mlxConfigDirs().some((dir) => existsSync(path.join(dir, "MLXConfig.cmake")))
    ? null
    : "MLX (the engine's GPU backend on Apple silicon) was not found";
}

function commandProblem(command, args, what) {
  return runs(command, args) === null ? `${command} (${what}) is not installed` : null;
}

function doctestProblem() {
  return hasHeader(path.join("doctest", "doctest.h")) ? null : "doctest (the C++ test framework) was not found";
}

// The tests run their Python tools with the system interpreter (test/support/fixtures.ts, native/tests).
const testPython = "/usr/bin/python3";

function pythonModuleProblem(module, what) {
  const found = runs(testPython, [
    "-c",
    `import importlib.util, sys; sys.exit(importlib.util.find_spec("${module}") is None)`,
  ]);
  return found === null ? `${testPython} cannot import ${module} (${what})` : null;
}

const fixes = {
  cmake: { debian: "cmake", brew: "cmake" },
  compiler: { debian: "g++", brew: null },
  blas: { debian: "libopenblas-dev", brew: null },
  zlib: { debian: "zlib1g-dev", brew: null },
  mlx: { debian: null, brew: "mlx" },
  doctest: { debian: "doctest-dev", brew: "doctest" },
  espeak: { debian: "espeak-ng", brew: "espeak-ng" },
  sox: { debian: "sox", brew: "sox" },
  ffmpeg: { debian: "ffmpeg", brew: "ffmpeg" },
  numpy: { debian: "python3-numpy", pip: "numpy" },
  torch: { debian: "python3-torch", pip: "torch" },
  pulseaudio: { debian: "pulseaudio", brew: null },
  paplay: { debian: "pulseaudio-utils", brew: null },
};

function buildProblems() {
  return [
    ["cmake", cmakeProblem()],
    ["compiler", compilerProblem()],
    ["blas", blasProblem()],
    ["zlib", zlibProblem()],
    ["mlx", mlxProblem()],
  ];
}

function testProblems() {
  return [
    ["doctest", doctestProblem()],
    ["espeak", commandProblem("espeak-ng", ["--version"], "speaks the test recordings")],
    ["sox", commandProblem("sox", ["--version"], "edits test audio")],
    ["ffmpeg", commandProblem("ffmpeg", ["-version"], "decodes and encodes test media")],
    ["numpy", pythonModuleProblem("numpy", "the reference tools write test models with it")],
    ["torch", pythonModuleProblem("torch", "the reference Whisper the engine is checked against")],
    // The microphone tests record a PulseAudio null sink's monitor on Linux; macOS records through CoreAudio.
    ["pulseaudio", isMac ? null : commandProblem("pulseaudio", ["--version"], "the microphone tests' sound server")],
    ["paplay", isMac ? null : commandProblem("paplay", ["--version"], "plays speech into the test microphone")],
  ];
}

/** Exits with the install commands for whatever is missing; `what` and `rerun` word the message. */
function requireAll(checks, what, rerun) {
  const problems = checks.filter(([, problem]) => problem);
  if (problems.length === 0) return;

  const lines = ["", what];
  for (const [, problem] of problems) lines.push(`  - ${problem}`);
  lines.push("", `Install what is missing, then run \`${rerun}\` again:`);
  if (isMac) {
    const brew = problems.map(([key]) => fixes[key].brew).filter(Boolean);
    const pip = problems.map(([key]) => fixes[key].pip).filter(Boolean);
    if (problems.some(([key]) => key === "compiler")) lines.push("  xcode-select --install");
    if (brew.length) lines.push(`  brew install ${brew.join(" ")}`);
    if (pip.length) lines.push(`  ${testPython} -m pip install --user ${pip.join(" ")}`);
  } else {
    const apt = problems.map(([key]) => fixes[key].debian).filter(Boolean);
    if (apt.length) lines.push(`  sudo apt-get install -y ${apt.join(" ")}`);
  }
  lines.push("");
  console.error(lines.join("\n"));
  process.exit(1);
}

export function checkPrerequisites() {
  nodeFloor.exitIfNodeTooOld("npm install");
  requireAll(buildProblems(), "Verbatim's native engine cannot be built:", "npm install");
}

/** What `npm test` needs: the build's tools plus the test suite's. */
export function checkTestPrerequisites() {
  nodeFloor.exitIfNodeTooOld("npm test");
  requireAll([...buildProblems(), ...testProblems()], "Verbatim's tests cannot run:", "npm test");
}

// `node native/scripts/prerequisites.mjs --tests`: the check before `npm test`.
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes("--tests")) checkTestPrerequisites();
