// The engine's rooms point one way (ARCHITECTURE.md, "The engine seam"): nothing shared includes a family's file, no
// family includes another family's, and no backend names a family. A family is a folder of native/src/engine whose
// NAME/NAME_engine.h the registry (model_families.cpp, the one shared file that may include families) includes; every
// other folder of native/src, the addon's included, is shared.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const REGISTRY = "engine/model_families.cpp";

interface Source {
  file: string; // relative to native/src, with forward slashes: "engine/whisper/decoding.h"
  text: string;
}

function readSources(src: string): Source[] {
  return readdirSync(src, { recursive: true, encoding: "utf8" })
    .filter((file) => /\.(h|cpp)$/.test(file))
    .map((file) => ({ file: file.split(path.sep).join("/"), text: readFileSync(path.join(src, file), "utf8") }));
}

/** The files a source includes with quotes, as the build finds them: beside it, else under native/src/engine. */
function includedFiles(source: Source, known: Set<string>): string[] {
  const folder = path.posix.dirname(source.file);
  return [...source.text.matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)].map(([, name]) => {
    const beside = path.posix.join(folder, name);
    return known.has(beside) ? beside : path.posix.join("engine", name);
  });
}

/** The source without its comments (string literals stay: a message that names a family names it too). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
}

function layerViolations(src: string): { families: string[]; violations: string[] } {
  const sources = readSources(src);
  const known = new Set(sources.map((s) => s.file));
  const registry = sources.find((s) => s.file === REGISTRY);
  if (!registry) throw new Error(`${REGISTRY} not found under ${src}`);
  const familyFolder = (file: string) => /^engine\/([^/]+)\//.exec(file)?.[1];
  const families = includedFiles(registry, known)
    .map((file) => /^engine\/([^/]+)\/\1_engine\.h$/.exec(file)?.[1])
    .filter((folder): folder is string => folder !== undefined);
  const familyOf = (file: string) => {
    const folder = familyFolder(file);
    return folder && families.includes(folder) ? folder : undefined;
  };

  const violations: string[] = [];
  for (const source of sources) {
    const from = familyOf(source.file);
    for (const target of includedFiles(source, known)) {
      const to = familyOf(target);
      if (!to || to === from || source.file === REGISTRY) continue;
      violations.push(
        from
          ? `${source.file} (family ${from}) includes ${target} (family ${to})`
          : `${source.file} (shared) includes ${target} (family ${to})`,
      );
    }
    if (source.file.startsWith("engine/backends/")) {
      code(source.text)
        .split("\n")
        .forEach((line, index) => {
          const named = families.find((family) => line.toLowerCase().includes(family.toLowerCase()));
          if (named) violations.push(`${source.file}:${index + 1} (a backend) names ${named}: ${line.trim()}`);
        });
    }
  }
  return { families, violations };
}

test("native/src's includes point one way: shared below the families, each family alone, backends naming none", () => {
  const { families, violations } = layerViolations(path.join(__dirname, "..", "src"));
  expect(families).toEqual(expect.arrayContaining(["whisper", "parakeet"])); // the registry is read, not empty
  expect(violations).toEqual([]);
}, 60_000); // reads every source file: seconds on a loaded machine

test("a planted include or name of a family is found, whichever way it points", () => {
  const src = mkdtempSync(path.join(os.tmpdir(), "verbatim-include-layers-"));
  const write = (file: string, text: string) => {
    mkdirSync(path.join(src, path.dirname(file)), { recursive: true });
    writeFileSync(path.join(src, file), text);
  };
  try {
    write(
      REGISTRY,
      '#include "model_families.h"\n#include "formats/json.h"\n#include "alpha/alpha_engine.h"\n#include "beta/beta_engine.h"\n',
    );
    write("engine/formats/json.h", "");
    write("engine/model_families.h", "");
    write("engine/alpha/alpha_engine.h", '#include "engine.h"\n#include "beta/beta_model.h"\n');
    write("engine/alpha/alpha_model.h", '#include "alpha_engine.h"\n');
    write("engine/beta/beta_engine.h", '#include "shared/seam.h"\n');
    write("engine/beta/beta_model.h", "");
    write("engine/engine.h", '#include "shared/seam.h"\n');
    write("engine/shared/seam.h", '#include "alpha/alpha_model.h"\n');
    write("engine/backends/cpu/ops.cpp", "// Beta's shapes motivate this kernel\nvoid f() { run<AlphaModel>(); }\n");
    write("addon/wrap.cpp", '#include "wrap.h"\n#include "beta/beta_engine.h"\n');
    write("addon/wrap.h", "");
    const { families, violations } = layerViolations(src);
    expect(families).toEqual(["alpha", "beta"]);
    expect(violations.sort()).toEqual(
      [
        "addon/wrap.cpp (shared) includes engine/beta/beta_engine.h (family beta)",
        "engine/alpha/alpha_engine.h (family alpha) includes engine/beta/beta_model.h (family beta)",
        "engine/backends/cpu/ops.cpp:2 (a backend) names alpha: void f() { run<AlphaModel>(); }",
        "engine/shared/seam.h (shared) includes engine/alpha/alpha_model.h (family alpha)",
      ].sort(),
    );
  } finally {
    rmSync(src, { recursive: true, force: true });
  }
});
