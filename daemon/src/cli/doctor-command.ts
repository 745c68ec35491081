// `verbatim doctor`: checks an install and says what to do about each problem it finds.
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, readFileSync } from "node:fs";
import { loginService } from "./service-command";
import { locateAddon, probeAddon, thisMac, type MacHost } from "@verbatim/native";
import { meetsNodeFloor, NODE_RANGE, nodeFix } from "@verbatim/native/scripts/node-floor.cjs";
import { versionedPathProblem } from "@verbatim/launchd";
import { findDecoder } from "../audio/external-decoder";
import { captureCommand } from "../capture/capture-launch";
import { captureMessage } from "../capture/capture-output";
import { endpointProblem } from "../modes/finishing-endpoint";
import { ModelStore } from "../models";
import { FIRST_RUN_OPTIONS } from "../models/first-run-choice";
import { DEFAULT_FINISHING_ENDPOINT, finishingLeavesMachine, type DaemonStatus } from "../protocol";
import type { VerbatimPaths } from "../paths";
import { DEFAULT_CONFIG, loadConfig } from "../service/config";
import { tryConnect } from "../daemon-control";
import { EXIT } from "./exit-codes";
import { ok, problem, warning, type Finding, type Verdict } from "./doctor-finding";
import { checkMacos, engineOnCpu, launchAgentState, terminalApp } from "./doctor-mac";
import { checkMicrophoneStart } from "./doctor-microphone-start";
import { checkSpeakers } from "./doctor-speakers";

function checkNode(): Finding {
  const where = `node ${process.versions.node} at ${process.execPath}`;
  if (!meetsNodeFloor(process.versions.node))
    return problem("node", `${where} is older than Verbatim needs (${NODE_RANGE})`, nodeFix("npx verbatim doctor"));
  return ok("node", where);
}

function checkEngine(host: MacHost): Finding {
  const location = locateAddon();
  if (location.file === null)
    return problem(
      "engine",
      `no engine for this machine: ${location.problem}`,
      "reinstall verbatim (npm install -g verbatim-dictation)",
    );
  const probe = probeAddon(location.file);
  if (!probe.ok) return problem("engine", `${location.origin} does not load: ${probe.reason}`, "reinstall verbatim");
  const { backends, mlxGpu, blas } = probe.buildInfo;
  const detail = `${location.origin}: backends ${backends.join(", ")} (CPU through ${blas})`;
  if (mlxGpu) return ok("engine", `${detail}; MLX runs on the GPU (Metal)`);
  return (
    engineOnCpu(detail, probe.buildInfo, host) ?? ok("engine", `${detail}; the portable CPU backend computes here`)
  );
}

/** The daemon's status, null when it is not running; throws when something answers but not as a daemon should. */
async function daemonStatus(paths: VerbatimPaths): Promise<DaemonStatus | null> {
  const client = await tryConnect(paths);
  if (!client) return null;
  try {
    return await client.status();
  } finally {
    client.close();
  }
}

function checkDaemon(paths: VerbatimPaths, status: DaemonStatus | Error | null): Finding {
  if (status instanceof Error) return problem("daemon", status.message, "restart it: verbatim daemon restart");
  if (!status) return warning("daemon", `not running (socket ${paths.socket})`, "start it: verbatim daemon start");
  const { id, state, backend, error, inUse } = status.model;
  const model = `${id} ${state}${state === "ready" && backend ? ` on ${backend}` : ""}`;
  const loaded = inUse && inUse !== id ? ` (loaded: ${inUse})` : "";
  const detail = `verbatimd ${status.version} (pid ${status.pid}), model ${model}${loaded}`;
  // The state now: a failed load stands until something changes; a failed switch is over (the default stayed).
  if (state === "failed") return problem("daemon", `${detail}: ${error ?? "it did not load"}`, "see verbatim status");
  if (error) return warning("daemon", `${detail}; ${error}`, `verbatim models use NAME to switch again`);
  return ok("daemon", detail);
}

/** The idle unload, offered with the first-run choice: the memory a model holds between jobs, or a wait after an idle time. */
const IDLE_UNLOAD_OFFER =
  "→ the model stays loaded between jobs, holding its memory (verbatim models list gives each model's); to give it back when " +
  'idle, set "idleUnloadMinutes" in config.json (or When Idle in Raycast\'s menu bar): the first job after an unload ' +
  "waits for the model to load again (verbatim status shows both figures once it has loaded)";

/** Before anyone has chosen a model (no config yet, or the daemon's first run): the choice, with its trade-off. */
function checkModelChoice(paths: VerbatimPaths, status: DaemonStatus | Error | null): Finding | null {
  const firstRun =
    status instanceof Error || status === null ? !existsSync(paths.configFile) : status.config?.firstRun === true;
  if (!firstRun) return null;
  const [whisper, ...others] = FIRST_RUN_OPTIONS;
  const offer = (option: (typeof FIRST_RUN_OPTIONS)[number]) =>
    `verbatim models use ${option.model}: ${option.title}, ${option.summary} (${option.facts.join("; ")})`;
  return warning(
    "model choice",
    `no model chosen yet; jobs use the default, ${whisper.model}, once one needs it`,
    [offer(whisper), ...others.map(offer)].join(`\n${" ".repeat(24)}→ or `) + `\n${" ".repeat(24)}${IDLE_UNLOAD_OFFER}`,
  );
}

/** Folders only this user may open: a socket or state folder others can reach lets them in. */
function checkFolders(paths: VerbatimPaths): Finding {
  const uid = process.getuid?.();
  const found: string[] = [];
  for (const folder of [...new Set([...paths.socketFolders, paths.configDir, paths.stateDir, paths.logDir])]) {
    if (!existsSync(folder)) continue;
    const stats = lstatSync(folder);
    if (uid !== undefined && stats.uid !== uid) found.push(`${folder} belongs to another user (uid ${stats.uid})`);
    else if (stats.mode & 0o077) found.push(`${folder} is open to others (mode ${(stats.mode & 0o777).toString(8)})`);
  }
  if (found.length === 0) return ok("folders", `private: ${paths.configDir}, ${paths.stateDir}`);
  return problem("folders", found.join("; "), "make them yours and private: chown $USER FOLDER; chmod 700 FOLDER");
}

function checkConfig(paths: VerbatimPaths): Finding {
  if (!existsSync(paths.configFile))
    return ok("config", `none yet: the defaults (the daemon writes ${paths.configFile} when it first starts)`);
  const { problems } = loadConfig(paths.configFile);
  if (problems.length === 0) return ok("config", paths.configFile);
  return warning("config", problems.join("; "), `edit ${paths.configFile} (verbatim status lists the same)`);
}

/**
 * The models in the daemon's cache. Where and whether it downloads are the daemon's environment's (it may not be this
 * shell's): asked of the running daemon, else this shell's, which a daemon the CLI starts inherits.
 */
async function checkModels(paths: VerbatimPaths, status: DaemonStatus | Error | null): Promise<Finding> {
  const running = status instanceof Error || status === null ? null : status;
  const store = new ModelStore(running?.hub ?? {});
  const configured =
    running?.model.id ??
    (existsSync(paths.configFile) ? loadConfig(paths.configFile).config.model : DEFAULT_CONFIG.model);
  const models = (await store.listModels().catch(() => [])).filter((model) => model.kind === "speech");
  const where = store.settings.cacheDir;
  if (models.length === 0) {
    const fetches = store.settings.offline
      ? `in a shell without HF_HUB_OFFLINE (${running ? "verbatimd runs with it set" : "it is set here"}, so no job downloads it)`
      : "(or the first transcription downloads it)";
    return warning("models", `none downloaded in ${where}`, `verbatim models pull ${configured} ${fetches}`);
  }
  const names = models.map((model) => `${model.name ?? model.repoId}${model.complete ? "" : " (incomplete)"}`);
  return ok("models", `${names.join(", ")} in ${where}; the daemon's model: ${configured}`);
}

/** How long the doctor waits for a local finishing endpoint to list its models. */
const ENDPOINT_TIMEOUT_MS = 3000;

/** The modes' finishing: each local model's endpoint answers and has its model; where text leaves the machine. */
async function checkFinishing(paths: VerbatimPaths): Promise<Finding> {
  const { modes } = existsSync(paths.configFile) ? loadConfig(paths.configFile).config : DEFAULT_CONFIG;
  const leaving = modes.filter(finishingLeavesMachine).map((mode) => mode.name);
  const leaves = leaving.length > 0 ? `; the text of ${leaving.join(", ")} leaves this machine` : "";
  const local = modes.filter((mode) => mode.finishing === "local");
  if (local.length === 0) return ok("finishing", `no mode finishes with a local model${leaves}`);
  const found = await Promise.all(
    local.map(async (mode) => {
      const endpoint = mode.endpoint ?? DEFAULT_FINISHING_ENDPOINT;
      const why = await endpointProblem(endpoint, mode.modelName!, ENDPOINT_TIMEOUT_MS);
      return why ? `${mode.name}: ${why}` : null;
    }),
  );
  const wrong = found.filter((why): why is string => why !== null);
  const names = local.map((mode) => `${mode.name} (${mode.modelName})`).join(", ");
  if (wrong.length === 0) return ok("finishing", `local models answer: ${names}${leaves}`);
  return warning(
    "finishing",
    wrong.join("; "),
    "until then those modes deliver the spoken text, saying why (verbatim modes list)",
  );
}

function checkAudioDecoder(decoder: Awaited<ReturnType<typeof findDecoder>>): Finding {
  if (decoder) return ok("audio files", `${decoder.kind} at ${decoder.path} decodes formats other than WAV`);
  return warning(
    "audio files",
    "no ffmpeg: only WAV files can be transcribed",
    "brew install ffmpeg (Debian: apt install ffmpeg)",
  );
}

/** The command a client spawns to record the microphone, run as a client would: it lists the input devices. */
function checkMicrophone(command: string[]): Finding {
  const [node, ...args] = command;
  const run = (extra: string[]) => spawnSync(node, [...args, ...extra], { encoding: "utf8", timeout: 15_000 });
  const listing = run(["--list-devices"]);
  if (listing.error || (listing.status !== 0 && listing.status !== EXIT.input)) {
    const why = listing.error?.message ?? (captureMessage(listing.stderr) || `exit ${listing.status}`);
    return problem("microphone", `${command.join(" ")} --list-devices failed: ${why}`, "reinstall verbatim");
  }
  const devices = listing.stdout.trim().split("\n").filter(Boolean);
  if (devices.length === 0)
    return warning(
      "microphone",
      "no input device found",
      "connect a microphone, or check System Settings > Sound > Input",
    );
  // Opened as a dictation would open it (the configured inputDevice, else the default input).
  const probe = run(["--probe"]);
  const count = `${devices.length} input device${devices.length === 1 ? "" : "s"}`;
  if (probe.status !== 0) {
    const why = probe.error?.message ?? (captureMessage(probe.stderr) || `exit ${probe.status}`);
    return warning(
      "microphone",
      `${count}, but dictation would fail: ${why}`,
      "pick an input that opens: verbatim capture --list-devices, then inputDevice in config.json",
    );
  }
  const [name, heard = ""] = probe.stdout.trim().split("\n");
  const counted = /^(\d+) of (\d+) samples not zero$/.exec(heard);
  if (counted && Number(counted[1]) === 0 && Number(counted[2]) > 0) return silentMicrophone(count, name);
  return ok("microphone", `${count}; dictation records from ${name}`);
}

/** An input that gives exact zeros: on macOS, what an app denied the microphone records (no error is raised). */
function silentMicrophone(count: string, name: string): Finding {
  if (process.platform === "darwin") {
    const app = terminalApp();
    return warning(
      "microphone",
      `${count}, but no sound from ${name}: allow the microphone for ${app}`,
      `System Settings → Privacy & Security → Microphone: turn on ${app} (and Raycast, to dictate from it)`,
    );
  }
  return warning(
    "microphone",
    `${count}, but no sound from ${name}: it gave only exact zeros (a muted input, or one nothing plays into)`,
    "unmute it, or pick another input: verbatim capture --list-devices, then inputDevice in config.json",
  );
}

/** The executables the login service definition starts, as written in it (plist or systemd unit). */
export function serviceProgram(definition: string): string[] {
  const plistArguments = /<key>ProgramArguments<\/key>\s*<array>([\s\S]*?)<\/array>/.exec(definition);
  const unescape = (text: string) =>
    text
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, "&");
  if (plistArguments) return [...plistArguments[1].matchAll(/<string>([^<]*)<\/string>/g)].map((m) => unescape(m[1]));
  const execStart = /^ExecStart=(.*)$/m.exec(definition);
  if (!execStart) return [];
  return [...execStart[1].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) =>
    m[1].replace(/\\(.)/g, "$1").replace(/%%/g, "%"),
  );
}

function checkLoginService(): Finding {
  const service = loginService();
  if (!existsSync(service.file))
    return warning(
      "login service",
      "not installed: the daemon starts only when a command needs it",
      "verbatim daemon install",
    );
  const program = serviceProgram(readFileSync(service.file, "utf8"));
  const missing = program.filter((file) => !existsSync(file));
  if (program.length === 0 || missing.length > 0)
    return problem(
      "login service",
      `${service.file} starts ${missing.join(" and ") || "nothing"}, which ${missing.length > 1 ? "do" : "does"} not exist`,
      "repair it: verbatim daemon install",
    );
  const fragile = program.map((file) => [file, versionedPathProblem(file)]).find(([, why]) => why);
  if (fragile)
    return warning(
      "login service",
      `${service.file} starts ${fragile[0]}, in ${fragile[1]}`,
      "verbatim daemon install",
    );
  return ok("login service", `${service.file} starts ${program.join(" ")}`);
}

export async function runDoctor(paths: VerbatimPaths): Promise<number> {
  const status = await daemonStatus(paths).catch((error: unknown) =>
    error instanceof Error ? error : new Error(String(error)),
  );
  const host = thisMac();
  const findings = [
    checkNode(),
    checkMacos(host),
    checkEngine(host),
    checkDaemon(paths, status),
    checkModelChoice(paths, status),
    checkFolders(paths),
    checkConfig(paths),
    await checkModels(paths, status),
    await checkSpeakers(paths, status),
    await checkFinishing(paths),
    checkAudioDecoder(await findDecoder()),
    checkMicrophone(captureCommand()),
    await checkMicrophoneStart(paths),
    await launchAgentState(checkLoginService(), loginService()),
  ].filter((finding) => finding !== null);
  const mark: Record<Verdict, string> = { ok: "ok     ", warning: "warning", problem: "PROBLEM" };
  for (const finding of findings) {
    process.stdout.write(`${mark[finding.verdict]}  ${finding.check.padEnd(14)} ${finding.detail}\n`);
    if (finding.fix) process.stdout.write(`${" ".repeat(24)}→ ${finding.fix}\n`);
  }
  const count = (verdict: Verdict, noun: string) => {
    const n = findings.filter((finding) => finding.verdict === verdict).length;
    return { n, text: `${n} ${noun}${n === 1 ? "" : "s"}` };
  };
  const problems = count("problem", "problem");
  const warnings = count("warning", "warning");
  const also = warnings.n > 0 ? ` (${warnings.text})` : "";
  process.stdout.write(problems.n === 0 ? `No problems found${also}.\n` : `${problems.text} found${also}.\n`);
  return problems.n === 0 ? EXIT.ok : EXIT.failure;
}
