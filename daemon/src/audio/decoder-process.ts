import { spawn } from "node:child_process";
import { AudioError, displayName } from "./audio-error";

export interface DecoderRun {
  /** Receives stdout as it arrives; return false to stop the decoder (the run then resolves). */
  onStdout?: (chunk: Buffer) => boolean;
  signal?: AbortSignal;
}

const STDERR_LIMIT = 64 * 1024;

/** Runs a decoder to its end, keeping its stderr for messages; kills it when the signal aborts. */
export function runDecoder(
  command: string,
  args: string[],
  path: string,
  run: DecoderRun,
): Promise<{ exitCode: number | null; exitSignal: NodeJS.Signals | null; stderr: string; stopped: boolean }> {
  return new Promise((resolve, reject) => {
    if (run.signal?.aborted) {
      reject(abortedError(path));
      return;
    }
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let stopped = false;
    const onAbort = () => child.kill("SIGKILL");
    run.signal?.addEventListener("abort", onAbort, { once: true });

    child.stdout.on("data", (chunk: Buffer) => {
      if (stopped || !run.onStdout || run.onStdout(chunk)) return;
      stopped = true;
      child.kill("SIGKILL");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      if (stderr.length < STDERR_LIMIT) stderr += chunk.toString("utf8");
    });
    child.on("error", (error) => {
      run.signal?.removeEventListener("abort", onAbort);
      reject(
        new AudioError("decoder-failed", path, `Could not run ${command} for ${displayName(path)}: ${error.message}`),
      );
    });
    child.on("close", (exitCode, exitSignal) => {
      run.signal?.removeEventListener("abort", onAbort);
      if (run.signal?.aborted) reject(abortedError(path));
      else resolve({ exitCode, exitSignal, stderr, stopped });
    });
  });
}

export function abortedError(path: string): AudioError {
  return new AudioError("aborted", path, `Reading ${displayName(path)} was canceled.`);
}
