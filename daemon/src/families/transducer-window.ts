// A file window on a transducer model (Parakeet, Nemotron): transcribed with each token shown as it is decoded and
// the engine's progress passed on.
import type { Job, ParakeetTranscript, PieceDecoder, TranscribeEvent } from "@verbatim/native";
import { settleJob, type WindowCallbacks } from "./family";

export async function transcribeShowingTokens(
  pieces: PieceDecoder,
  transcribe: (onEvent: (event: TranscribeEvent) => void) => Job<ParakeetTranscript>,
  callbacks: WindowCallbacks,
  signal: AbortSignal,
): Promise<ParakeetTranscript> {
  const live = new TextDecoder("utf-8", { ignoreBOM: true });
  let first = true;
  return settleJob(
    () =>
      transcribe((event) => {
        if (event.type === "token") {
          const text = live.decode(pieces.tokenBytes(event.token), { stream: true });
          if (text || first) callbacks.onText(first ? text.trimStart() : text, first);
          first = false;
        } else if (event.type === "progress") {
          callbacks.onProgress(event.totalFrames ? event.doneFrames / event.totalFrames : null);
        }
      }),
    signal,
  );
}
