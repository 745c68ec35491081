// Every job of every workflow runs on a runner that exists: no GitHub-hosted label that GitHub has retired (a job on
// one queues and never runs: a release could never be built), and no self-hosted job without an `if:` that holds it
// back until such a runner is registered.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import yaml from "js-yaml";
import { repoRoot } from "../support/fixtures";

const workflowsDir = path.join(repoRoot, ".github", "workflows");

interface Job {
  "runs-on"?: unknown;
  if?: unknown;
  strategy?: { matrix?: Record<string, unknown> };
}

/** The label sets a job may run on: one per matrix value when runs-on names `${{ matrix.NAME }}`. */
function runnerLabels(job: Job): string[][] {
  const runsOn = job["runs-on"];
  if (Array.isArray(runsOn)) return [runsOn.map(String)];
  if (runsOn !== null && typeof runsOn === "object")
    return [((runsOn as { labels?: unknown[] }).labels ?? []).map(String)];
  if (typeof runsOn !== "string") throw new Error(`runs-on is missing or not a label: ${JSON.stringify(runsOn)}`);
  const expression = /^\$\{\{\s*matrix\.([\w-]+)\s*\}\}$/.exec(runsOn.trim());
  if (!expression) {
    if (runsOn.includes("${{")) throw new Error(`runs-on "${runsOn}" is an expression this check cannot read`);
    return [[runsOn]];
  }
  const name = expression[1];
  const matrix = job.strategy?.matrix ?? {};
  const axis = Array.isArray(matrix[name]) ? (matrix[name] as unknown[]) : [];
  const included = Array.isArray(matrix.include) ? (matrix.include as Record<string, unknown>[]) : [];
  const values = [...axis, ...included.map((entry) => entry[name]).filter((value) => value !== undefined)];
  if (values.length === 0) throw new Error(`runs-on names matrix.${name}, which the matrix does not list`);
  return values.map((value) => (Array.isArray(value) ? value.map(String) : [String(value)]));
}

interface RetiredEntry {
  labels: string[];
  retired: string;
  source: string;
}
const retiredList = JSON.parse(readFileSync(path.join(__dirname, "retired-runner-labels.json"), "utf8")) as {
  retired: RetiredEntry[];
};
const retired = new Map(retiredList.retired.flatMap((entry) => entry.labels.map((label) => [label, entry] as const)));

const workflows = readdirSync(workflowsDir)
  .filter((file) => /\.ya?ml$/.test(file))
  .map((file) => ({
    file,
    jobs: (yaml.load(readFileSync(path.join(workflowsDir, file), "utf8")) as { jobs: Record<string, Job> }).jobs,
  }));

test("the workflows are found and parse", () => {
  expect(workflows.map((workflow) => workflow.file)).toEqual(expect.arrayContaining(["release.yml", "macos.yml"]));
  for (const { jobs } of workflows) expect(Object.keys(jobs).length).toBeGreaterThan(0);
});

test("no job runs on a runner label GitHub has retired", () => {
  const found: string[] = [];
  for (const { file, jobs } of workflows) {
    for (const [name, job] of Object.entries(jobs)) {
      for (const label of runnerLabels(job).flat()) {
        const entry = retired.get(label);
        if (entry) found.push(`${file} job ${name}: ${label}, retired ${entry.retired} (${entry.source})`);
      }
    }
  }
  expect(found).toEqual([]);
});

test("a self-hosted job runs only when asked for (an if:), so it never waits for a runner that is not there", () => {
  const unguarded = workflows.flatMap(({ file, jobs }) =>
    Object.entries(jobs)
      .filter(([, job]) => runnerLabels(job).some((labels) => labels.includes("self-hosted")) && job.if === undefined)
      .map(([name]) => `${file} job ${name}`),
  );
  expect(unguarded).toEqual([]);
});

test("the check reads matrix labels, label lists and groups, and refuses what it cannot read", () => {
  const job = { "runs-on": "${{ matrix.runner }}", strategy: { matrix: { include: [{ runner: "macos-14" }] } } };
  expect(runnerLabels(job)).toEqual([["macos-14"]]);
  expect(runnerLabels({ "runs-on": ["self-hosted", "macOS", "ARM64"] })).toEqual([["self-hosted", "macOS", "ARM64"]]);
  expect(runnerLabels({ "runs-on": { group: "big", labels: ["macos-13"] } })).toEqual([["macos-13"]]);
  expect(() => runnerLabels({ "runs-on": "${{ inputs.runner }}" })).toThrow(/cannot read/);
  expect(() => runnerLabels({ "runs-on": "${{ matrix.os }}", strategy: { matrix: {} } })).toThrow(/does not list/);
  expect(retired.has("macos-14") && retired.has("macos-13")).toBe(true);
});
