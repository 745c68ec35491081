// `verbatim models pull` as a user sees it: the progress bar moves while the weights arrive, and a pull repairs a
// damaged cache that `models list` shows as incomplete.
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, truncateSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { sha256, TestHub, writeTestModelFolder } from "../../daemon/tests/support/hub-server";
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

test("models list shows a truncated model as incomplete, and models pull fetches it again", async () => {
  const published = path.join(work, "published-damaged");
  await writeTestModelFolder(published);
  const repo = await hub.addRepoFromFolder("org/damaged-model", published);
  const weights = repo.files.get("weights.safetensors");
  if (!weights) throw new Error("the test repository has no weights");
  const env = {
    ...process.env,
    HF_ENDPOINT: hub.url,
    HF_HUB_CACHE: path.join(work, "cache-damaged"),
    HF_HUB_OFFLINE: "",
  };
  // Asynchronously: the hub answers from this process.
  const verbatimCli = async (...args: string[]) =>
    (await promisify(execFile)(process.execPath, [verbatim, ...args], { env, encoding: "utf8" })).stdout;

  await verbatimCli("models", "pull", repo.repoId);
  const blob = path.join(env.HF_HUB_CACHE, "models--org--damaged-model", "blobs", weights.etag);
  truncateSync(blob, 1000);
  expect(await verbatimCli("models", "list")).toMatch(/damaged-model {2}\(incomplete\)/);

  expect(await verbatimCli("models", "pull", repo.repoId)).toContain(`${repo.repoId} is ready in`);
  expect(sha256(readFileSync(blob))).toBe(weights.etag);
  expect(await verbatimCli("models", "list")).not.toContain("incomplete");
});
