// One minimum macOS everywhere it is set or told: the engine's build, the release and CI workflows, and the docs that
// users read before installing. MINIMUM_MACOS (native/lib/macos.ts) is what doctor checks and the release compares
// every shipped binary with.
import { readFileSync } from "node:fs";
import path from "node:path";
import yaml from "js-yaml";
import { MINIMUM_MACOS } from "../../native/lib/macos";
import { repoRoot } from "../support/fixtures";

const read = (file: string) => readFileSync(path.join(repoRoot, file), "utf8");
const workflowEnv = (file: string) =>
  (yaml.load(read(path.join(".github", "workflows", file))) as { env: Record<string, string> }).env;

test("the engine's build and the workflows build for MINIMUM_MACOS", () => {
  expect(read("native/CMakeLists.txt")).toContain(`set(CMAKE_OSX_DEPLOYMENT_TARGET "${MINIMUM_MACOS}" CACHE STRING`);
  expect(workflowEnv("release.yml").MACOSX_DEPLOYMENT_TARGET).toBe(MINIMUM_MACOS);
  expect(workflowEnv("macos.yml").MACOSX_DEPLOYMENT_TARGET).toBe(MINIMUM_MACOS);
  // MLX (and so its metallib) is built for it, checked, and every shipped binary is compared with it.
  const release = read(".github/workflows/release.yml");
  expect(release).toContain('-DCMAKE_OSX_DEPLOYMENT_TARGET="$MACOSX_DEPLOYMENT_TARGET"');
  expect(release).toContain("node native/scripts/check-macos-minimum.mjs dist/stage/native-");
});

/** macOS releases by the names Apple and Homebrew's `depends_on macos:` give them. */
const MACOS_NAMES: Record<string, string> = { "14.0": "Sonoma", "15.0": "Sequoia", "26.0": "Tahoe" };

test("the install guide, the extension's README and the Homebrew formula state it", () => {
  const name = MACOS_NAMES[MINIMUM_MACOS];
  expect(read("docs/install.md")).toContain(`macOS ${MINIMUM_MACOS} (${name}) or later`);
  expect(read("extension/README.md")).toContain(`It needs macOS ${MINIMUM_MACOS} (${name}) or later.`);
  expect(read("packaging/homebrew/verbatim.rb")).toContain(`depends_on macos: :${name.toLowerCase()}`);
});
