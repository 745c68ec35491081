// The `verbatim` command line. It loads only what a command needs, when it runs: help and usage errors load none
// of the commands' modules, and no command pays for the MCP server or the engine it does not use.
import { verbatimPaths, type VerbatimPaths } from "../paths";
import type { DaemonStatus, IdleUnloadStatus, MemoryBreakdown, ModelCapabilities } from "../protocol";
import { VERSION } from "../version";
import { EXIT, EXIT_CODES_HELP, UsageError } from "./exit-codes";
import { parseCommandLine } from "./command-line";
import { didYouMean, needsOneOf } from "./did-you-mean";
import {
  API_USAGE,
  CAPTURE_SUMMARY,
  CAPTURE_USAGE,
  DAEMON_USAGE,
  DICTATE_USAGE,
  DICTATIONS_USAGE,
  DOCTOR_USAGE,
  HISTORY_USAGE,
  MCP_USAGE,
  MEETING_USAGE,
  MODELS_USAGE,
  MODES_USAGE,
  STATUS_USAGE,
  TRANSCRIBE_USAGE,
  VOCABULARY_USAGE,
} from "./usage";

/** What `verbatim COMMAND --help` prints. */
const COMMAND_USAGE: Record<string, string> = {
  transcribe: `Usage:\n${TRANSCRIBE_USAGE}`,
  status: `Usage:\n${STATUS_USAGE}`,
  daemon: `Usage:\n${DAEMON_USAGE}`,
  models: `Usage:\n${MODELS_USAGE}`,
  dictate: `Usage:\n${DICTATE_USAGE}`,
  dictations: `Usage:\n${DICTATIONS_USAGE}`,
  vocabulary: `Usage:\n${VOCABULARY_USAGE}`,
  modes: `Usage:\n${MODES_USAGE}`,
  history: `Usage:\n${HISTORY_USAGE}`,
  meeting: `Usage:\n${MEETING_USAGE}`,
  doctor: `Usage:\n${DOCTOR_USAGE}`,
  api: `Usage:\n${API_USAGE}`,
  mcp: `Usage:\n${MCP_USAGE}`,
  capture: CAPTURE_USAGE,
};

const USAGE = `verbatim ${VERSION}: private, on-device transcription

Usage:
${TRANSCRIBE_USAGE}${DICTATE_USAGE}${DICTATIONS_USAGE}${VOCABULARY_USAGE}${MODES_USAGE}${HISTORY_USAGE}${MEETING_USAGE}${STATUS_USAGE}${DOCTOR_USAGE}${DAEMON_USAGE}${MODELS_USAGE}${API_USAGE}${MCP_USAGE}${CAPTURE_SUMMARY}\
  verbatim COMMAND --help                one command's usage
  verbatim --version                     the version (also -v)

${EXIT_CODES_HELP}`;

/** Whether the arguments ask for help (options end at "--"). */
function asksForHelp(args: string[]): boolean {
  const options = args.includes("--") ? args.slice(0, args.indexOf("--")) : args;
  return options.includes("--help") || options.includes("-h");
}

/**
 * A reader that stops reading (`verbatim transcribe … | head -1`) ends the command quietly: it has what it wanted.
 * Leaving also closes the daemon connection, which cancels the job.
 */
function endQuietlyWhenOutputCloses(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") throw error;
      process.exit(EXIT.ok);
    });
  }
}

function describeStatus(status: DaemonStatus, describeApi: (api: NonNullable<DaemonStatus["api"]>) => string): string {
  const mb = (bytes: number | null) => (bytes === null ? "?" : `${Math.round(bytes / 1e6)} MB`);
  const { id, state, backend, device, inUse } = status.model;
  const where = [backend, device].filter(Boolean);
  // The backend and device are the loaded model's: shown beside it, which may not be the model jobs run on.
  const loadedOther = inUse !== undefined && inUse !== null && inUse !== id;
  const lines = [
    `verbatimd ${status.version} (pid ${status.pid}), up ${Math.round(status.uptimeSeconds)} s`,
    `model:   ${id} (${[state, ...(loadedOther ? [] : where)].join(", ")})`,
  ];
  if (loadedOther) lines.push(`loaded:  ${inUse}${where.length > 0 ? ` (${where.join(", ")})` : ""}`);
  const progress = status.model.state === "loading" ? status.model.progress : null;
  if (progress) {
    const percent = progress.fraction === null ? "" : ` ${Math.round(progress.fraction * 100)}%`;
    const doing = progress.stage === "download" ? `downloading${percent}` : "loading into the engine";
    lines.push(`loading: ${doing}${progress.detail ? ` (${progress.detail})` : ""}`);
  }
  const capabilities = status.model.capabilities;
  if (capabilities) lines.push(`family:  ${describeCapabilities(capabilities)}`);
  if (capabilities?.boosting) {
    lines.push("vocabulary: terms boosted while decoding (phrase boosting); replacements apply");
  } else if (capabilities && !capabilities.prompt) {
    lines.push("vocabulary: terms not used by this model (it has no decoder prompt); replacements apply");
  }
  if (status.model.error) lines.push(`error:   ${status.model.error}`);
  if (status.model.notice) lines.push(`notice:  ${status.model.notice}`);
  if (status.model.gpuProblem) lines.push(`gpu:     none in use: ${status.model.gpuProblem}`);
  const speakerLine = status.speakerModel && describeSpeakerModel(status.speakerModel);
  if (speakerLine) lines.push(`speakers: ${speakerLine}`);
  lines.push(`memory:  ${mb(status.memory.rssBytes)} (peak ${mb(status.memory.peakRssBytes)})`);
  const parts = status.memory.breakdown;
  if (parts) lines.push(`         ${describeMemoryParts(parts, mb)}`);
  const mlx = status.memory.mlx;
  if (mlx)
    lines.push(`mlx:     ${mb(mlx.activeBytes)} active, ${mb(mlx.peakBytes)} peak, ${mb(mlx.cacheBytes)} cached`);
  if (status.idleUnload) lines.push(`idle:    ${describeIdleUnload(status.idleUnload, mb)}`);
  const { keepReadyMinutes, ready } = status.capture;
  if (keepReadyMinutes) {
    const now = ready ? "open now (on a Mac the microphone indicator is on)" : "none open now";
    lines.push(`mic:     kept ready ${keepReadyMinutes} min after each dictation (keepMicrophoneReadyMinutes); ${now}`);
  }
  lines.push(`queue:   ${status.queue.running ? "1 running" : "idle"}, ${status.queue.waiting} waiting`);
  lines.push(`history: ${describeHistory(status.history)}`);
  const historyNotices = status.history.notices ?? (status.history.notice ? [status.history.notice] : []);
  for (const notice of historyNotices) lines.push(`notice:  ${notice}`);
  for (const problem of status.config?.problems ?? []) lines.push(`config:  ${problem}`);
  return lines.join("\n") + "\n" + (status.api ? describeApi(status.api) : "");
}

/** The idle unload and its trade-off for the model loaded now. */
/** The speaker model once a job with speakers loaded it (or failed to); null while none has asked for it. */
function describeSpeakerModel(speakers: NonNullable<DaemonStatus["speakerModel"]>): string | null {
  if (speakers.error) return `${speakers.id} failed: ${speakers.error}`;
  if (speakers.state === "unloaded") return null;
  const loaded = speakers.loadSeconds === null ? "" : ` (loaded in ${speakers.loadSeconds.toFixed(1)} s)`;
  return `${speakers.id} ${speakers.state}${loaded}${speakers.folder ? ` from ${speakers.folder}` : ""}`;
}

function describeIdleUnload(idle: IdleUnloadStatus, mb: (bytes: number | null) => string): string {
  const setting =
    idle.minutes > 0 ? `unloads the model after ${idle.minutes} idle minutes` : "keeps the model loaded between jobs";
  if (idle.modelMemoryBytes === null || idle.loadSeconds === null) return `${setting} (idleUnloadMinutes)`;
  const unload = idle.minutes > 0 ? "an unload" : "unloading it (idleUnloadMinutes)";
  return `${setting}; ${unload} gives back about ${mb(idle.modelMemoryBytes)}, and the next job waits ${idle.loadSeconds.toFixed(1)} s more to load it`;
}

/** Where the RSS goes, in a line: each part the daemon could measure here. */
function describeMemoryParts(parts: MemoryBreakdown, mb: (bytes: number | null) => string): string {
  const known = (bytes: number | null, what: string) => (bytes === null ? [] : [`${mb(bytes)} ${what}`]);
  return [
    ...known(parts.mappedWeightsBytes, "model files mapped"),
    ...known(parts.nativeHeapBytes, "engine and native heap"),
    `${mb(parts.jsHeapBytes)} JavaScript heap`,
    `${mb(parts.otherBytes)} other (code, libraries, stacks, freed heap)`,
  ].join(", ");
}

/** What the model in use can do, in a line: its family, languages and what it lacks of Whisper's. */
function describeCapabilities(capabilities: ModelCapabilities): string {
  const languages = capabilities.languages;
  const spoken =
    languages === null
      ? "languages not known"
      : languages.length === 1
        ? `${languages[0]} only`
        : `${languages.length} languages`;
  const can = [capabilities.translate && "translation", capabilities.streaming && "live dictation"].filter(Boolean);
  const cannot = [!capabilities.translate && "translation", !capabilities.streaming && "live dictation"].filter(
    Boolean,
  );
  return [capabilities.family, spoken, ...can, ...cannot.map((what) => `no ${what}`)].join(", ");
}

function describeHistory(history: DaemonStatus["history"]): string {
  if (!history.enabled) return "off";
  const kept = history.recordings;
  if (!kept) return "on";
  const size = kept.bytes < 1e9 ? `${(kept.bytes / 1e6).toFixed(1)} MB` : `${(kept.bytes / 1e9).toFixed(2)} GB`;
  return `on, ${kept.count} recording${kept.count === 1 ? "" : "s"} kept (${size})`;
}

async function showStatus(paths: VerbatimPaths, json: boolean): Promise<number> {
  const { tryConnect } = await import("../daemon-control.js");
  const { lockHolder } = await import("../service/instance-lock.js");
  const client = await tryConnect(paths);
  if (!client) {
    // Its pid file names a daemon that is alive: it runs, but does not answer (busy starting, overloaded, stopped).
    const pid = lockHolder(paths.socket);
    if (json) {
      const state = pid === null ? { running: false } : { running: true, answering: false, pid };
      process.stdout.write(JSON.stringify({ ...state, socket: paths.socket }) + "\n");
    } else if (pid === null) {
      process.stdout.write(`verbatimd is not running (socket ${paths.socket}). Start it with: verbatim daemon start\n`);
    } else {
      process.stdout.write(
        `verbatimd is running (pid ${pid}) but not answering on ${paths.socket}: it may be starting, overloaded or ` +
          "stopped (SIGSTOP). Try again in a moment; if it stays so, restart it: verbatim daemon restart\n",
      );
    }
    return EXIT.unreachable;
  }
  try {
    const status = await client.status();
    const { describeApi } = await import("./api-command.js");
    process.stdout.write(
      json ? JSON.stringify({ running: true, ...status }) + "\n" : describeStatus(status, describeApi),
    );
    return EXIT.ok;
  } finally {
    client.close();
  }
}

async function daemonCommand(action: string | undefined, paths: VerbatimPaths): Promise<number> {
  const { startDaemon, stopDaemon, tryConnect } = await import("../daemon-control.js");
  const { installService, restartService, uninstallService } = await import("./service-command.js");
  switch (action) {
    case "start": {
      const running = await tryConnect(paths);
      if (running) {
        running.close();
        process.stdout.write("verbatimd is already running\n");
        return EXIT.ok;
      }
      (await startDaemon(paths)).close();
      process.stdout.write(`verbatimd started (socket ${paths.socket})\n`);
      return EXIT.ok;
    }
    case "stop":
      process.stdout.write((await stopDaemon(paths)) ? "verbatimd stopped\n" : "verbatimd was not running\n");
      return EXIT.ok;
    case "status":
      return showStatus(paths, false);
    case "install":
      process.stdout.write(await installService(paths));
      return EXIT.ok;
    case "uninstall":
      process.stdout.write(await uninstallService());
      return EXIT.ok;
    case "restart":
      process.stdout.write(await restartService(paths));
      return EXIT.ok;
    default:
      throw new UsageError(
        needsOneOf("daemon", action, ["start", "stop", "status", "install", "uninstall", "restart"]),
      );
  }
}

async function modelsCommand(args: string[], paths: VerbatimPaths): Promise<number> {
  const { values, positionals } = parseCommandLine({
    args,
    allowPositionals: true,
    options: { quantize: { type: "string" } },
  });
  const [action, name] = positionals;
  if (values.quantize !== undefined && action !== "pull") throw new UsageError("--quantize is for models pull");
  const store = new (await import("../models/index.js")).ModelStore();
  switch (action) {
    case "list":
      process.stdout.write(await (await import("./models-list.js")).listModels(store, paths));
      return EXIT.ok;
    case "pull":
      if (!name) throw new UsageError("models pull needs a model id");
      return (await import("./models-pull.js")).pullModel(store, name, values.quantize);
    case "use":
      if (!name) throw new UsageError("models use needs a model id (an alias such as large-v3-turbo, or a folder)");
      return (await import("./models-use.js")).useModel(name, paths);
    case "rm": {
      if (!name) throw new UsageError("models rm needs a model id");
      const removed = await store.removeModel(name);
      process.stdout.write(`removed ${removed.repoId} (${(removed.freedBytes / 1e6).toFixed(0)} MB freed)\n`);
      return EXIT.ok;
    }
    default:
      throw new UsageError(needsOneOf("models", action, ["list", "pull", "use", "rm"], "list, pull ID, use ID, rm ID"));
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  endQuietlyWhenOutputCloses();
  try {
    if (command !== undefined && Object.hasOwn(COMMAND_USAGE, command) && asksForHelp(rest)) {
      process.stdout.write(COMMAND_USAGE[command]);
      return EXIT.ok;
    }
    const paths = verbatimPaths();
    switch (command) {
      case "transcribe": {
        const { parseTranscribe, runTranscribe } = await import("./transcribe-command.js");
        return await runTranscribe(parseTranscribe(rest), paths);
      }
      case "status":
        return await showStatus(
          paths,
          Boolean(parseCommandLine({ args: rest, options: { json: { type: "boolean" } } }).values.json),
        );
      case "daemon":
        return await daemonCommand(rest[0], paths);
      case "models":
        return await modelsCommand(rest, paths);
      case "dictate": {
        const { parseDictate, runDictate } = await import("./dictate-command.js");
        return await runDictate(parseDictate(rest), paths);
      }
      case "dictations":
        return await (await import("./dictations-command.js")).runDictations(rest, paths);
      case "vocabulary": {
        const { parseVocabulary, runVocabulary } = await import("./vocabulary-command.js");
        return await runVocabulary(parseVocabulary(rest), paths);
      }
      case "modes": {
        const { parseModes, runModes } = await import("./modes-command.js");
        return await runModes(parseModes(rest), paths);
      }
      case "history": {
        const { parseHistory, runHistory } = await import("./history-command.js");
        return await runHistory(parseHistory(rest), paths);
      }
      case "meeting": {
        const { parseMeeting, runMeeting } = await import("./meeting-command.js");
        return await runMeeting(parseMeeting(rest), paths);
      }
      case "capture":
        return await (
          await import("./capture-command.js")
        ).runCaptureCommand(rest, (text) => process.stdout.write(text));
      case "api": {
        const { parseApi, runApi } = await import("./api-command.js");
        return await runApi(parseApi(rest), paths);
      }
      case "doctor":
        if (rest.length > 0) throw new UsageError("doctor takes no arguments");
        return await (await import("./doctor-command.js")).runDoctor(paths);
      case "mcp":
        if (rest.length > 0) throw new UsageError("mcp takes no arguments");
        await (await import("../mcp/mcp-server.js")).runMcpServer(paths);
        return EXIT.ok;
      case "--version":
      case "-v":
        process.stdout.write(`${VERSION}\n`);
        return EXIT.ok;
      case "help":
        if (rest[0] !== undefined && Object.hasOwn(COMMAND_USAGE, rest[0])) {
          process.stdout.write(COMMAND_USAGE[rest[0]]);
          return EXIT.ok;
        }
        process.stdout.write(USAGE);
        return EXIT.ok;
      case undefined:
      case "--help":
      case "-h":
        process.stdout.write(USAGE);
        return command === undefined ? EXIT.usage : EXIT.ok;
      default:
        throw new UsageError(`unknown command "${command}"${didYouMean(command, Object.keys(COMMAND_USAGE))}`);
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`verbatim: ${message}\n`);
    if (error instanceof UsageError && error.exitCode === EXIT.usage)
      process.stderr.write("Run `verbatim --help` for usage.\n");
    return (await import("./error-exit-code.js")).exitCodeFor(error);
  }
}
