// Any failure of a request, as the protocol's error code and a message a person can act on.
import { CancelledError, EngineError, ModelFormatError } from "@verbatim/native";
import { AudioError } from "../audio";
import { ModelStoreError } from "../models";
import { ProtocolError, type ErrorCode } from "../protocol";
import { DiskError } from "./disk-error";
import { ModelNotReadyError } from "./engine-host";

/** Why a job was stopped: cancelled by a client, or by the daemon shutting down. */
export class JobStopped extends Error {
  constructor(
    readonly code: "cancelled" | "shutting_down",
    message: string,
  ) {
    super(message);
    this.name = "JobStopped";
  }
}

export function describeFailure(error: unknown): { code: ErrorCode; message: string } {
  if (error instanceof JobStopped || error instanceof ProtocolError)
    return { code: error.code, message: error.message };
  if (error instanceof AudioError) return { code: "audio", message: error.message };
  if (error instanceof DiskError) return { code: "disk", message: error.message };
  if (error instanceof ModelStoreError) {
    return { code: error.code === "cancelled" ? "cancelled" : "model", message: error.message };
  }
  if (error instanceof ModelNotReadyError) return { code: error.code, message: error.message };
  if (error instanceof CancelledError) return { code: "cancelled", message: "the job was canceled" };
  if (error instanceof ModelFormatError) return { code: "model", message: error.message };
  if (error instanceof EngineError) return { code: "engine", message: error.message };
  return { code: "engine", message: error instanceof Error ? error.message : String(error) };
}
