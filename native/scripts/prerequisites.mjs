// Checks the system tools the native build needs and names the package that provides each missing one,
// so that `npm install` fails with an instruction rather than a compiler trace.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

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

const fixes = {
  cmake: { debian: "cmake", brew: "cmake" },
  compiler: { debian: "g++", brew: null },
  blas: { debian: "libopenblas-dev", brew: null },
  zlib: { debian: "zlib1g-dev", brew: null },
  mlx: { debian: null, brew: "mlx" },
};

export function checkPrerequisites() {
  const problems = [
    ["cmake", cmakeProblem()],
    ["compiler", compilerProblem()],
    ["blas", blasProblem()],
    ["zlib", zlibProblem()],
    ["mlx", mlxProblem()],
  ].filter(([, problem]) => problem);
  if (problems.length === 0) return;

  const lines = ["", "Verbatim's native engine cannot be built:"];
  for (const [, problem] of problems) lines.push(`  - ${problem}`);
  lines.push("", "Install what is missing, then run `npm install` again:");
  if (isMac) {
    const brew = problems.map(([what]) => fixes[what].brew).filter(Boolean);
    if (problems.some(([what]) => what === "compiler")) lines.push("  xcode-select --install");
    if (brew.length) lines.push(`  brew install ${brew.join(" ")}`);
  } else {
    lines.push(`  sudo apt-get install -y ${problems.map(([what]) => fixes[what].debian).join(" ")}`);
  }
  lines.push("");
  console.error(lines.join("\n"));
  process.exit(1);
}
