// What the daemon and CLI say is in US English: Raycast shows the daemon's messages as they come, and the Store asks
// for US spelling. Only text a person reads is checked (string and template literals); comments keep their own
// spelling, and a literal that is one lower-case word or code ("cancelled", an error code clients compare) is a
// protocol identifier, not prose.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

const BRITISH =
  /\b(recognis\w*|capitalis\w*|organis\w*|realis\w*|initialis\w*|customis\w*|normalis\w*|serialis\w*|behaviour\w*|colour\w*|favourite|centre|licence|spelt|analys(e|ed|es|ing)|cancell(ed|ing)|travell\w+|dialogue)\b/gi;
const IDENTIFIER = /^[a-z_.]+$/;

function literalsOf(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, false);
  const texts: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteralLike(node) || ts.isTemplateLiteralToken(node)) texts.push(node.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return texts.filter((text) => !IDENTIFIER.test(text));
}

test("every message in daemon/src is spelled the US way", () => {
  const src = path.join(__dirname, "..", "src");
  const files = readdirSync(src, { recursive: true, encoding: "utf8" }).filter((file) => file.endsWith(".ts"));
  expect(files.length).toBeGreaterThan(50);
  const found = files.flatMap((file) =>
    literalsOf(path.join(src, file)).flatMap((text) => [...text.matchAll(BRITISH)].map((m) => `${file}: ${m[0]}`)),
  );
  expect(found).toEqual([]);
}, 60_000); // parses every source file: seconds on a loaded machine

test("the check finds a British spelling in a message", () => {
  expect("The download was cancelled.".match(BRITISH)).toEqual(["cancelled"]);
  expect(IDENTIFIER.test("cancelled")).toBe(true);
});
