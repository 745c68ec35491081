// `verbatim models pull` as a user sees it: the progress bar moves while the weights arrive, and a pull repairs a
// damaged cache that `models list` shows as incomplete.
import { execFile, spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync } from "node:fs";
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

// A speech model of the test hub's, and the catalog's speaker model (nemotron-diarization, NVIDIA's repository, here
// the tiny fixture in its layout): pulled, listed and repaired alike.
const models = [
  {
    pulled: "org/slow-model",
    repoId: "org/slow-model",
    weights: "weights.safetensors",
    publish: (folder: string) => writeTestModelFolder(folder, { weightsBytes: 1_500_000 }),
    incomplete: /slow-model {2}\(incomplete\)/,
  },
  {
    pulled: "nemotron-diarization",
    repoId: "nvidia/Nemotron-3-Diarization",
    weights: "model.safetensors",
    publish: (folder: string) =>
      cpSync(path.join(repoRoot, "test", "fixtures", "models", "diarization-tiny"), folder, { recursive: true }),
    incomplete: /^\* {2}nemotron-diarization {2}up to 8 speakers {2}400 MB {2}incomplete, /m,
  },
];

test.each(models)(
  "$pulled: the bar shows growing percentages of the weights before the pull finishes",
  async (model) => {
    const published = path.join(work, "published", model.repoId);
    await model.publish(published);
    const repo = await hub.addRepoFromFolder(model.repoId, published);
    const bytes = repo.files.get(model.weights)!.size;
    hub.injectFault(repo.repoId, model.weights, { kind: "trickle", bytes: Math.ceil(bytes / 15), intervalMs: 80 });

    const { code, output } = await runOnTerminal([process.execPath, verbatim, "models", "pull", model.pulled], {
      ...process.env,
      HF_ENDPOINT: hub.url,
      HF_HUB_CACHE: path.join(work, "cache", model.repoId),
      HF_HUB_OFFLINE: "",
    });

    expect(code).toBe(0);
    expect(output).toContain(`${repo.repoId} is ready in`);
    const percents = [...output.matchAll(new RegExp(`(\\d+)% ${model.weights.replace(".", "\\.")}`, "g"))].map(
      (match) => Number(match[1]),
    );
    const between = percents.filter((percent) => percent > 0 && percent < 100);
    expect(between.length).toBeGreaterThanOrEqual(3);
    expect(between).toEqual([...between].sort((a, b) => a - b));
    expect(percents[percents.length - 1]).toBe(100);
  },
);

test.each(models)(
  "$pulled: models list shows a truncated model as incomplete, and models pull fetches it again",
  async (model) => {
    const published = path.join(work, "published-damaged", model.repoId);
    await model.publish(published);
    const repo = await hub.addRepoFromFolder(model.repoId, published);
    const weights = repo.files.get(model.weights);
    if (!weights) throw new Error("the test repository has no weights");
    const env = {
      ...process.env,
      HF_ENDPOINT: hub.url,
      HF_HUB_CACHE: path.join(work, "cache-damaged", model.repoId),
      HF_HUB_OFFLINE: "",
      VERBATIM_HOME: path.join(work, "home"),
    };
    // Asynchronously: the hub answers from this process.
    const verbatimCli = async (...args: string[]) =>
      (await promisify(execFile)(process.execPath, [verbatim, ...args], { env, encoding: "utf8" })).stdout;

    await verbatimCli("models", "pull", model.pulled);
    const blob = path.join(env.HF_HUB_CACHE, `models--${model.repoId.replace("/", "--")}`, "blobs", weights.etag);
    truncateSync(blob, 1000);
    expect(await verbatimCli("models", "list")).toMatch(model.incomplete);

    expect(await verbatimCli("models", "pull", model.pulled)).toContain(`${repo.repoId} is ready in`);
    expect(sha256(readFileSync(blob))).toBe(weights.etag);
    expect(await verbatimCli("models", "list")).not.toContain("incomplete");
  },
);
