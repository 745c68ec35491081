// Checks the extension against what Raycast's store asks (`ray lint` checks the manifest against Raycast's online
// schema, which is unreachable offline): the manifest's fields, a folder that builds alone (its own lockfile, ESLint
// and Prettier configs, no import from outside it), a README for the setup, the metadata folder.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { LANGUAGES } from "../src/lib/languages";

const root = path.join(__dirname, "..");
const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));

const categories = new Set([
  "Applications",
  "Communication",
  "Data",
  "Design Tools",
  "Developer Tools",
  "Documentation",
  "Finance",
  "Fun",
  "Media",
  "News",
  "Productivity",
  "Security",
  "System",
  "Web",
  "Other",
]);
const commandModes = new Set(["view", "no-view", "menu-bar"]);
const preferenceTypes = new Set(["textfield", "password", "checkbox", "dropdown", "appPicker", "file", "directory"]);
const isTitleCase = (title: string) =>
  title
    .split(" ")
    .every(
      (word) => /^[A-Z0-9]/.test(word) || ["a", "an", "and", "or", "the", "to", "in", "on", "of", "for"].includes(word),
    );

function pngSize(file: string): [number, number] {
  const bytes = readFileSync(file);
  expect(bytes.subarray(1, 4).toString("latin1")).toBe("PNG");
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

test("the manifest has the fields the store requires", () => {
  for (const field of ["name", "title", "description", "icon", "author", "license"]) {
    expect(typeof manifest[field]).toBe("string");
    expect(manifest[field].length).toBeGreaterThan(0);
  }
  expect(manifest.platforms).toEqual(["macOS"]);
  // A Raycast username (the publisher's account), not the placeholder the extension started with.
  expect(manifest.author).toMatch(/^[a-z0-9][a-z0-9_-]*$/);
  expect(manifest.author).not.toBe("verbatim");
  expect(manifest.name).toMatch(/^[a-z0-9-]+$/);
  expect(isTitleCase(manifest.title)).toBe(true);
  expect(manifest.categories.length).toBeGreaterThan(0);
  for (const category of manifest.categories) expect(categories.has(category)).toBe(true);
});

test("every command is subtitled Verbatim, none titled like the extension; the categories fit dictation", () => {
  for (const command of manifest.commands) {
    expect([command.name, command.subtitle]).toEqual([command.name, "Verbatim"]);
    expect(command.title).not.toBe(manifest.title);
  }
  expect(manifest.categories).toEqual(["Productivity", "Media"]);
});

test("the icon is a 512x512 PNG in assets", () => {
  expect(pngSize(path.join(root, "assets", manifest.icon))).toEqual([512, 512]);
});

test("every command has a title-case title, a description, a valid mode and an entry point", () => {
  expect(manifest.commands.length).toBeGreaterThan(0);
  for (const command of manifest.commands) {
    expect(command.name).toMatch(/^[a-z0-9-]+$/);
    expect(isTitleCase(command.title)).toBe(true);
    expect(command.description.length).toBeGreaterThan(0);
    expect(commandModes.has(command.mode)).toBe(true);
    const entry = ["ts", "tsx"].map((ext) => path.join(root, "src", `${command.name}.${ext}`));
    expect(entry.some(existsSync)).toBe(true);
  }
});

test("every preference is fully described", () => {
  const preferences = [
    ...(manifest.preferences ?? []),
    ...manifest.commands.flatMap((command: { preferences?: unknown[] }) => command.preferences ?? []),
  ];
  for (const preference of preferences) {
    expect(typeof preference.name).toBe("string");
    expect(typeof preference.description).toBe("string");
    expect(typeof preference.required).toBe("boolean");
    expect(preferenceTypes.has(preference.type)).toBe(true);
    if (preference.type === "checkbox") expect(typeof preference.label).toBe("string");
    else expect(typeof preference.title).toBe("string");
    if (preference.type === "dropdown") expect(preference.data.length).toBeGreaterThan(0);
  }
});

test("Dictate and Record Meeting are views, Toggle Dictation runs without one, and every command launched from code exists", () => {
  const modes = Object.fromEntries(
    manifest.commands.map((command: { name: string; mode: string }) => [command.name, command.mode]),
  );
  expect(modes).toMatchObject({
    dictate: "view",
    "toggle-dictation": "no-view",
    "record-meeting": "view",
    verbatim: "menu-bar",
  });
  const sources = readdirSync(path.join(root, "src"), { recursive: true, encoding: "utf8" })
    .filter((file) => /\.tsx?$/.test(file))
    .map((file) => readFileSync(path.join(root, "src", file), "utf8"))
    .join("\n");
  const launched = [...sources.matchAll(/launchCommand\(\{ name: "([^"]+)"/g)].map((match) => match[1]);
  expect(new Set(launched)).toEqual(
    new Set(["dictate", "toggle-dictation", "transcribe-file", "record-meeting", "verbatim"]),
  );
  for (const name of launched) expect(modes[name]).toBeDefined();
});

test("the folder builds alone: its own lockfile and lint configs, and no import from outside it", () => {
  const lock = JSON.parse(readFileSync(path.join(root, "package-lock.json"), "utf8"));
  expect(lock.lockfileVersion).toBe(3);
  expect(lock.packages[""].dependencies).toEqual(manifest.dependencies);
  expect(lock.packages[""].devDependencies).toEqual(manifest.devDependencies);
  expect(manifest.dependencies["@raycast/utils"]).toBeDefined();
  expect(readFileSync(path.join(root, "eslint.config.js"), "utf8")).toContain('require("@raycast/eslint-config")');
  expect(JSON.parse(readFileSync(path.join(root, ".prettierrc"), "utf8"))).toEqual({
    printWidth: 120,
    singleQuote: false,
  });
  const outside: string[] = [];
  for (const file of readdirSync(path.join(root, "src"), { recursive: true, encoding: "utf8" })) {
    if (!/\.tsx?$/.test(file)) continue;
    const source = readFileSync(path.join(root, "src", file), "utf8");
    for (const [, specifier] of source.matchAll(/from "([^"]+)"/g)) {
      const target = path.resolve(path.dirname(path.join(root, "src", file)), specifier!);
      if (specifier!.startsWith(".") && !target.startsWith(path.join(root, "src")))
        outside.push(`${file}: ${specifier}`);
    }
  }
  expect(outside).toEqual([]);
});

test("README says what to install first, what each command does, and each preference", () => {
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  expect(readme).toContain("\nnpm install -g verbatim-dictation\nverbatim daemon install\n");
  for (const command of manifest.commands) expect(readme).toContain(`**${command.title}**`);
  for (const preference of manifest.preferences) expect(readme).toContain(`| ${preference.title} `);
  // Why the extension starts a process, and that it checks which.
  expect(readme).toMatch(
    /## Microphone Access\n\n[^#]*`verbatim-capture.js`[^#]*checks that the command is exactly that/,
  );
  // What is for developers is in DEVELOPMENT.md, which the Store's pull request leaves out (standalone.sh).
  expect(readme).not.toMatch(/## (Development|Check on a Mac)/);
  const development = readFileSync(path.join(root, "DEVELOPMENT.md"), "utf8");
  expect(development).toContain("## Development");
  expect(development).toContain("## Check on a Mac");
  const standalone = readFileSync(path.join(root, "scripts", "standalone.sh"), "utf8");
  for (const excluded of ["./tests", "./scripts", "./DEVELOPMENT.md", "./STORE.md"]) {
    expect(standalone).toContain(`--exclude=${excluded}`);
  }
});

test("the changelog has one entry, the initial version, dated when the Store merges it", () => {
  const changelog = readFileSync(path.join(root, "CHANGELOG.md"), "utf8");
  expect([...changelog.matchAll(/^## .*$/gm)].map((match) => match[0])).toEqual([
    "## [Initial Version] - {PR_MERGE_DATE}",
  ]);
});

test("no root view sets navigationTitle: only the forms Manage Vocabulary and Manage Modes push do", () => {
  const withTitle = readdirSync(path.join(root, "src"), { recursive: true, encoding: "utf8" }).filter(
    (file) => /\.tsx$/.test(file) && readFileSync(path.join(root, "src", file), "utf8").includes("navigationTitle"),
  );
  expect(withTitle.sort()).toEqual(["manage-modes.tsx", "manage-vocabulary.tsx"]);
  const vocabulary = readFileSync(path.join(root, "src", "manage-vocabulary.tsx"), "utf8");
  expect(vocabulary.slice(0, vocabulary.indexOf("function TermForm"))).not.toContain("navigationTitle");
  const modes = readFileSync(path.join(root, "src", "manage-modes.tsx"), "utf8");
  expect(modes.slice(0, modes.indexOf("function ModeForm"))).not.toContain("navigationTitle");
});

test("metadata holds the store's screenshots: 2000x1250 PNGs", () => {
  const shots = readdirSync(path.join(root, "metadata")).filter((file) => !file.startsWith("."));
  expect(shots.length).toBeLessThanOrEqual(6);
  for (const shot of shots) {
    expect(shot).toMatch(/^verbatim-[1-6]\.png$/);
    expect(pngSize(path.join(root, "metadata", shot))).toEqual([2000, 1250]);
  }
});

test("the Language preference and the Transcribe form offer the same languages", () => {
  const preference = manifest.preferences.find((p: { name: string }) => p.name === "language");
  expect(preference.data).toEqual(LANGUAGES.map(({ value, title }) => ({ title, value })));
  expect(preference.default).toBe("auto");
});

test("Dictate's description says what Enter does with the default Finished Text", () => {
  const finishedText = manifest.preferences.find((p: { name: string }) => p.name === "finishedText");
  const dictate = manifest.commands.find((command: { name: string }) => command.name === "dictate");
  expect(finishedText.default).toBe("copy");
  expect(dictate.description).toMatch(/Enter stops and copies the text/);
  expect(dictate.description).not.toMatch(/Enter inserts/);
});
