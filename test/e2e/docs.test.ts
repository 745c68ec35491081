// The docs say what the CLI does. Every `verbatim COMMAND [SUBCOMMAND] --flag` that README.md and docs/*.md name, in
// code blocks and inline code, is in the usage that `verbatim --help` and `verbatim COMMAND --help` print (run for
// real); every flag of that usage and the exit-code table are in docs/cli.md, every config.json setting in
// docs/configuration.md; every docs/*.md file is linked from the README; every relative link resolves, to a heading
// too when it names one. Facts the code decides are said as it decides them: the languages of the default model (the
// catalog's count, in the extension too), which model `models list` marks, and the bounds of the daemon's logs.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { EXIT_CODES_HELP } from "../../daemon/src/cli/exit-codes";
import { DEFAULT_MODEL, findCatalogEntry } from "../../daemon/src/models";
import { MAX_CAPTURED_BYTES } from "../../daemon/src/service/captured-output";
import { DEFAULT_CONFIG } from "../../daemon/src/service/config";
import { MAX_LOG_BYTES, REPEATS } from "../../daemon/src/service/logger";
import { repoRoot } from "../support/fixtures";

const verbatim = path.join(repoRoot, "daemon", "bin", "verbatim.js");
const docsDir = path.join(repoRoot, "docs");
const docFiles = readdirSync(docsDir)
  .filter((name) => name.endsWith(".md"))
  .map((name) => path.join(docsDir, name));
const readmeFile = path.join(repoRoot, "README.md");
const checkedFiles = [readmeFile, ...docFiles];
const relative = (file: string) => path.relative(repoRoot, file);
const read = (file: string) => readFileSync(file, "utf8");

interface Usage {
  /** `verbatim --help`. */
  top: string;
  /** `verbatim COMMAND --help`, by command. */
  commands: Map<string, string>;
}

let usage: Usage;

beforeAll(async () => {
  const run = async (args: string[]) =>
    (await promisify(execFile)(process.execPath, [verbatim, ...args], { encoding: "utf8" })).stdout;
  const top = await run(["--help"]);
  const names = [...new Set([...top.matchAll(/^ *verbatim ([a-z][a-z-]*)/gm)].map((match) => match[1]))];
  const helps = await Promise.all(names.map((name) => run([name, "--help"])));
  usage = { top, commands: new Map(names.map((name, i) => [name, helps[i]])) };
}, 120_000); // a Node start per command: seconds each on a loaded machine

/** Whether a usage text names `flag`: as written, or through a wildcard such as dictate's `--…-threshold`. */
function hasFlag(text: string, flag: string): boolean {
  if (new RegExp(`${flag}(?![a-z0-9-])`).test(text)) return true;
  return [...text.matchAll(/--…(-[a-z0-9-]+)/g)].some((match) => flag.endsWith(match[1]));
}

/** The subcommands a command's usage lists: `verbatim models list|pull ID|rm ID` gives list, pull, rm. */
function subcommands(command: string, text: string): Set<string> {
  const subs = new Set<string>();
  for (const match of text.matchAll(new RegExp(`^ *verbatim ${command} (.*?)(?: {2,}|$)`, "gm"))) {
    const first = /^([a-z][a-z-]*)(?![a-z-])/.exec(match[1]);
    if (first) subs.add(first[1]);
    for (const alternative of match[1].matchAll(/\|\s*([a-z][a-z-]*)/g)) subs.add(alternative[1]);
  }
  return subs;
}

/** Fenced code blocks and inline code spans of a Markdown file; prose outside code is left alone. */
function codeOf(markdown: string): { code: string[]; prose: string } {
  const code: string[] = [];
  const prose = markdown.replace(/^```(\w*)\n([\s\S]*?)^```$/gm, (_, language: string, body: string) => {
    if (language !== "json") {
      // One line per command: continuations joined, shell comments dropped.
      for (const line of body.replace(/\\\n/g, " ").split("\n")) code.push(line.replace(/(^|\s)#(\s.*)?$/, ""));
    }
    return "";
  });
  for (const match of prose.matchAll(/`([^`]+)`/g)) code.push(match[1].replace(/\n/g, " ").replace(/\\\|/g, "|"));
  return { code, prose };
}

interface Mention {
  file: string;
  text: string;
  command: string | null;
  words: string[];
  flags: string[];
}

/** Every `verbatim …` a piece of code names, split at shell separators, with quoted values left out. */
function mentionsIn(file: string, code: string): Mention[] {
  const mentions: Mention[] = [];
  for (const part of code.replace(/"[^"]*"/g, "X").split(/;|&&|\s\|\s|\$\(|[()>]/)) {
    const match = /(?:^|\s)verbatim\s+(\S.*)$/.exec(part);
    if (!match) continue;
    const rest = match[1].trim();
    const tokens = rest.split(/\s+/);
    const flags = [...rest.matchAll(/(?:^|[\s[|])(--[a-z][a-z0-9-]*)/g)].map((flag) => flag[1]);
    const command = /^[a-z][a-z-]*$/.test(tokens[0]) ? tokens[0] : null;
    if (command === null && !tokens[0].startsWith("-")) continue; // a placeholder: verbatim COMMAND --help
    mentions.push({ file, text: `verbatim ${rest}`, command, words: tokens.slice(1), flags });
  }
  return mentions;
}

function allMentions(): Mention[] {
  return checkedFiles.flatMap((file) => codeOf(read(file)).code.flatMap((code) => mentionsIn(relative(file), code)));
}

test("the docs name commands", () => {
  const mentions = allMentions();
  expect(mentions.length).toBeGreaterThan(100);
  const named = new Set(mentions.map((mention) => mention.command));
  for (const command of ["transcribe", "dictate", "history", "vocabulary", "models", "api", "mcp", "capture"]) {
    expect(named).toContain(command);
  }
});

test("every command, subcommand and flag the docs name is in the CLI's usage", () => {
  const problems: string[] = [];
  for (const mention of allMentions()) {
    const where = `${mention.file}: \`${mention.text}\``;
    if (mention.command === null) {
      for (const flag of mention.flags) if (!hasFlag(usage.top, flag)) problems.push(`${where}: no ${flag}`);
      continue;
    }
    const help = usage.commands.get(mention.command);
    if (help === undefined) {
      problems.push(`${where}: no command ${mention.command}`);
      continue;
    }
    const subs = subcommands(mention.command, help);
    const sub = mention.words[0];
    if (subs.size > 0 && sub !== undefined && /^[a-z][a-z|-]*$/.test(sub)) {
      for (const word of sub.split("|")) {
        if (!subs.has(word)) problems.push(`${where}: no subcommand ${mention.command} ${word}`);
      }
    }
    for (const flag of mention.flags) {
      if (!hasFlag(help, flag)) problems.push(`${where}: verbatim ${mention.command} has no ${flag}`);
    }
  }
  expect(problems).toEqual([]);
});

test("docs/cli.md names every command and flag of the usage, and the exit codes as --help prints them", () => {
  const cli = read(path.join(docsDir, "cli.md"));
  const missing: string[] = [];
  for (const [command, help] of usage.commands) {
    if (!cli.includes(`verbatim ${command}`)) missing.push(command);
    for (const match of help.matchAll(/--[a-z][a-z0-9-]*/g)) {
      if (!hasFlag(cli, match[0])) missing.push(`${command} ${match[0]}`);
    }
  }
  expect(missing).toEqual([]);
  const rows = cli
    .split("\n")
    .filter((line) => /^\|\s*\d+\s*\|/.test(line))
    .map((line) =>
      line
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((cell) => cell.trim().replace(/\\([\\|])/g, "$1"))
        .join(" "),
    );
  const codes = EXIT_CODES_HELP.trim()
    .split("\n")
    .slice(1)
    .map((line) => line.trim().replace(/\s{2,}/, " "));
  expect(rows).toEqual(codes);
  expect(usage.top).toContain(EXIT_CODES_HELP);
});

test("docs/configuration.md names every config.json setting", () => {
  const configuration = read(path.join(docsDir, "configuration.md"));
  const missing = Object.keys(DEFAULT_CONFIG).filter((key) => !configuration.includes(`\`${key}\``));
  expect(missing).toEqual([]);
});

/** GitHub's anchors for a Markdown file's headings (outside code blocks). */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const match of codeOf(markdown).prose.matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const slug = match[1]
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    let anchor = slug;
    for (let n = 1; anchors.has(anchor); n++) anchor = `${slug}-${n}`;
    anchors.add(anchor);
  }
  return anchors;
}

/** The relative links of a Markdown file (not those in code), as files and anchors. */
function linksOf(file: string): { target: string; anchor: string | null; text: string }[] {
  const links = [];
  for (const match of codeOf(read(file)).prose.matchAll(/\]\(([^)\s]+)\)/g)) {
    const href = match[1];
    if (/^[a-z]+:/i.test(href)) continue;
    const [target, anchor] = href.split("#");
    links.push({
      target: target === "" ? file : path.resolve(path.dirname(file), target),
      anchor: anchor ?? null,
      text: href,
    });
  }
  return links;
}

test("the Node.js the docs ask for is the floor of package.json's engines (22.16), never 22 alone", () => {
  const engines = JSON.parse(read(path.join(repoRoot, "package.json"))).engines.node;
  expect(engines).toBe("^22.16.0 || >=24.0.0");
  const extensionReadme = path.join(repoRoot, "extension", "README.md");
  for (const file of [...checkedFiles, extensionReadme]) {
    expect([relative(file), read(file).match(/Node(\.js)?\]?(\([^)]*\))? 22 or newer/g)]).toEqual([
      relative(file),
      null,
    ]);
  }
  for (const file of [readmeFile, path.join(docsDir, "install.md"), extensionReadme]) {
    expect([relative(file), read(file).includes("22.16 or newer")]).toEqual([relative(file), true]);
  }
});

test("the README links every docs/*.md file", () => {
  const linked = new Set(linksOf(readmeFile).map((link) => link.target));
  expect(docFiles.filter((file) => !linked.has(file)).map(relative)).toEqual([]);
});

test("every relative link in the README and docs/ resolves, to a heading where it names one", () => {
  const broken: string[] = [];
  for (const file of checkedFiles) {
    for (const link of linksOf(file)) {
      if (!existsSync(link.target)) broken.push(`${relative(file)}: ${link.text} (no such file)`);
      else if (link.anchor !== null && link.target.endsWith(".md") && !anchorsOf(read(link.target)).has(link.anchor)) {
        broken.push(`${relative(file)}: ${link.text} (no such heading)`);
      }
    }
  }
  expect(broken).toEqual([]);
});

test("every count of the default model's languages is the catalog's, in the docs and the extension alike", () => {
  const languages = findCatalogEntry(DEFAULT_MODEL)!.languagesLabel; // "100 languages"
  const files = [
    ...checkedFiles,
    ...["README.md", "package.json"].map((name) => path.join(repoRoot, "extension", name)),
  ];
  const counts: string[] = [];
  for (const file of files) {
    // The first count of languages in a sentence after "turbo" (its size, or large-v3, has a count of its own).
    for (const match of read(file).matchAll(/turbo[^.\n"]*?(\d+ languages)/gi))
      counts.push(`${relative(file)}: ${match[1]}`);
  }
  expect(counts.length).toBeGreaterThanOrEqual(4); // README, docs/models.md, the extension's README and preferences
  expect(counts.filter((count) => !count.endsWith(`: ${languages}`))).toEqual([]);
});

test("the docs say `models list`'s mark as the command prints it: the configured model, which jobs without --model run on", async () => {
  const home = mkdtempSync(path.join(os.tmpdir(), "verbatim-docs-"));
  try {
    writeFileSync(path.join(home, "config.json"), JSON.stringify({ model: "small.en" }));
    const { stdout } = await promisify(execFile)(process.execPath, [verbatim, "models", "list"], {
      env: { ...process.env, VERBATIM_HOME: home, HF_HUB_CACHE: path.join(home, "hub") },
      encoding: "utf8",
    });
    const [speech, speakers] = stdout.split("Speaker models");
    const marked = (part: string) => part.split("\n").filter((line) => /^\* {2}/.test(line));
    expect(marked(speech)).toEqual([expect.stringMatching(/^\* +small\.en-4bit /)]);
    expect(speech).toContain("* in use by jobs without --model");
    expect(marked(speakers)).toEqual([expect.stringMatching(/^\* +nemotron-diarization /)]);
    expect(speakers).toContain(`* jobs with --speakers use it (config.json's "speakerModel")`);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
  const cli = read(path.join(docsDir, "cli.md")).replace(/\s+/g, " ");
  expect(cli).toContain("`*` marks the configured model (config.json's `model`), which jobs without `--model` run on.");
  expect(cli).toContain("there `*` marks the configured speaker model (config.json's `speakerModel`)");
  expect(read(path.join(docsDir, "models.md")).replace(/\s+/g, " ")).toContain(
    "`--model` picks the model for that job alone: jobs without it run on the configured model",
  );
});

test("docs/troubleshooting.md gives the daemon's log bounds as the code has them", () => {
  const troubleshooting = read(path.join(docsDir, "troubleshooting.md")).replace(/\s+/g, " ");
  const mib = (bytes: number) => `${bytes / (1024 * 1024)} MiB`;
  expect(REPEATS.windowMs).toBe(60_000); // "a minute"
  expect(troubleshooting).toContain(
    `a message that repeats is written ${REPEATS.lines} times a minute and then counted`,
  );
  expect(troubleshooting).toContain(`past ${mib(MAX_LOG_BYTES)} the file becomes \`verbatimd.log.1\``);
  expect(troubleshooting).toContain(`past ${mib(MAX_CAPTURED_BYTES)} each is copied to \`NAME.1\` and emptied`);
});
