import { spawnSync } from "node:child_process";
import { buildInfo } from "../lib";
import { sourceBuild } from "../lib/prebuilt";

test("the addon loads and reports the BLAS it was built against", () => {
  const info = buildInfo();
  expect(info.blas).toBe(process.platform === "darwin" ? "Accelerate" : "OpenBLAS");
  expect(Array.isArray(info.backends)).toBe(true);
});

test("the build says why MLX has no GPU, and VERBATIM_NO_GPU=1 keeps MLX on its CPU", () => {
  const info = buildInfo();
  if (info.mlxGpu || !info.backends.includes("mlx")) expect(info.mlxGpuProblem).toBeNull();
  else expect(info.mlxGpuProblem).toEqual(expect.any(String)); // MLX's reason (mlx_backend.cpp)
  // In a fresh process: the switch is read where MLX is asked for its GPU.
  const script = "process.stdout.write(JSON.stringify(require(process.argv[1]).buildInfo()))";
  const child = spawnSync(process.execPath, ["-e", script, sourceBuild], {
    env: { ...process.env, VERBATIM_NO_GPU: "1" },
    encoding: "utf8",
  });
  expect(child.status).toBe(0);
  const switchedOff = JSON.parse(child.stdout) as typeof info;
  expect(switchedOff.mlxGpu).toBe(false);
  expect(switchedOff.mlxGpuProblem).toBe(
    info.backends.includes("mlx") ? "VERBATIM_NO_GPU=1 keeps MLX on its CPU" : null,
  );
});
