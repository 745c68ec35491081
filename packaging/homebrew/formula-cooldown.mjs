// When the Homebrew formula may go to the tap. Homebrew installs a formula's npm packages with std_npm_args, which
// pass npm `--min-release-age=1` (Library/Homebrew/language/node.rb, the days in release_cooldown.rb:
// RELEASE_COOLDOWN_DAYS = 1): npm then refuses every version published less than a day before. The formula installs
// verbatim-dictation at one exact version, whose manifest pins @verbatim-dictation/native, which pins each platform's
// engine, all published by the release minutes before. A formula pushed at once would make every `brew install` and
// `brew upgrade` fail for a day; it goes to the tap once every package it pins is older than the cooldown (plus an
// hour for the clocks of npm's registry, GitHub and the user's Mac).
// Usage: node packaging/homebrew/formula-cooldown.mjs VERSION
//   prints `ready` (exit 0), or `wait until <ISO time>` (exit 2), with each pinned package and when it was published;
//   `npm view` asks the registry npm is configured for (npm_config_registry in tests).
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { MAIN_PACKAGE, SCOPE } from "../registry-names.mjs";

/** Homebrew's RELEASE_COOLDOWN_DAYS (Library/Homebrew/release_cooldown.rb), read in its source of 2026-08-22. */
export const HOMEBREW_COOLDOWN_DAYS = 1;
export const CLOCK_MARGIN_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** A published manifest, with the registry's publication times of its package's versions. */
function npmView(name, version) {
  const json = execFileSync("npm", ["view", `${name}@${version}`, "--json"], { encoding: "utf8" });
  return JSON.parse(json);
}

/** Ours: the main package, or one under the engine's scope. */
const isOurs = (name) => name === MAIN_PACKAGE || name.startsWith(`${SCOPE}/`);

/** The package and exact version a dependency spec pins, if it is one of ours: "npm:@scope/name@1.2.3" or "1.2.3". */
function pinned(name, spec) {
  const alias = /^npm:(@?[^@]+)@(.+)$/.exec(spec);
  const [target, version] = alias ? [alias[1], alias[2]] : [name, spec];
  return isOurs(target) ? { name: target, version } : null;
}

/**
 * Every package of ours the formula installs, from `MAIN_PACKAGE@version` down its dependencies and optional
 * dependencies, each with when the registry published it.
 */
export function pinnedPackages(version, view = npmView) {
  const found = new Map();
  const queue = [{ name: MAIN_PACKAGE, version }];
  while (queue.length > 0) {
    const next = queue.shift();
    const key = `${next.name}@${next.version}`;
    if (found.has(key)) continue;
    const manifest = view(next.name, next.version);
    const published = manifest.time?.[next.version];
    if (!published) throw new Error(`the registry gives no publication time for ${key}`);
    found.set(key, { ...next, published: new Date(published) });
    for (const dependencies of [manifest.dependencies, manifest.optionalDependencies]) {
      for (const [name, spec] of Object.entries(dependencies ?? {})) {
        const dependency = pinned(name, spec);
        if (dependency) queue.push(dependency);
      }
    }
  }
  return [...found.values()];
}

/** When Homebrew's npm will accept every one of `packages`: the youngest's publication, the cooldown and the margin. */
export function readyAt(packages, cooldownDays = HOMEBREW_COOLDOWN_DAYS, marginMs = CLOCK_MARGIN_MS) {
  const youngest = Math.max(...packages.map((entry) => entry.published.getTime()));
  return new Date(youngest + cooldownDays * DAY_MS + marginMs);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const version = process.argv[2];
  if (!version) {
    console.error("usage: node packaging/homebrew/formula-cooldown.mjs VERSION");
    process.exit(64);
  }
  const packages = pinnedPackages(version);
  for (const entry of packages)
    console.log(`${entry.name}@${entry.version} published ${entry.published.toISOString()}`);
  const ready = readyAt(packages);
  if (ready.getTime() <= Date.now()) console.log("ready");
  else console.log(`wait until ${ready.toISOString()}`);
  process.exit(ready.getTime() <= Date.now() ? 0 : 2);
}
