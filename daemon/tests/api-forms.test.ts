// What the HTTP API and the Realtime sessions take from clients: the transcription form's fields (as openai's API
// checks them) and the Realtime session's updates in the GA and beta shapes.
import { ApiError } from "../src/api/errors";
import { DEFAULT_SESSION_CONFIG, SessionRefusal, updatedConfig } from "../src/api/realtime/session-config";
import { parseTranscriptionForm } from "../src/api/transcription-form";

const form = (fields: Record<string, string | string[]>) =>
  new Map(Object.entries(fields).map(([name, value]) => [name, Array.isArray(value) ? value : [value]]));

function refusal(fields: Record<string, string | string[]>): { status: number; param: string | null } {
  try {
    parseTranscriptionForm(form(fields), "transcribe");
  } catch (error) {
    if (error instanceof ApiError) return { status: error.status, param: error.param };
    throw error;
  }
  throw new Error("the form was accepted");
}

test("a transcription form with every field openai sends", () => {
  expect(
    parseTranscriptionForm(
      form({
        model: "whisper-1",
        language: "DE",
        prompt: "Ximena, Okonkwo.",
        response_format: "verbose_json",
        temperature: "0.2",
        "timestamp_granularities[]": ["word", "segment"],
        stream: "false",
        chunking_strategy: "auto", // newer fields Verbatim has no use for are passed over
      }),
      "transcribe",
    ),
  ).toEqual({
    task: "transcribe",
    model: "whisper-1",
    language: "de",
    prompt: "Ximena, Okonkwo.",
    temperature: 0.2,
    responseFormat: "verbose_json",
    words: true,
    segments: true,
    stream: false,
    // No speakers asked for: none (the diarize model or a speakers field sets them).
    speakers: null,
  });
  expect(parseTranscriptionForm(form({ model: "whisper-1", language: "fr" }), "translate")).toMatchObject({
    task: "translate",
    responseFormat: "json",
    words: false,
    segments: true,
  });
});

test("fields openai's API refuses are refused, naming the field", () => {
  expect(refusal({})).toEqual({ status: 400, param: "model" });
  expect(refusal({ model: "whisper-1", response_format: "docx" })).toEqual({ status: 400, param: "response_format" });
  expect(refusal({ model: "whisper-1", "timestamp_granularities[]": "word" })).toEqual({
    status: 400,
    param: "timestamp_granularities",
  });
  expect(refusal({ model: "whisper-1", response_format: "verbose_json", "timestamp_granularities[]": "char" })).toEqual(
    {
      status: 400,
      param: "timestamp_granularities",
    },
  );
  expect(refusal({ model: "whisper-1", stream: "true", response_format: "srt" })).toEqual({
    status: 400,
    param: "stream",
  });
  expect(refusal({ model: "whisper-1", stream: "yes" })).toEqual({ status: 400, param: "stream" });
  expect(refusal({ model: "whisper-1", language: "klingon" })).toEqual({ status: 400, param: "language" });
  expect(refusal({ model: "whisper-1", temperature: "1.5" })).toEqual({ status: 400, param: "temperature" });
  expect(refusal({ model: ["whisper-1", "whisper-1"] })).toEqual({ status: 400, param: "model" });
});

test("Realtime session updates in the GA and beta shapes; what Verbatim cannot do is refused", () => {
  const ga = updatedConfig(
    DEFAULT_SESSION_CONFIG,
    {
      type: "transcription",
      audio: {
        input: {
          format: { type: "audio/pcm", rate: 24000 },
          transcription: { model: "whisper-1", language: "en", prompt: "Xia" },
          turn_detection: { type: "server_vad", silence_duration_ms: 800 },
          noise_reduction: { type: "near_field" },
        },
      },
    },
    "ga",
  );
  expect(ga).toEqual({
    format: "audio/pcm",
    model: "whisper-1",
    language: "en",
    prompt: "Xia",
    turnDetection: { type: "server_vad", threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 800 },
  });
  // A later update changes only what it names.
  expect(updatedConfig(ga, { audio: { input: { turn_detection: null } } }, "ga")).toEqual({
    ...ga,
    turnDetection: null,
  });
  const beta = updatedConfig(
    DEFAULT_SESSION_CONFIG,
    { input_audio_format: "pcm16", input_audio_transcription: { model: "whisper-1" }, turn_detection: null },
    "beta",
  );
  expect(beta.turnDetection).toBeNull();
  // G.711 at 8 kHz, in either shape.
  expect(updatedConfig(ga, { audio: { input: { format: { type: "audio/pcmu" } } } }, "ga").format).toBe("audio/pcmu");
  expect(updatedConfig(ga, { audio: { input: { format: { type: "audio/pcma", rate: 8000 } } } }, "ga").format).toBe(
    "audio/pcma",
  );
  expect(updatedConfig(beta, { input_audio_format: "g711_ulaw" }, "beta").format).toBe("audio/pcmu");
  expect(updatedConfig(beta, { input_audio_format: "g711_alaw" }, "beta").format).toBe("audio/pcma");

  const refused = (session: unknown, shape: "ga" | "beta" = "ga") => {
    try {
      updatedConfig(DEFAULT_SESSION_CONFIG, session, shape);
    } catch (error) {
      if (error instanceof SessionRefusal) return error.param;
      throw error;
    }
    return null;
  };
  expect(refused({ type: "realtime" })).toBe("session.type");
  expect(refused({ audio: { input: { format: { type: "audio/opus" } } } })).toBe("session.audio.input.format");
  expect(refused({ audio: { input: { format: { type: "audio/pcmu", rate: 16000 } } } })).toBe(
    "session.audio.input.format",
  );
  expect(refused({ audio: { input: { format: { type: "audio/pcm", rate: 16000 } } } })).toBe(
    "session.audio.input.format",
  );
  expect(refused({ audio: { input: { turn_detection: { type: "semantic_vad" } } } })).toBe(
    "session.audio.input.turn_detection",
  );
  expect(refused({ audio: { input: { turn_detection: { type: "server_vad", threshold: 2 } } } })).toBe(
    "session.audio.input.turn_detection.threshold",
  );
  expect(refused({ audio: { input: { transcription: { language: "xx" } } } })).toBe(
    "session.audio.input.transcription.language",
  );
  expect(refused({ input_audio_format: "opus" }, "beta")).toBe("session.input_audio_format");
  expect(refused({ input_audio_format: "toString" }, "beta")).toBe("session.input_audio_format");
});
