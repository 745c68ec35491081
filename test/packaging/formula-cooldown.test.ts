// The Homebrew formula waits for Homebrew's cooldown: packaging/homebrew/formula-cooldown.mjs asks a registry (a
// loopback one here, through the real npm client) when every package the formula pins was published, and says
// `ready` only once the youngest is older than Homebrew's one day. npm itself, given Homebrew's --min-release-age=1,
// refuses the same fresh version and takes it once aged: the rule the script keeps.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "../support/fixtures";

jest.setTimeout(120_000);

const HOUR = 60 * 60 * 1000;
const script = path.join(repoRoot, "packaging", "homebrew", "formula-cooldown.mjs");
const scratch = mkdtempSync(path.join(os.tmpdir(), "verbatim-cooldown-"));
let server: http.Server;
let registry: string;
/** Publication time of each of our packages, by name: what the registry reports. */
const published = new Map<string, Date>();

const VERSION = "0.3.0";
const alias = (name: string) => `npm:${name}@${VERSION}`;
/** The release's manifests, as packaging/package.mjs writes them: each pins the next through an npm alias. */
const manifests: Record<string, Record<string, unknown>> = {
  "verbatim-dictation": { dependencies: { "@verbatim/native": alias("@verbatim-dictation/native"), zod: "^3.0.0" } },
  "@verbatim-dictation/native": {
    optionalDependencies: {
      "@verbatim/native-darwin-arm64": alias("@verbatim-dictation/native-darwin-arm64"),
      "@verbatim/native-linux-x64-gnu": alias("@verbatim-dictation/native-linux-x64-gnu"),
    },
  },
  "@verbatim-dictation/native-darwin-arm64": {},
  "@verbatim-dictation/native-linux-x64-gnu": {},
};

function packument(name: string) {
  const time = published.get(name)!.toISOString();
  return {
    name,
    "dist-tags": { latest: VERSION },
    time: { created: time, modified: time, [VERSION]: time },
    versions: {
      [VERSION]: {
        name,
        version: VERSION,
        ...manifests[name],
        dist: { tarball: `${registry}/tarballs/${name.replace("/", "-")}-${VERSION}.tgz` },
      },
    },
  };
}

beforeAll(async () => {
  server = http.createServer((request, response) => {
    const name = decodeURIComponent(new URL(request.url!, "http://registry").pathname.slice(1));
    if (!manifests[name]) {
      response.writeHead(404, { "content-type": "application/json" }).end('{"error":"not found"}');
      return;
    }
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(packument(name)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  registry = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(scratch, { recursive: true, force: true });
});

/** Runs a command against the loopback registry, asynchronously: the registry answers from this process. */
function run(file: string, args: string[], cwd = scratch): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    ...process.env,
    npm_config_registry: `${registry}/`,
    npm_config_cache: path.join(scratch, "npm-cache"),
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
  };
  return new Promise((resolve) =>
    execFile(file, args, { cwd, env, encoding: "utf8" }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

const cooldown = () => run(process.execPath, [script, VERSION]);

test("every package the formula pins is found, and the youngest decides", async () => {
  const now = Date.now();
  published.set("verbatim-dictation", new Date(now - 30 * HOUR));
  published.set("@verbatim-dictation/native", new Date(now - 30 * HOUR));
  published.set("@verbatim-dictation/native-darwin-arm64", new Date(now - 30 * HOUR));
  // One platform's engine published last (its publish retried), hours after the rest.
  published.set("@verbatim-dictation/native-linux-x64-gnu", new Date(now - 2 * HOUR));
  const waiting = await cooldown();
  expect(waiting.code).toBe(2);
  for (const name of Object.keys(manifests)) expect(waiting.stdout).toContain(`${name}@${VERSION} published`);
  expect(waiting.stdout).not.toContain("zod");
  const until = new Date(/^wait until (\S+)$/m.exec(waiting.stdout)![1]).getTime();
  // The youngest package's time, one day and an hour's margin.
  expect(until).toBe(published.get("@verbatim-dictation/native-linux-x64-gnu")!.getTime() + 25 * HOUR);

  published.set("@verbatim-dictation/native-linux-x64-gnu", new Date(now - 26 * HOUR));
  const ready = await cooldown();
  expect(ready.code).toBe(0);
  expect(ready.stdout).toMatch(/^ready$/m);
});

test("npm, given Homebrew's --min-release-age=1, refuses a version published minutes ago and takes it a day later", async () => {
  const install = () =>
    run("npm", [
      "install",
      "--dry-run",
      "--min-release-age=1",
      "--ignore-scripts",
      `@verbatim-dictation/native-darwin-arm64@${VERSION}`,
    ]);
  writeFileSync(path.join(scratch, "package.json"), JSON.stringify({ name: "formula", version: "1.0.0" }));
  published.set("@verbatim-dictation/native-darwin-arm64", new Date(Date.now() - 10 * 60 * 1000));
  const fresh = await install();
  expect(fresh.code).not.toBe(0);
  expect(fresh.stderr).toMatch(/ETARGET|No matching version/);
  published.set("@verbatim-dictation/native-darwin-arm64", new Date(Date.now() - 25 * HOUR));
  const aged = await install();
  expect(aged.stderr).not.toMatch(/ETARGET|No matching version/);
  expect(aged.code).toBe(0);
});
