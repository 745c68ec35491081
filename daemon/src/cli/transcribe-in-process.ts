// `verbatim transcribe --no-daemon`: the engine in the CLI's own process, loaded only for it.
import os from "node:os";
import { ModelStore } from "../models";
import type { VerbatimPaths } from "../paths";
import { decodingDefaults, DEFAULT_CONFIG, loadConfig, mlxLimits } from "../service/config";
import { EngineHost } from "../service/engine-host";
import { JobStopped } from "../service/failures";
import { SpeakerHost } from "../service/speaker-host";
import { Logger } from "../service/logger";
import { modelProgressEvent } from "../service/progress-event";
import { transcribe } from "../service/transcription";
import type { Runner, TranscribeCommand } from "./transcribe-command";

export function inProcessRunner(command: TranscribeCommand, paths: VerbatimPaths): Runner {
  const config = loadConfig(paths.configFile).config;
  const log = new Logger(paths.logDir, { echo: null });
  const store = new ModelStore();
  const host = new EngineHost(
    command.options.model ?? config.model,
    store,
    {
      backend: command.backend ?? config.backend,
      threads: config.threads,
      ...mlxLimits(config),
      idleUnloadMinutes: 0,
    },
    log,
  );
  const speakerHost = new SpeakerHost(
    config.speakerModel,
    store,
    {
      backend: command.backend ?? config.backend,
      threads: config.threads,
      ...mlxLimits(config),
      idleUnloadMinutes: () => 0,
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
          speakerHost,
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
      speakerHost.close();
    },
  };
}
