// The daemon's folders point one way: no folder of daemon/src reaches, through any chain of imports (type imports
// included), back to itself. ESLint's no-restricted-imports names each folder's upper neighbours; this checks the
// whole graph, so a new folder or a top-level module cannot close a loop unnoticed.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

const src = path.join(__dirname, "..", "src");

/** Folder (or top-level module) → the folders and top-level modules it imports. */
function folderGraph(): Map<string, Set<string>> {
  const nodeOf = (file: string) => (file.includes(path.sep) ? file.split(path.sep)[0] : file);
  const graph = new Map<string, Set<string>>();
  for (const file of readdirSync(src, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"))) {
    const imports = ts.preProcessFile(readFileSync(path.join(src, file), "utf8"), true, true).importedFiles;
    for (const { fileName } of imports.filter((i) => i.fileName.startsWith("."))) {
      const base = path.relative(src, path.resolve(src, path.dirname(file), fileName));
      const target = [`${base}.ts`, path.join(base, "index.ts")].find((f) => existsSync(path.join(src, f)));
      if (!target || target.startsWith("..")) continue;
      const [from, to] = [nodeOf(file), nodeOf(target)];
      if (from !== to) graph.set(from, (graph.get(from) ?? new Set()).add(to));
    }
  }
  return graph;
}

function cyclesOf(graph: Map<string, Set<string>>): string[] {
  const visiting = new Set<string>();
  const done = new Set<string>();
  const cycles: string[] = [];
  const visit = (node: string, trail: string[]): void => {
    visiting.add(node);
    for (const next of graph.get(node) ?? []) {
      if (visiting.has(next)) cycles.push([...trail.slice(trail.indexOf(next)), node, next].join(" → "));
      else if (!done.has(next)) visit(next, [...trail, node]);
    }
    visiting.delete(node);
    done.add(node);
  };
  for (const node of graph.keys()) if (!done.has(node)) visit(node, []);
  return cycles;
}

test("no folder of daemon/src imports, through any chain, from itself", () => {
  const graph = folderGraph();
  expect(graph.get("server")).toContain("service"); // the graph is read, not empty
  expect(cyclesOf(graph)).toEqual([]);
}, 60_000); // reads every source file: seconds on a loaded machine

test("a loop between folders is found", () => {
  const graph = new Map([
    ["service", new Set(["models"])],
    ["models", new Set(["dictation"])],
    ["dictation", new Set(["service"])],
  ]);
  expect(cyclesOf(graph)).toEqual(["service → models → dictation → service"]);
});
