// `verbatim transcribe`: files in, text/SRT/VTT streamed to stdout as segments are decoded, JSON per file.
import { accessSync, constants, existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { BACKENDS, type Backend } from "@verbatim/native";
import type { TranscriptionHandle } from "../client";
import {
  formatTranscript,
  OUTPUT_FORMATS,
  segmentCues,
  srtCue,
  transcriptJson,
  VTT_HEADER,
  vttCue,
  type OutputFormat,
} from "../formats";
import type { VerbatimPaths } from "../paths";
import type { Event, SegmentData, TranscriptData, TranscriptionOptions } from "../protocol";
import { ensureDaemon } from "../daemon-control";
import { SPEAKER_COUNT_RULE, speakerCount } from "../speakers/speaker-count";
import { parseCommandLine } from "./command-line";
import { DECODING_FLAG_OPTIONS, decodingOptionsFromFlags } from "./decoding-flags";
import { EXIT, UsageError } from "./exit-codes";
import { ProgressBar } from "./progress-bar";

export interface TranscribeCommand {
  files: string[];
  format: OutputFormat;
  /** Where each file's transcript is written (named after it), instead of standard output. */
  outputDir: string | null;
  options: TranscriptionOptions;
  backend: Backend | undefined;
  inProcess: boolean;
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
      speakers: { type: "string" },
      prompt: { type: "string" },
      vad: { type: "boolean" },
      "no-vad": { type: "boolean" },
      "clip-timestamps": { type: "string" },
      "hallucination-silence-threshold": { type: "string" },
      ...DECODING_FLAG_OPTIONS,
      format: { type: "string", default: "text" },
      "output-dir": { type: "string" },
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

export function parseTranscribe(args: string[]): TranscribeCommand {
  const { values, positionals } = parseTranscribeArgs(args);
  if (positionals.length === 0) throw new UsageError("transcribe needs at least one FILE");
  const format = values.format as OutputFormat;
  if (!OUTPUT_FORMATS.includes(format)) throw new UsageError(`--format must be one of ${OUTPUT_FORMATS.join(", ")}`);
  const outputDir = values["output-dir"] ?? null;
  if (outputDir === "") throw new UsageError("--output-dir needs a folder");
  if (outputDir === null && format === "srt" && positionals.length > 1) {
    throw new UsageError(
      "SRT has no comments to say which file a cue is from: for several files give --output-dir DIR (one .srt " +
        "file for each), or use --format vtt",
    );
  }
  if (outputDir !== null) refuseSameOutput(positionals, outputDir, format);
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
  const speakers = values.speakers === undefined ? undefined : speakerCount(values.speakers);
  if (speakers === null) throw new UsageError(`--speakers must be ${SPEAKER_COUNT_RULE}`);
  const options: TranscriptionOptions = decodingOptionsFromFlags(values);
  if (values.model) options.model = localModelFolder(values.model) ?? values.model;
  if (values.language) options.language = values.language;
  if (values.task) options.task = values.task as "transcribe" | "translate";
  if (values["word-timestamps"]) options.wordTimestamps = true;
  if (values.prompt) options.prompt = values.prompt;
  if (speakers !== undefined) options.speakers = speakers;
  if (values.vad || values["no-vad"]) options.vad = Boolean(values.vad);
  if (clipTimestamps) options.clipTimestamps = clipTimestamps;
  if (hallucinationSilenceThreshold !== undefined)
    options.hallucinationSilenceThreshold = hallucinationSilenceThreshold;
  return {
    files: positionals,
    format,
    outputDir,
    options,
    backend: values.backend as Backend | undefined,
    inProcess: Boolean(values["no-daemon"]),
  };
}

/** Two files that --output-dir would write to the same place (a.wav and a.mp3, or one file given twice). */
function refuseSameOutput(files: string[], outputDir: string, format: OutputFormat): void {
  const seen = new Map<string, string>();
  for (const file of files) {
    const target = outputFile(outputDir, file, format);
    const earlier = seen.get(target);
    if (earlier !== undefined) {
      throw new UsageError(`${earlier} and ${file} would both be written to ${target}: transcribe them separately`);
    }
    seen.set(target, file);
  }
}

/**
 * Writes one file's output to standard output as it streams in, named by `name` when there are several files. With
 * `speakers`, the segments come without them while the speech model runs: the output waits for the transcript.
 */
class OutputWriter {
  private cues = 0;

  constructor(
    private readonly format: OutputFormat,
    private readonly name: { file: string; first: boolean } | null,
    private readonly speakers: boolean,
    private readonly out: NodeJS.WritableStream = process.stdout,
  ) {}

  begin(): void {
    const name = this.name;
    // A VTT comment (NOTE) ends at a blank line and may not hold "-->".
    if (this.format === "vtt")
      this.out.write(VTT_HEADER + (name ? `NOTE ${name.file.replace(/-->|\n/g, " ")}\n\n` : ""));
    else if (this.format === "text" && name) this.out.write(`${name.first ? "" : "\n"}==> ${name.file} <==\n`);
  }

  segment(segment: SegmentData): void {
    if (this.speakers) return;
    if (this.format === "text") this.out.write(segment.text + "\n");
    else if (this.format === "srt") for (const cue of segmentCues(segment)) this.out.write(srtCue(cue, ++this.cues));
    else if (this.format === "vtt") for (const cue of segmentCues(segment)) this.out.write(vttCue(cue));
  }

  end(file: string, transcript: TranscriptData): void {
    if (this.format === "json") this.out.write(transcriptJson(file, transcript) + "\n");
    else if (this.speakers) {
      const formatted = formatTranscript(this.format, file, transcript);
      this.out.write(this.format === "vtt" ? formatted.slice(VTT_HEADER.length) : formatted); // begin() wrote the header
    }
  }
}

function checkReadable(file: string): string {
  const absolute = path.resolve(file);
  try {
    if (!statSync(absolute).isFile()) throw new UsageError(`${file} is not a file`, EXIT.input);
    accessSync(absolute, constants.R_OK);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}`,
      EXIT.input,
    );
  }
  return absolute;
}

export async function runTranscribe(command: TranscribeCommand, paths: VerbatimPaths): Promise<number> {
  const progress = new ProgressBar();
  let worst: number = EXIT.ok;
  /** Says why `file` failed; its exit code. What knows the errors is loaded only once one happens. */
  const fail = async (file: string, error: unknown): Promise<number> => {
    progress.clear();
    const { exitCodeFor } = await import("./error-exit-code.js");
    const { describeFailure } = await import("../service/failures.js");
    const code = exitCodeFor(error);
    const message =
      error instanceof UsageError || (error as Error).name === "DaemonError"
        ? (error as Error).message
        : describeFailure(error).message;
    process.stderr.write(`verbatim: ${file}: ${message}\n`);
    worst = worse(worst, code);
    return code;
  };

  const files: { given: string; file: string }[] = [];
  for (const given of command.files) {
    try {
      files.push({ given, file: checkReadable(given) });
    } catch (error) {
      await fail(given, error);
    }
  }
  if (files.length === 0) return worst;
  if (command.outputDir !== null) mkdirSync(command.outputDir, { recursive: true });

  const run = command.inProcess
    ? (await import("./transcribe-in-process.js")).inProcessRunner(command, paths)
    : await daemonRunner(command, paths);
  try {
    for (const [index, { given, file }] of files.entries()) {
      const several = command.files.length > 1;
      const writer =
        command.outputDir === null
          ? new OutputWriter(
              command.format,
              several ? { file: given, first: index === 0 } : null,
              command.options.speakers !== undefined,
            )
          : null;
      writer?.begin();
      const label = path.basename(file);
      const onEvent = (event: Event) => {
        if (event.type === "segment") {
          progress.clear();
          writer?.segment(event.segment);
        } else if (event.type === "progress") {
          progress.update(`${event.stage} ${label}`, event.fraction, event.detail);
        } else if (event.type === "notice") {
          progress.clear();
          process.stderr.write(`verbatim: ${event.message}\n`);
        }
      };
      try {
        const transcript = await run.transcribe(file, onEvent);
        progress.clear();
        writer?.end(file, transcript);
        if (command.outputDir !== null) {
          const written = outputFile(command.outputDir, given, command.format);
          writeFileSync(written, formatTranscript(command.format, file, transcript));
          process.stdout.write(`${written}\n`);
        }
        if (!transcript.text) {
          process.stderr.write(`verbatim: ${file}: no speech detected\n`);
          worst = worse(worst, EXIT.noSpeech);
        }
      } catch (error) {
        if ((await fail(file, error)) === EXIT.interrupted) break;
      }
    }
  } finally {
    run.close();
  }
  return worst;
}

const EXTENSIONS: Record<OutputFormat, string> = { text: "txt", srt: "srt", vtt: "vtt", json: "json" };

/** Where --output-dir puts the transcript of `file`: the file's name with the format's extension. */
export function outputFile(outputDir: string, file: string, format: OutputFormat): string {
  return path.join(outputDir, `${path.parse(file).name}.${EXTENSIONS[format]}`);
}

/** The exit code for several files: any failure outranks a file without speech, which outranks success. */
function worse(a: number, b: number): number {
  const rank = (code: number) => (code === EXIT.ok ? 0 : code === EXIT.noSpeech ? 1 : 2 + code);
  return rank(b) > rank(a) ? b : a;
}

export interface Runner {
  transcribe(file: string, onEvent: (event: Event) => void): Promise<TranscriptData>;
  close(): void;
}

async function daemonRunner(command: TranscribeCommand, paths: VerbatimPaths): Promise<Runner> {
  const client = await ensureDaemon(paths, command.options.model);
  if (command.backend && command.backend !== "auto") {
    const status = await client.status();
    if (status.model.backend && status.model.backend !== command.backend) {
      process.stderr.write(
        `verbatim: the daemon runs the ${status.model.backend} backend; set "backend" in its config.json or use --no-daemon\n`,
      );
    }
  }
  let current: TranscriptionHandle | null = null;
  const interrupt = () => void current?.cancel();
  process.on("SIGINT", interrupt);
  return {
    transcribe: (file, onEvent) => {
      current = client.transcribeFile(file, { options: command.options, onEvent });
      return current.promise;
    },
    close: () => {
      process.off("SIGINT", interrupt);
      client.close();
    },
  };
}
