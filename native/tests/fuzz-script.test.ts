// native/fuzz/run.sh on a machine that cannot build libFuzzer targets: it says what to install instead of failing
// in the linker.
import { spawnSync } from "node:child_process";
import path from "node:path";

const script = path.join(__dirname, "..", "fuzz", "run.sh");

function runWith(cxx: string) {
  const result = spawnSync("bash", [script, "1"], { env: { ...process.env, CXX: cxx }, encoding: "utf8" });
  return { code: result.status, stderr: result.stderr };
}

test("a compiler without libFuzzer (GCC here) is refused with the package that brings it", () => {
  const { code, stderr } = runWith("g++");
  expect(code).toBe(2);
  expect(stderr).toContain("g++ cannot build a libFuzzer target");
  expect(stderr).toContain("apt install libclang-rt-14-dev");
});

test("a missing compiler is named with the packages to install", () => {
  const { code, stderr } = runWith("clang++-no-such-version");
  expect(code).toBe(2);
  expect(stderr).toContain("clang++-no-such-version was not found");
  expect(stderr).toContain("apt install clang-14 libclang-rt-14-dev");
});
