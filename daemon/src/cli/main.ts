// The `verbatim` command line.
import { existsSync } from "node:fs";
import path from "node:path";
import { BACKENDS, type Backend } from "@verbatim/native";
import { OUTPUT_FORMATS, type OutputFormat } from "../formats";
import { ModelStore } from "../models";
import { verbatimPaths, type VerbatimPaths } from "../paths";
import type {
  DaemonStatus,
  IdleUnloadStatus,
  MemoryBreakdown,
  ModelCapabilities,
  TranscriptionOptions,
} from "../protocol";
import { VERSION } from "../version";
import { lockHolder } from "../service/instance-lock";
import { startDaemon, stopDaemon, tryConnect } from "../daemon-control";
import { DICTATE_USAGE, parseDictate, runDictate } from "./dictate-command";
import { DICTATIONS_USAGE, runDictations } from "./dictations-command";
import { DECODING_FLAG_OPTIONS, decodingOptionsFromFlags } from "./decoding-flags";
import { DOCTOR_USAGE, runDoctor } from "./doctor-command";
import { EXIT, EXIT_CODES_HELP, exitCodeFor, UsageError } from "./exit-codes";
import { parseCommandLine } from "./command-line";
import { HISTORY_USAGE, parseHistory, runHistory } from "./history-command";
import { listModels } from "./models-list";
import { pullModel } from "./models-pull";
import { useModel } from "./models-use";
import { installService, restartService, uninstallService } from "./service-command";
import { runTranscribe, TRANSCRIBE_USAGE } from "./transcribe-command";
import { parseVocabulary, runVocabulary, VOCABULARY_USAGE } from "./vocabulary-command";
import { MODES_USAGE, parseModes, runModes } from "./modes-command";
import { CAPTURE_USAGE, runCapture } from "./capture-command";
import { runMcpServer } from "../mcp/mcp-server";
import { API_USAGE, describeApi, parseApi, runApi } from "./api-command";

const STATUS_USAGE = `  verbatim status [--json]               the daemon's model, backend, memory and queue
`;
const DAEMON_USAGE = `  verbatim daemon start|stop|status      run or stop the background daemon
  verbatim daemon install|uninstall      start the daemon at login (LaunchAgent; systemd user unit on Linux)
  verbatim daemon restart                restart the daemon
`;
const MODELS_USAGE = `  verbatim models list|pull ID|rm ID     the catalog (download size, memory, languages, which is in use) and the
                                         models in the Hugging Face cache
  verbatim models pull ID --quantize 8bit|4bit
                                         a Parakeet model (parakeet-v3, -v2, -110m) to load packed to 8 or 4 bits,
                                         as ID-8bit or ID-4bit: the same download, a half or a quarter of the memory
  verbatim models use ID                 the model jobs without --model use (saved in config.json); a job's own
                                         --model applies to that job alone
`;
const MCP_USAGE = `  verbatim mcp                           an MCP server on stdio: assistants search and read the history, transcribe files
`;
const CAPTURE_SUMMARY = `  verbatim capture --list-devices        the microphones (input devices), by index
  verbatim capture --session ID [--device NAME|INDEX]
                                         record the microphone into a running dictation
`;

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
  doctor: `Usage:\n${DOCTOR_USAGE}`,
  api: `Usage:\n${API_USAGE}`,
  mcp: `Usage:\n${MCP_USAGE}`,
  capture: CAPTURE_USAGE,
};

const USAGE = `verbatim ${VERSION}: private, on-device transcription

Usage:
${TRANSCRIBE_USAGE}${DICTATE_USAGE}${DICTATIONS_USAGE}${VOCABULARY_USAGE}${MODES_USAGE}${HISTORY_USAGE}${STATUS_USAGE}${DOCTOR_USAGE}${DAEMON_USAGE}${MODELS_USAGE}${API_USAGE}${MCP_USAGE}${CAPTURE_SUMMARY}\
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

function parseTranscribeArgs(args: string[]) {
  return parseCommandLine({
    args,
    allowPositionals: true,
    options: {
      model: { type: "string" },
      backend: { type: "string" },
      language: { type: "string" },
      task: { type: "string" },
      "word-timestamps": { type: "boolean" },
      prompt: { type: "string" },
      vad: { type: "boolean" },
      "no-vad": { type: "boolean" },
      "clip-timestamps": { type: "string" },
      "hallucination-silence-threshold": { type: "string" },
      ...DECODING_FLAG_OPTIONS,
      format: { type: "string", default: "text" },
      "no-daemon": { type: "boolean" },
    },
  });
}

// The daemon runs in another folder: a model folder given relative to this one is sent as an absolute path.
function localModelFolder(model: string): string | null {
  const folder = path.resolve(model);
  return existsSync(path.join(folder, "config.json")) ? folder : null;
}

/** A plain decimal number of seconds, not negative ("1", "2.5", ".5"). */
function isSeconds(text: string): boolean {
  return /^(\d+\.?\d*|\.\d+)$/.test(text.trim()) && Number.isFinite(Number(text));
}

/** --clip-timestamps START,END,START,…: seconds, none negative, as openai's clip_timestamps string. */
function parseClips(text: string): number[] {
  const parts = text.split(",");
  if (parts.some((part) => !isSeconds(part))) {
    throw new UsageError("--clip-timestamps must be START,END,START,END,… in seconds (numbers, not negative)");
  }
  return parts.map(Number);
}

function parseTranscribe(args: string[]) {
  const { values, positionals } = parseTranscribeArgs(args);
  if (positionals.length === 0) throw new UsageError("transcribe needs at least one FILE");
  const format = values.format as OutputFormat;
  if (!OUTPUT_FORMATS.includes(format)) throw new UsageError(`--format must be one of ${OUTPUT_FORMATS.join(", ")}`);
  if (values["word-timestamps"] && format === "text") {
    throw new UsageError("--word-timestamps needs --format srt, vtt or json (plain text has no timings)");
  }
  if (values.task && values.task !== "transcribe" && values.task !== "translate") {
    throw new UsageError("--task must be transcribe or translate");
  }
  if (values.backend && !BACKENDS.includes(values.backend as Backend)) {
    throw new UsageError(`--backend must be one of ${BACKENDS.join(", ")}`);
  }
  if (values.vad && values["no-vad"]) throw new UsageError("--vad and --no-vad contradict each other: give one");
  const clipTimestamps = values["clip-timestamps"] === undefined ? undefined : parseClips(values["clip-timestamps"]);
  if (clipTimestamps && values.vad) {
    throw new UsageError("--clip-timestamps choose what to decode: give them without --vad");
  }
  const threshold = values["hallucination-silence-threshold"];
  const hallucinationSilenceThreshold = threshold === undefined ? undefined : Number(threshold);
  if (hallucinationSilenceThreshold !== undefined && !isSeconds(threshold ?? "")) {
    throw new UsageError("--hallucination-silence-threshold must be seconds (a number, not negative)");
  }
  const options: TranscriptionOptions = decodingOptionsFromFlags(values);
  if (values.model) options.model = localModelFolder(values.model) ?? values.model;
  if (values.language) options.language = values.language;
  if (values.task) options.task = values.task as "transcribe" | "translate";
  if (values["word-timestamps"]) options.wordTimestamps = true;
  if (values.prompt) options.prompt = values.prompt;
  if (values.vad || values["no-vad"]) options.vad = Boolean(values.vad);
  if (clipTimestamps) options.clipTimestamps = clipTimestamps;
  if (hallucinationSilenceThreshold !== undefined)
    options.hallucinationSilenceThreshold = hallucinationSilenceThreshold;
  return {
    files: positionals,
    format,
    options,
    backend: values.backend as Backend | undefined,
    inProcess: Boolean(values["no-daemon"]),
  };
}

function describeStatus(status: DaemonStatus): string {
  const mb = (bytes: number | null) => (bytes === null ? "?" : `${Math.round(bytes / 1e6)} MB`);
  const lines = [
    `verbatimd ${status.version} (pid ${status.pid}), up ${Math.round(status.uptimeSeconds)} s`,
    `model:   ${status.model.id} (${[status.model.state, status.model.backend, status.model.device].filter(Boolean).join(", ")})`,
  ];
  const progress = status.model.state === "loading" ? status.model.progress : null;
  if (progress) {
    const percent = progress.fraction === null ? "" : ` ${Math.round(progress.fraction * 100)}%`;
    const doing = progress.stage === "download" ? `downloading${percent}` : "loading into the engine";
    lines.push(`loading: ${doing}${progress.detail ? ` (${progress.detail})` : ""}`);
  }
  const capabilities = status.model.capabilities;
  if (capabilities) lines.push(`family:  ${describeCapabilities(capabilities)}`);
  if (capabilities && !capabilities.prompt) {
    lines.push("vocabulary: terms not used by this model (it has no decoder prompt); replacements apply");
  }
  if (status.model.error) lines.push(`error:   ${status.model.error}`);
  if (status.model.notice) lines.push(`notice:  ${status.model.notice}`);
  if (status.model.gpuProblem) lines.push(`gpu:     none in use: ${status.model.gpuProblem}`);
  lines.push(`memory:  ${mb(status.memory.rssBytes)} (peak ${mb(status.memory.peakRssBytes)})`);
  const parts = status.memory.breakdown;
  if (parts) lines.push(`         ${describeMemoryParts(parts, mb)}`);
  const mlx = status.memory.mlx;
  if (mlx)
    lines.push(`mlx:     ${mb(mlx.activeBytes)} active, ${mb(mlx.peakBytes)} peak, ${mb(mlx.cacheBytes)} cached`);
  if (status.idleUnload) lines.push(`idle:    ${describeIdleUnload(status.idleUnload, mb)}`);
  lines.push(`queue:   ${status.queue.running ? "1 running" : "idle"}, ${status.queue.waiting} waiting`);
  lines.push(`history: ${describeHistory(status.history)}`);
  const historyNotices = status.history.notices ?? (status.history.notice ? [status.history.notice] : []);
  for (const notice of historyNotices) lines.push(`notice:  ${notice}`);
  for (const problem of status.config?.problems ?? []) lines.push(`config:  ${problem}`);
  return lines.join("\n") + "\n" + (status.api ? describeApi(status.api) : "");
}

/** The idle unload and its trade-off for the model loaded now. */
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
    process.stdout.write(json ? JSON.stringify({ running: true, ...status }) + "\n" : describeStatus(status));
    return EXIT.ok;
  } finally {
    client.close();
  }
}

async function daemonCommand(action: string | undefined, paths: VerbatimPaths): Promise<number> {
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
      throw new UsageError("daemon needs one of: start, stop, status, install, uninstall, restart");
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
  const store = new ModelStore();
  switch (action) {
    case "list":
      process.stdout.write(await listModels(store, paths));
      return EXIT.ok;
    case "pull":
      if (!name) throw new UsageError("models pull needs a model id");
      return pullModel(store, name, values.quantize);
    case "use":
      if (!name) throw new UsageError("models use needs a model id (an alias such as large-v3-turbo, or a folder)");
      return useModel(name, paths);
    case "rm": {
      if (!name) throw new UsageError("models rm needs a model id");
      const removed = await store.removeModel(name);
      process.stdout.write(`removed ${removed.repoId} (${(removed.freedBytes / 1e6).toFixed(0)} MB freed)\n`);
      return EXIT.ok;
    }
    default:
      throw new UsageError("models needs one of: list, pull ID, use ID, rm ID");
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
      case "transcribe":
        return await runTranscribe(parseTranscribe(rest), paths);
      case "status":
        return await showStatus(paths, rest.includes("--json"));
      case "daemon":
        return await daemonCommand(rest[0], paths);
      case "models":
        return await modelsCommand(rest, paths);
      case "dictate":
        return await runDictate(parseDictate(rest), paths);
      case "dictations":
        return await runDictations(rest, paths);
      case "vocabulary":
        return await runVocabulary(parseVocabulary(rest), paths);
      case "modes":
        return await runModes(parseModes(rest), paths);
      case "history":
        return await runHistory(parseHistory(rest), paths);
      case "capture":
        return await runCapture(rest, (text) => process.stdout.write(text));
      case "api":
        return await runApi(parseApi(rest), paths);
      case "doctor":
        if (rest.length > 0) throw new UsageError("doctor takes no arguments");
        return await runDoctor(paths);
      case "mcp":
        if (rest.length > 0) throw new UsageError("mcp takes no arguments");
        await runMcpServer(paths);
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
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`verbatim: ${message}\n`);
    if (error instanceof UsageError && error.exitCode === EXIT.usage)
      process.stderr.write("Run `verbatim --help` for usage.\n");
    return exitCodeFor(error);
  }
}
