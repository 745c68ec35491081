// The release tarballs as a user gets them, on a machine with no compiler:
//  1. `npm run package` packs verbatim-dictation, @verbatim-dictation/native and this platform's prebuilt engine with
//     all its CPU levels, as a release does (packaging/registry-names.mjs has the names);
//  2. a throwaway registry on loopback serves the @verbatim-dictation scope from those tarballs, as the npm registry
//     will once they are published (every other package comes from the npm registry as usual, so a dependency on
//     anything else of Verbatim's that is not bundled fails the install);
//  3. `npm install -g verbatim-dictation` into a temporary prefix, with a PATH that holds node and nothing else (no cc,
//     make, cmake or python);
//  4. from that install: the README's main job (which starts the daemon), the daemon's own process checked to run
//     from the install, a second transcription through it, the history read back, `verbatim doctor`;
//  5. the installed size, which must stay within 100 MB (MLX and models aside), and no package installed twice.
// Usage: node test/packaging/install-check.mjs [--this-cpu | --no-pack]
//   --this-cpu: pack the engine for this machine's CPU level only (`npm test`: building every level takes minutes
//   more); --no-pack: reuse dist/packages from an earlier `npm run package` (the release workflow)
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { MAIN_PACKAGE, publishedName, SCOPE } from "../../packaging/registry-names.mjs";

const MAX_INSTALLED_BYTES = 100e6;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const packages = path.join(root, "dist", "packages");
const stages = path.join(root, "dist", "stage");
const model = path.join(root, "test", "fixtures", "models", "verbatim-tiny-en");
const audio = path.join(root, "test", "fixtures", "heldout", "heldout-07.wav");
const { values: options } = parseArgs({ options: { "no-pack": { type: "boolean" }, "this-cpu": { type: "boolean" } } });

const COMPILERS = ["cc", "c++", "gcc", "g++", "clang", "make", "cmake", "python", "python3"];
const PLATFORMS = { "darwin-arm64": {}, "darwin-x64": {}, "linux-x64-gnu": {}, "linux-arm64-gnu": {} };

function fail(message) {
  console.error(`install check: ${message}`);
  process.exitCode = 1;
  throw new Error(message);
}

const readJson = (file) => JSON.parse(readFileSync(file, "utf8"));
const tarballName = (name, version) => `${name.replace(/^@/, "").replace("/", "-")}-${version}.tgz`;

/** Packuments for the engine's scope: the staged packages, plus the other platforms' packages, never fetched. */
function scopePackuments(baseUrl) {
  const manifests = readdirSync(stages).map((folder) => readJson(path.join(stages, folder, "package.json")));
  const scoped = manifests.filter((manifest) => manifest.name.startsWith(`${SCOPE}/`));
  const version = scoped[0].version;
  for (const key of Object.keys(PLATFORMS)) {
    const name = publishedName(`@verbatim/native-${key}`);
    if (scoped.some((manifest) => manifest.name === name)) continue;
    const [osName, cpu, libc] = key.split("-");
    scoped.push({ name, version, os: [osName], cpu: [cpu], ...(libc && { libc: ["glibc"] }) });
  }
  const packuments = new Map();
  for (const manifest of scoped) {
    const file = tarballName(manifest.name, manifest.version);
    const tarball = path.join(packages, file);
    const dist = { tarball: `${baseUrl}/tarballs/${file}` };
    if (existsSync(tarball)) {
      const bytes = readFileSync(tarball);
      dist.integrity = `sha512-${createHash("sha512").update(bytes).digest("base64")}`;
      dist.shasum = createHash("sha1").update(bytes).digest("hex");
    }
    packuments.set(manifest.name, {
      name: manifest.name,
      "dist-tags": { latest: manifest.version },
      versions: { [manifest.version]: { ...manifest, _id: `${manifest.name}@${manifest.version}`, dist } },
    });
  }
  return packuments;
}

async function startScopeRegistry() {
  const server = http.createServer((request, response) => {
    const url = decodeURIComponent(new URL(request.url, "http://registry").pathname).slice(1);
    const packument = server.packuments?.get(url);
    const tarball = url.startsWith("tarballs/") ? path.join(packages, path.basename(url)) : null;
    if (packument) {
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(packument));
    } else if (tarball && existsSync(tarball)) {
      response.writeHead(200, { "content-type": "application/octet-stream" }).end(readFileSync(tarball));
    } else {
      response.writeHead(404, { "content-type": "application/json" }).end('{"error":"not found"}');
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const baseUrl = `http://127.0.0.1:${server.address().port}`;
  server.packuments = scopePackuments(baseUrl);
  return { server, baseUrl };
}

/** A folder holding only node and sh: the PATH of a machine with Node.js and no build tools. */
function nodeOnlyPath(prefix) {
  const tools = path.join(prefix, "tools");
  mkdirSync(tools, { recursive: true });
  symlinkSync(process.execPath, path.join(tools, "node"));
  symlinkSync("/bin/sh", path.join(tools, "sh")); // npm runs install scripts through sh
  const searchPath = [path.join(prefix, "bin"), tools].join(path.delimiter);
  for (const compiler of COMPILERS) {
    const found = searchPath.split(path.delimiter).find((folder) => existsSync(path.join(folder, compiler)));
    if (found) fail(`${compiler} is on the test's PATH (${found})`);
  }
  return searchPath;
}

function bytesIn(folder, skip = () => false) {
  let total = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    const file = path.join(entry.parentPath, entry.name);
    if (entry.isFile() && !skip(file)) total += statSync(file).size;
  }
  return total;
}

function runAsync(command, args, env) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, stdio: "inherit" });
    child.on("error", (error) => resolve(error.message));
    child.on("close", (code, signal) => resolve(code ?? `signal ${signal}`));
  });
}

/** How this machine reaches the npm registry (a proxy, extra certificate authorities), as a user's shell has it. */
function networkSettings() {
  const wanted = /^(NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|https?_proxy|no_proxy)$/i;
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => wanted.test(name)));
}

/** npm's own script (the `npm` on this PATH, or the one running this), to run it under this node without a PATH. */
function npmEntry() {
  if (process.env.npm_execpath?.endsWith("npm-cli.js")) return process.env.npm_execpath;
  for (const folder of (process.env.PATH ?? "").split(path.delimiter)) {
    if (existsSync(path.join(folder, "npm"))) return realpathSync(path.join(folder, "npm"));
  }
  fail("npm is not on the PATH");
}

const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

/** Every package folder under `folder`'s node_modules, nested ones included. */
function packageFolders(folder) {
  const found = [];
  const modules = path.join(folder, "node_modules");
  if (!existsSync(modules)) return found;
  for (const entry of readdirSync(modules)) {
    if (entry.startsWith(".")) continue;
    const names = entry.startsWith("@")
      ? readdirSync(path.join(modules, entry)).map((name) => `${entry}/${name}`)
      : [entry];
    for (const name of names) {
      const dir = path.join(modules, name);
      if (existsSync(path.join(dir, "package.json"))) found.push(dir, ...packageFolders(dir));
    }
  }
  return found;
}

/** Verbatim's own packages (the engine's loader and platform package, the login service) installed more than once. */
function duplicates(installed) {
  const seen = new Map();
  for (const dir of packageFolders(installed)) {
    const { name } = readJson(path.join(dir, "package.json"));
    if (!name.startsWith(`${SCOPE}/`) && !name.startsWith("@verbatim/")) continue;
    seen.set(name, [...(seen.get(name) ?? []), path.relative(installed, dir)]);
  }
  return [...seen].filter(([, dirs]) => dirs.length > 1).map(([name, dirs]) => `${name} in ${dirs.join(", ")}`);
}

async function main() {
  if (!options["no-pack"]) {
    const args = options["this-cpu"] ? ["--this-cpu"] : [];
    console.log(`== npm run package${args.length ? " -- " + args.join(" ") : ""}`);
    execFileSync(process.execPath, [path.join(root, "packaging", "package.mjs"), ...args], { stdio: "inherit" });
  }
  const { server, baseUrl } = await startScopeRegistry();
  const prefix = mkdtempSync(path.join(os.tmpdir(), "verbatim-install-"));
  const home = path.join(prefix, "verbatim-home");
  try {
    const searchPath = nodeOnlyPath(prefix);
    // A user's environment: none of npm's variables of the `npm test` this may run under, nor its PATH.
    const env = {
      ...networkSettings(),
      HOME: os.homedir(),
      PATH: searchPath,
      LANG: "C.UTF-8",
      VERBATIM_HOME: home,
      HF_HUB_OFFLINE: "1",
    };
    const npmCli = npmEntry();
    // npm's global settings (a CA file, a proxy) live beside its own prefix, which --prefix would move.
    const globalConfig = execFileSync(process.execPath, [npmCli, "config", "get", "globalconfig"], {
      encoding: "utf8",
    });
    const version = readJson(path.join(stages, "verbatim", "package.json")).version;
    console.log(`== npm install -g ${MAIN_PACKAGE} into ${prefix} (PATH: node only; ${SCOPE} scope from ${baseUrl})`);
    // Asynchronously: the registry answering npm runs in this process.
    const install = await runAsync(
      process.execPath,
      [npmCli, "install", "-g", "--prefix", prefix, `--globalconfig=${globalConfig.trim()}`, "--foreground-scripts"]
        .concat(`--${SCOPE}:registry=${baseUrl}/`)
        .concat(path.join(packages, tarballName(MAIN_PACKAGE, version))),
      env,
    );
    if (install !== 0) fail(`npm install -g failed (${install})`);

    const verbatim = (...args) => {
      const run = spawnSync(path.join(prefix, "bin", "verbatim"), args, { env, encoding: "utf8", timeout: 300_000 });
      if (run.status !== 0) fail(`verbatim ${args.join(" ")} exited ${run.status}: ${run.stderr}`);
      return run.stdout;
    };
    console.log("== verbatim transcribe (starts the daemon from the install)");
    const text = verbatim("transcribe", "--model", model, audio).trim();
    console.log(text);
    const expected = spawnSync(
      process.execPath,
      [path.join(root, "daemon", "bin", "verbatim.js"), "transcribe", "--no-daemon", "--model", model, audio],
      { env: { ...process.env, VERBATIM_HOME: path.join(prefix, "checkout-home") }, encoding: "utf8" },
    );
    if (expected.status !== 0) fail(`the checkout's own verbatim failed: ${expected.stderr}`);
    if (text !== expected.stdout.trim())
      fail(`the install printed\n  ${text}\nthe checkout\n  ${expected.stdout.trim()}`);

    const status = JSON.parse(verbatim("status", "--json"));
    const daemonCommand = readFileSync(`/proc/${status.pid}/cmdline`, "utf8").split("\0").join(" ");
    if (!daemonCommand.includes(prefix)) fail(`the daemon does not run from the install: ${daemonCommand}`);
    console.log(`daemon: pid ${status.pid}, ${daemonCommand}; model ${status.model.state} on ${status.model.backend}`);
    if (verbatim("transcribe", "--model", model, audio).trim() !== text) fail("the second transcription differs");

    const history = JSON.parse(verbatim("history", "--json"));
    const entries = Array.isArray(history) ? history : history.entries;
    if (entries.length !== 2 || !entries.every((entry) => entry.text.trim() === text))
      fail(`the history holds ${JSON.stringify(entries).slice(0, 400)}`);
    console.log(`history: ${entries.length} entries with the transcript`);

    console.log("== verbatim doctor");
    const doctor = spawnSync(path.join(prefix, "bin", "verbatim"), ["doctor"], { env, encoding: "utf8" });
    process.stdout.write(doctor.stdout);
    for (const check of ["node", "engine", "daemon"]) {
      if (!new RegExp(`^ok\\s+${check}\\b`, "m").test(doctor.stdout)) fail(`doctor finds a problem with ${check}`);
    }
    verbatim("daemon", "stop");

    const installed = path.join(prefix, "lib", "node_modules", MAIN_PACKAGE);
    const globals = readdirSync(path.join(prefix, "lib", "node_modules"));
    if (globals.join() !== MAIN_PACKAGE)
      fail(`the install put ${globals.join(", ")} at the top, not ${MAIN_PACKAGE} alone`);
    const twice = duplicates(installed);
    if (twice.length > 0) fail(`installed twice: ${twice.join("; ")}`);
    const mlx = (file) => /mlx\.metallib$|libmlx/.test(file);
    const total = bytesIn(installed, mlx);
    const engine = readdirSync(path.join(installed, "node_modules", "@verbatim"))
      .filter((name) => name.startsWith("native-"))
      .map((name) => bytesIn(path.join(installed, "node_modules", "@verbatim", name), mlx))
      .reduce((sum, bytes) => sum + bytes, 0);
    console.log(
      `installed size (${process.platform}-${process.arch}, MLX and models aside): ${mb(total)} ` +
        `(the prebuilt engine ${mb(engine)}, the rest ${mb(total - engine)}); at most ${mb(MAX_INSTALLED_BYTES)}`,
    );
    if (total > MAX_INSTALLED_BYTES) fail(`the install takes ${mb(total)}, over ${mb(MAX_INSTALLED_BYTES)}`);
    console.log("install check passed");
  } finally {
    spawnSync(path.join(prefix, "bin", "verbatim"), ["daemon", "stop"], {
      env: { PATH: process.env.PATH, HOME: os.homedir(), VERBATIM_HOME: home },
    });
    server.close();
    rmSync(prefix, { recursive: true, force: true });
  }
}

await main().catch((error) => {
  if (!process.exitCode) console.error(error);
  process.exitCode = 1;
});
