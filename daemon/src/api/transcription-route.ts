// POST /v1/audio/transcriptions and /v1/audio/translations: the upload goes to disk, the job through the daemon's
// queue (behind dictation) and into the history with the client's name; the answer is in the format asked for, or
// server-sent events as segments are recognised.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Segment } from "@verbatim/native";
import { sniffContainer } from "../audio/container-sniffer";
import { audioTokensPerSecond } from "../families";
import { MAX_UPLOAD_BYTES, type Event, type Request, type TranscriptData } from "../protocol";
import { describeFailure } from "../service/failures";
import { uploadStallMs } from "../service/upload-file";
import { diarizedSegment } from "./diarized-response";
import { ApiError, jobError } from "./errors";
import { sendBody, startEventStream } from "./http-response";
import { modelOption } from "./models";
import { drainRequest, receiveForm, type UploadedFile, type UploadedForm } from "./multipart-upload";
import { formatResponse, tokenUsageOf } from "./response-formats";
import type { ApiServices } from "./services";
import { parseTranscriptionForm, type AudioTask, type TranscriptionForm } from "./transcription-form";

/** How long a client refused for lack of upload room is asked to wait. */
const RETRY_AFTER_SECONDS = "5";

export async function handleTranscription(
  request: IncomingMessage,
  response: ServerResponse,
  task: AudioTask,
  services: ApiServices,
  app: string,
): Promise<void> {
  const form = await receiveUpload(request, services);
  try {
    const file = form.file;
    if (!file) throw new ApiError(400, "the `file` field is required: send the audio as a file", null, "file");
    if (file.bytes === 0) throw new ApiError(400, "the uploaded file is empty", "invalid_audio", "file");
    const fields = parseTranscriptionForm(form.fields, task);
    const model = await modelOption(fields.model, services);
    if (services.shuttingDown) throw new ApiError(503, "verbatimd is shutting down; try again once it is back");
    await runJob(response, services, jobRequest(fields, file, model, app), fields, file);
  } finally {
    await form.discard();
  }
}

/**
 * The form, its file on disk; refused (413, 429) before reading when it cannot fit. A request that announces its
 * length takes that room in the upload budget at once, one sent in chunks takes room as its bytes arrive. Its room is
 * given back however the reading ends.
 */
async function receiveUpload(request: IncomingMessage, services: ApiServices): Promise<UploadedForm> {
  const limit = services.maxUploadBytes;
  const tooLarge = (what: string) => uploadTooLarge(what, limit);
  const announced = Number(request.headers["content-length"] ?? Number.NaN);
  if (announced > limit) throw tooLarge(`the upload (${Math.round(announced / 2 ** 20)} MiB)`);
  const stallMs = uploadStallMs(services.idleConnectionMs);
  const reservation = services.uploadBudget.reserve(Number.isFinite(announced) ? announced : 0);
  if (typeof reservation === "string") {
    await drainRequest(request, limit, stallMs);
    throw noRoom(reservation);
  }
  try {
    return await receiveForm(request, {
      uploadsDir: services.uploadsDir,
      maxFileBytes: limit,
      tooLarge,
      stallMs,
      received: (bytes) => {
        if (bytes > limit) return tooLarge("the upload");
        const refusal = reservation.grow(bytes);
        return refusal ? noRoom(refusal) : null;
      },
    });
  } finally {
    reservation.release();
  }
}

/**
 * An upload that can never fit: the client can only send less. `limit` is the lower of the two limits (one upload's
 * 2 GiB, all unfinished uploads' config maxUnfinishedUploadMB), and the message names that one.
 */
function uploadTooLarge(what: string, limit: number): ApiError {
  const which =
    limit >= MAX_UPLOAD_BYTES
      ? `the ${MAX_UPLOAD_BYTES / 2 ** 30} GiB one upload may hold`
      : `the ${Math.round(limit / 2 ** 20)} MiB this daemon takes in uploads at once (config maxUnfinishedUploadMB)`;
  return new ApiError(
    413,
    `${what} is larger than ${which}; send a smaller file, or a shorter or more compressed recording`,
    "file_too_large",
    "file",
  );
}

/** Upload room is taken by others for now: the client may wait and try again. */
function noRoom(why: string): ApiError {
  return new ApiError(
    429,
    `${why}; wait a few seconds and send it again, or send a smaller file`,
    "too_many_uploads",
    null,
    { "retry-after": RETRY_AFTER_SECONDS },
  );
}

function jobRequest(
  form: TranscriptionForm,
  file: UploadedFile,
  model: string | undefined,
  app: string,
): Extract<Request, { type: "transcribe" }> {
  const options: NonNullable<Extract<Request, { type: "transcribe" }>["options"]> = { task: form.task, app };
  if (model) options.model = model;
  if (form.language) options.language = form.language;
  if (form.prompt) options.prompt = form.prompt;
  if (form.temperature !== undefined) options.temperature = form.temperature;
  if (form.words) options.wordTimestamps = true;
  if (form.speakers !== null) options.speakers = form.speakers;
  return {
    type: "transcribe",
    id: `api-${randomUUID()}`,
    source: { kind: "upload", bytes: file.bytes, name: file.name },
    options,
    priority: "batch",
  };
}

async function runJob(
  response: ServerResponse,
  services: ApiServices,
  job: Extract<Request, { type: "transcribe" }>,
  form: TranscriptionForm,
  file: UploadedFile,
): Promise<void> {
  const decoded: Segment[] = [];
  let cause: unknown = null;
  const emit = form.stream ? startEventStream(response) : null;
  let streamed = "";
  const outcome = new Promise<TranscriptData>((resolve, reject) => {
    const send = (event: Event) => {
      // With speakers, segments have them only in the finished transcript: they are sent from it.
      if (event.type === "segment" && emit && form.speakers === null) {
        const delta = streamed ? ` ${event.segment.text}` : event.segment.text;
        streamed += delta;
        emit({ type: "transcript.text.delta", delta, logprobs: null });
      } else if (event.type === "done" && event.transcript) resolve(event.transcript);
      else if (event.type === "error") reject(jobError(event, cause, sniffContainer(file.head) !== "unknown"));
    };
    services.submitTranscription(job, file.path, send, {
      onDecodedSegment: (segment) => decoded.push(segment),
      onFailure: (error) => (cause = error),
    });
  });
  // A client that goes away cancels its job, as on the socket.
  const cancel = () => {
    if (!response.writableEnded) services.cancelJob(job.id, "canceled because its HTTP client disconnected");
  };
  response.once("close", cancel);
  try {
    const transcript = await outcome;
    if (emit) {
      if (form.speakers !== null) transcript.segments.forEach((segment, i) => emit(diarizedSegment(segment, i)));
      // The deltas are the segments' text; whatever the whole text has beyond them comes last.
      else if (transcript.text.startsWith(streamed) && transcript.text.length > streamed.length) {
        emit({ type: "transcript.text.delta", delta: transcript.text.slice(streamed.length), logprobs: null });
      }
      emit({
        type: "transcript.text.done",
        text: transcript.text,
        logprobs: null,
        usage: tokenUsageOf(transcript, decoded, audioTokensPerSecond(services.status().model.capabilities?.family)),
      });
      response.end();
      return;
    }
    const formatted = formatResponse(form.responseFormat, transcript, {
      task: form.task,
      decoded,
      segments: form.segments,
      words: form.words,
    });
    sendBody(response, 200, formatted.contentType, formatted.body);
  } catch (error) {
    const failure = error instanceof ApiError ? error : new ApiError(500, describeFailure(error).message);
    if (!emit) throw failure;
    emit(failure.body()); // the `openai` client's Stream throws an APIError for a data line with `error`
    response.end();
  } finally {
    response.off("close", cancel);
  }
}
