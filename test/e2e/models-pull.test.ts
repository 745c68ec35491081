// `verbatim models pull` as a user sees it in a terminal: the progress bar moves while the weights arrive.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { TestHub, writeTestModelFolder } from "../../daemon/tests/support/hub-server";
import { repoRoot } from "../support/fixtures";

jest.setTimeout(60_000);

const verbatim = path.join(repoRoot, "daemon", "bin", "verbatim.js");
const work = mkdtempSync(path.join(os.tmpdir(), "verbatim-pull-"));
let hub: TestHub;

beforeAll(async () => {
  hub = await TestHub.start();
});
afterAll(async () => {
  await hub.close();
  rmSync(work, { recursive: true, force: true });
});

/** Runs a command on a pseudo-terminal (the bar draws only on a terminal) and returns what it printed. */
function runOnTerminal(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  const child = spawn("python3", ["-c", "import pty, sys; sys.exit(pty.spawn(sys.argv[1:]) >> 8)", ...args], {
    env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, output })));
}

test("the bar shows growing percentages of the weights before the pull finishes", async () => {
  const published = path.join(work, "published");
  await writeTestModelFolder(published, { weightsBytes: 1_500_000 });
  const repo = await hub.addRepoFromFolder("org/slow-model", published);
  hub.injectFault(repo.repoId, "weights.safetensors", { kind: "trickle", bytes: 100_000, intervalMs: 80 });

  const { code, output } = await runOnTerminal([process.execPath, verbatim, "models", "pull", repo.repoId], {
    ...process.env,
    HF_ENDPOINT: hub.url,
    HF_HUB_CACHE: path.join(work, "cache"),
    HF_HUB_OFFLINE: "",
  });

  expect(code).toBe(0);
  expect(output).toContain(`${repo.repoId} is ready in`);
  const percents = [...output.matchAll(/(\d+)% weights\.safetensors/g)].map((match) => Number(match[1]));
  const between = percents.filter((percent) => percent > 0 && percent < 100);
  expect(between.length).toBeGreaterThanOrEqual(3);
  expect(between).toEqual([...between].sort((a, b) => a - b));
  expect(percents[percents.length - 1]).toBe(100);
});
