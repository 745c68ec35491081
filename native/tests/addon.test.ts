import { buildInfo } from "../lib";

test("the addon loads and reports the BLAS it was built against", () => {
  const info = buildInfo();
  expect(info.blas).toBe(process.platform === "darwin" ? "Accelerate" : "OpenBLAS");
  expect(Array.isArray(info.backends)).toBe(true);
});
