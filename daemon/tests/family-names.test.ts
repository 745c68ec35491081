// Families stay in their folder: outside daemon/src/families/ no code compares a family's name (`family === "whisper"`,
// `case "parakeet":`) or keeps a table by family (`{ whisper: 50, parakeet: 12.5 }`), and outside the catalog's files
// none names a catalog model (`"parakeet-v3"`, `"turbo"`).
// What a model can do is asked of its capabilities; its words and wrapping, of its family; its name, of the catalog.
// Prose that mentions a model inside a longer message is not a name in code.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { catalogEntries, findCatalogEntry, packedEntries } from "../src/models";

const src = path.join(__dirname, "..", "src");
const FAMILIES_FOLDER = "families";
const CATALOG_FILES = [
  "catalog.ts",
  "catalog-entries.ts",
  "parakeet-catalog.ts",
  "nemotron-catalog.ts",
  "whisper-facts.ts",
  "first-run-choice.ts",
].map((file) => path.join("models", file));
const COMPARISONS = new Set([
  ts.SyntaxKind.EqualsEqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsEqualsToken,
  ts.SyntaxKind.EqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsToken,
]);

interface Source {
  file: string;
  text: string;
}

/** Where code compares a name of `families`, keys a table by one, or names a model `isModelName` knows: "file:line: code". */
function familyLeaks(sources: Source[], families: ReadonlySet<string>, isModelName: (text: string) => boolean) {
  const leaks: string[] = [];
  for (const { file, text } of sources) {
    if (file.split(path.sep)[0] === FAMILIES_FOLDER) continue;
    const catalog = CATALOG_FILES.includes(file);
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const report = (node: ts.Node) => {
      const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
      leaks.push(`${file}:${line}: ${node.getText()}`);
    };
    const familyLiteral = (node: ts.Node) => ts.isStringLiteralLike(node) && families.has(node.text);
    const visit = (node: ts.Node): void => {
      if (ts.isBinaryExpression(node) && COMPARISONS.has(node.operatorToken.kind)) {
        if (familyLiteral(node.left) || familyLiteral(node.right)) report(node);
      } else if (ts.isCaseClause(node) && familyLiteral(node.expression)) {
        report(node.expression);
      } else if (
        ts.isPropertyAssignment(node) &&
        !catalog &&
        families.has(node.name.getText().replace(/^["']|["']$/g, ""))
      ) {
        report(node);
      } else if (!catalog && ts.isStringLiteralLike(node) && isModelName(node.text)) {
        report(node);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return leaks;
}

const FAMILY_NAMES = new Set(catalogEntries().map((entry) => entry.family));
const MODEL_NAMES = new Set(
  catalogEntries().flatMap((entry) => [entry.name, ...packedEntries(entry).map((e) => e.name)]),
);
/** A catalog model's name or alias (`turbo`, `small.en-8bit`), as name resolution takes it. */
const isCatalogName = (text: string) => MODEL_NAMES.has(text) || (text.trim() !== "" && !!findCatalogEntry(text));

test("outside families/ no code compares a family's name or keys a table by one; outside the catalog none names a model", () => {
  const sources = readdirSync(src, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts"))
    .map((file) => ({ file, text: readFileSync(path.join(src, file), "utf8") }));
  expect(sources.some((s) => s.file.startsWith(FAMILIES_FOLDER + path.sep))).toBe(true); // the tree is read
  expect(FAMILY_NAMES).toEqual(new Set(["whisper", "parakeet", "nemotron"]));
  expect(familyLeaks(sources, FAMILY_NAMES, isCatalogName)).toEqual([]);
}, 60_000); // parses every source file: seconds on a loaded machine

test("a family's name compared, cased on or keyed by, and a model's name are found; prose and families/ are not", () => {
  const planted = [
    'if (capabilities.family === "whisper") refuse();\nconst others = ["parakeet-v3"];',
    'switch (family) {\n  case "parakeet":\n    break;\n}\nconst hint = "use parakeet-v3 for it";',
    'const model = "turbo";\nif ("parakeet" !== kind) go();\nconst rates = { whisper: 50, "parakeet": 12.5 };',
  ];
  const sources = [
    { file: path.join("service", "refusals.ts"), text: planted[0] },
    { file: path.join("api", "usage.ts"), text: planted[1] },
    { file: "main.ts", text: planted[2] },
    { file: path.join(FAMILIES_FOLDER, "whisper", "whisper-family.ts"), text: planted[0] },
    { file: CATALOG_FILES[0], text: 'export const DEFAULT = "turbo";' },
  ];
  expect(familyLeaks(sources, FAMILY_NAMES, isCatalogName)).toEqual([
    'service/refusals.ts:1: capabilities.family === "whisper"',
    'service/refusals.ts:2: "parakeet-v3"',
    'api/usage.ts:2: "parakeet"',
    'main.ts:1: "turbo"',
    'main.ts:2: "parakeet" !== kind',
    "main.ts:3: whisper: 50",
    'main.ts:3: "parakeet": 12.5',
  ]);
});
