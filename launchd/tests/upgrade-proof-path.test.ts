// Paths that outlive upgrades, on a real folder tree laid out as Homebrew lays out its prefix.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { upgradeProofPath, versionedPathProblem } from "../src";

const prefix = mkdtempSync(path.join(os.tmpdir(), "verbatim-brew-"));
afterAll(() => rmSync(prefix, { recursive: true, force: true }));

function keg(formula: string, version: string, file: string, linked = true): string {
  const folder = path.join(prefix, "Cellar", formula, version);
  mkdirSync(path.dirname(path.join(folder, file)), { recursive: true });
  writeFileSync(path.join(folder, file), "");
  mkdirSync(path.join(prefix, "opt"), { recursive: true });
  if (linked) symlinkSync(path.join("..", "Cellar", formula, version), path.join(prefix, "opt", formula));
  return path.join(folder, file);
}

test("a node in a versioned Cellar folder is named through Homebrew's opt link", () => {
  const node = keg("node", "24.11.1", "bin/node");
  expect(upgradeProofPath(node)).toBe(path.join(prefix, "opt", "node", "bin", "node"));
  const node22 = keg("node@22", "22.21.0", "bin/node");
  expect(upgradeProofPath(node22)).toBe(path.join(prefix, "opt", "node@22", "bin", "node"));
});

test("the daemon inside a Homebrew formula's Cellar folder too", () => {
  const entry = keg("verbatim", "0.2.0", "libexec/lib/node_modules/verbatim/bin/verbatimd.js");
  expect(upgradeProofPath(entry)).toBe(
    path.join(prefix, "opt", "verbatim", "libexec", "lib", "node_modules", "verbatim", "bin", "verbatimd.js"),
  );
});

test("kept as given when the opt link is missing or names another version", () => {
  const unlinked = keg("ffnode", "1.0", "bin/node", false);
  expect(upgradeProofPath(unlinked)).toBe(unlinked);
  keg("twonode", "2.0", "bin/node");
  const older = keg("twonode", "1.0", "bin/node", false);
  expect(upgradeProofPath(older)).toBe(older);
  expect(upgradeProofPath("/usr/bin/node")).toBe("/usr/bin/node");
});

test("versioned folders are named as a problem, stable ones are not", () => {
  expect(versionedPathProblem("/opt/homebrew/Cellar/node/24.11.1/bin/node")).toMatch(/brew upgrade/);
  expect(versionedPathProblem("/Users/me/.nvm/versions/node/v22.21.0/bin/node")).toMatch(/version manager/);
  expect(versionedPathProblem("/opt/homebrew/opt/node/bin/node")).toBeNull();
  expect(versionedPathProblem("/usr/local/bin/node")).toBeNull();
});
