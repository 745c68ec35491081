// The extension builds alone from its own folder (a Raycast Store pull request holds only that folder), so what it
// needs of the daemon's protocol, client, paths, model catalog and finishing rules, and of the login service's names,
// is copied into
// src/verbatimd/.
//   node extension/scripts/daemon-copy.mjs          writes the copy (the repository's `npm run sync:extension`)
//   node extension/scripts/daemon-copy.mjs --check  fails, naming the files, when the copy differs from the originals
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repository = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const target = path.join(repository, "extension", "src", "verbatimd");
const ORIGINALS = [
  "daemon/src/protocol.ts",
  "daemon/src/client.ts",
  "daemon/src/paths.ts",
  "daemon/src/formats.ts",
  "daemon/src/plain-text.ts",
  "daemon/src/speakers/speaker-turns.ts",
  "daemon/src/capture/system-tap-support.ts",
  "daemon/src/models/catalog.ts",
  "daemon/src/models/catalog-entries.ts",
  "daemon/src/models/byte-size.ts",
  "daemon/src/models/packing.ts",
  "daemon/src/models/parakeet-catalog.ts",
  "daemon/src/models/nemotron-catalog.ts",
  "daemon/src/models/first-run-choice.ts",
  "daemon/src/models/whisper-facts.ts",
  "daemon/src/modes/finishing-prompt.ts",
  "daemon/src/modes/finished-text.ts",
  "launchd/src/command-runner.ts",
  "launchd/src/service-spec.ts",
];

const copied = new Set(ORIGINALS.map((original) => path.basename(original, ".ts")));
/** The copies lie side by side: an original's import of another original ("../plain-text") becomes "./plain-text". */
const flatImports = (text) =>
  text.replace(/from "(\.\.?\/[^"]+)"/g, (whole, specifier) => {
    const name = path.posix.basename(specifier);
    return copied.has(name) ? `from "./${name}"` : whole;
  });

const expected = new Map(
  ORIGINALS.map((original) => {
    const header = `// Copied from ${original} by \`npm run sync:extension\` (extension/scripts/daemon-copy.mjs): edit the original.\n`;
    return [path.basename(original), header + flatImports(readFileSync(path.join(repository, original), "utf8"))];
  }),
);
const present = existsSync(target) ? readdirSync(target) : [];

if (process.argv.includes("--check")) {
  const stale = [...expected].filter(
    ([name, text]) => !present.includes(name) || readFileSync(path.join(target, name), "utf8") !== text,
  );
  const extra = present.filter((name) => !expected.has(name));
  const problems = [
    ...stale.map(([name]) => `extension/src/verbatimd/${name} differs from its original`),
    ...extra.map((name) => `extension/src/verbatimd/${name} has no original`),
  ];
  if (problems.length > 0) {
    console.error(`${problems.join("\n")}\nRun \`npm run sync:extension\` in the repository and commit the result.`);
    process.exit(1);
  }
  console.log(`extension/src/verbatimd: ${expected.size} files match their originals`);
} else {
  for (const name of present) if (!expected.has(name)) rmSync(path.join(target, name));
  for (const [name, text] of expected) writeFileSync(path.join(target, name), text);
  console.log(`extension/src/verbatimd: wrote ${[...expected.keys()].join(", ")}`);
}
