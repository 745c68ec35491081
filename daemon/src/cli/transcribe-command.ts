// `verbatim transcribe`: files in, text/SRT/VTT streamed to stdout as segments are decoded, JSON per file.
import { accessSync, constants, mkdirSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DaemonError, type TranscriptionHandle } from "../client";
import {
  formatTranscript,
  segmentCues,
  srtCue,
  transcriptJson,
  VTT_HEADER,
  vttCue,
  type OutputFormat,
} from "../formats";
import { ModelStore } from "../models";
import type { VerbatimPaths } from "../paths";
import type { Event, SegmentData, TranscriptData, TranscriptionOptions } from "../protocol";
import type { Backend } from "@verbatim/native";
import { decodingDefaults, DEFAULT_CONFIG, loadConfig, mlxLimits } from "../service/config";
import { EngineHost } from "../service/engine-host";
import { describeFailure, JobStopped } from "../service/failures";
import { Logger } from "../service/logger";
import { modelProgressEvent } from "../service/progress-event";
import { transcribe } from "../service/transcription";
import { ensureDaemon } from "../daemon-control";
import { DECODING_USAGE } from "./decoding-flags";
import { EXIT, exitCodeFor, UsageError } from "./exit-codes";
import { ProgressBar } from "./progress-bar";

export const TRANSCRIBE_USAGE = `  verbatim transcribe [options] FILE…     transcribe audio or video files
      --model ID|PATH        model alias (e.g. large-v3-turbo, base.en-8bit, parakeet-v3), hub repo id or local folder
      --backend auto|cpu|mlx engine backend (with --no-daemon; the daemon's is set in its config)
      --language CODE        spoken language (default: detected)
      --task transcribe|translate
      --word-timestamps      time every word: one cue per word in SRT and VTT, "words" in JSON
      --prompt TEXT          names, spelling or style to condition the transcript on
      --vad                  decode only the speech a voice activity detector finds: silence and noise give no text
                             (the default, unless the config sets fileVad to false)
      --no-vad               decode all of the audio
      --clip-timestamps START,END,…
                             decode only these clips (seconds; a last START runs to the end), as openai's
                             clip_timestamps; no voice activity detection then
      --hallucination-silence-threshold SECONDS
                             drop doubtful text with more than SECONDS of silence around it and decode on after it,
                             as openai's hallucination_silence_threshold (words are timed to judge it)
${DECODING_USAGE}      --format text|srt|vtt|json
                             several files: text has a "==> FILE <==" line before each file's, JSON one object
                             per file (with "file"), VTT one document per file named in a NOTE; SRT, which has
                             no comments, needs --output-dir
      --output-dir DIR       write each file's transcript into DIR instead, named after the file (.txt, .srt,
                             .vtt or .json; an existing one is replaced), and print the paths written
      --no-daemon            run the engine in this process instead of the daemon
`;

export interface TranscribeCommand {
  files: string[];
  format: OutputFormat;
  /** Where each file's transcript is written (named after it), instead of standard output. */
  outputDir: string | null;
  options: TranscriptionOptions;
  backend: Backend | undefined;
  inProcess: boolean;
}

/** Writes one file's output to standard output as it streams in, named by `name` when there are several files. */
class OutputWriter {
  private cues = 0;

  constructor(
    private readonly format: OutputFormat,
    private readonly name: { file: string; first: boolean } | null,
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
    if (this.format === "text") this.out.write(segment.text + "\n");
    else if (this.format === "srt") for (const cue of segmentCues(segment)) this.out.write(srtCue(cue, ++this.cues));
    else if (this.format === "vtt") for (const cue of segmentCues(segment)) this.out.write(vttCue(cue));
  }

  end(file: string, transcript: TranscriptData): void {
    if (this.format === "json") this.out.write(transcriptJson(file, transcript) + "\n");
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
  const fail = (file: string, error: unknown) => {
    progress.clear();
    const code = exitCodeFor(error);
    const message =
      error instanceof DaemonError || error instanceof UsageError ? error.message : describeFailure(error).message;
    process.stderr.write(`verbatim: ${file}: ${message}\n`);
    worst = worse(worst, code);
  };

  const files: { given: string; file: string }[] = [];
  for (const given of command.files) {
    try {
      files.push({ given, file: checkReadable(given) });
    } catch (error) {
      fail(given, error);
    }
  }
  if (files.length === 0) return worst;
  if (command.outputDir !== null) mkdirSync(command.outputDir, { recursive: true });

  const run = command.inProcess ? inProcessRunner(command, paths) : await daemonRunner(command, paths);
  try {
    for (const [index, { given, file }] of files.entries()) {
      const several = command.files.length > 1;
      const writer =
        command.outputDir === null
          ? new OutputWriter(command.format, several ? { file: given, first: index === 0 } : null)
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
        fail(file, error);
        if (exitCodeFor(error) === EXIT.interrupted) break;
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

interface Runner {
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

function inProcessRunner(command: TranscribeCommand, paths: VerbatimPaths): Runner {
  const config = loadConfig(paths.configFile).config;
  const log = new Logger(paths.logDir, () => undefined);
  const host = new EngineHost(
    command.options.model ?? config.model,
    new ModelStore(),
    {
      backend: command.backend ?? config.backend,
      threads: config.threads,
      ...mlxLimits(config),
      idleUnloadMinutes: 0,
    },
    log,
  );
  const controller = new AbortController();
  const interrupt = () => controller.abort(new JobStopped("cancelled", "interrupted"));
  process.on("SIGINT", interrupt);
  return {
    transcribe: (file, onEvent) =>
      transcribe(
        {
          file,
          scratchDir: os.tmpdir(), // not the daemon's uploads folder, which a daemon starting meanwhile empties
          options: command.options,
          readyTimeoutMs: DEFAULT_CONFIG.readyTimeoutSeconds * 1000,
          vocabulary: config.vocabulary,
          fileVad: config.fileVad,
          decoding: decodingDefaults(config),
        },
        host,
        {
          onText: () => undefined,
          onSegment: (segment) => onEvent({ type: "segment", id: file, segment }),
          onProgress: (stage, fraction) => onEvent({ type: "progress", id: file, stage, fraction }),
          onModelProgress: (stage, progress) => onEvent({ ...modelProgressEvent(stage, progress), id: file }),
          onNotice: (message) => onEvent({ type: "notice", id: file, message }),
        },
        controller.signal,
      ),
    close: () => {
      process.off("SIGINT", interrupt);
      host.close();
    },
  };
}
