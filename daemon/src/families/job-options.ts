// A job's options checked once, here, against the loaded model's capabilities: what a job asks of a model that it
// cannot do is refused (unsupported, a client's error) rather than quietly done otherwise or failing in the engine:
// translation by a model that cannot translate, a language outside the model's, a prompt or Whisper's decoding
// options on a model without them. Each refusal says what to do instead, naming a model that can; the model's family
// words its own (registry.ts). The edges check only a request's shape (a language is a code at all).
import { DEFAULT_MODEL } from "../models";
import { DECODING_OPTION_NAMES, ProtocolError, type ModelCapabilities, type TranscriptionOptions } from "../protocol";
import { languageName, unknownLanguage } from "../tokenizer";
import { familyNamed } from "./registry";

/** The loaded model as a refusal names it. */
export interface ModelUnderCheck {
  id: string;
  model: { capabilities: ModelCapabilities };
}

/**
 * Throws ProtocolError "unsupported" for the first thing `options` asks that the model cannot do. Options that equal
 * what a model without Whisper's decoding options does anyway (greedy decoding: temperature 0, beamSize and bestOf 1)
 * are taken.
 */
export function checkJobOptions(active: ModelUnderCheck, options: TranscriptionOptions): void {
  const { capabilities } = active.model;
  const family = familyNamed(capabilities.family);
  const refuse = (message: string) => {
    throw new ProtocolError("unsupported", message);
  };
  if (options.task === "translate" && !capabilities.translate) refuse(family.cannotTranslate(active.id, capabilities));
  if (options.language !== undefined) {
    const problem = languageProblem(active.id, capabilities, options.language);
    if (problem) refuse(problem);
  }
  if (!capabilities.prompt && !capabilities.boosting && options.prompt !== undefined) {
    refuse(
      `${active.id} is a ${family.title} model, which has no decoder prompt to take a prompt; leave the prompt ` +
        `out, or use ${DEFAULT_MODEL} (a Whisper model) for it`,
    );
  }
  if (!capabilities.decodingOptions) {
    const option = whisperDecodingOption(options);
    if (option) {
      refuse(
        `${active.id} is a ${family.title} model, which decodes greedily: ${option} is one of Whisper's decoding ` +
          `options; leave it out, or use ${DEFAULT_MODEL} (a Whisper model) for it`,
      );
    }
  }
}

/** Throws ProtocolError "unsupported" when the model has no live dictation. */
export function checkStreaming(active: ModelUnderCheck): void {
  const { capabilities } = active.model;
  if (capabilities.streaming) return;
  throw new ProtocolError(
    "unsupported",
    `${active.id} is a ${familyNamed(capabilities.family).title} model, which has no live dictation yet; dictate ` +
      `with ${DEFAULT_MODEL} (a Whisper model), or transcribe a recording with ${active.id}`,
  );
}

/** The Whisper option a job sets that does more than greedy decoding, named as the protocol names it; else null. */
function whisperDecodingOption(options: TranscriptionOptions): string | null {
  if (options.temperature !== undefined && options.temperature !== 0) return "temperature";
  if (options.beamSize !== undefined && options.beamSize !== 1) return "beamSize";
  if (options.bestOf !== undefined && options.bestOf !== 1) return "bestOf";
  for (const name of DECODING_OPTION_NAMES) {
    if (name !== "beamSize" && name !== "bestOf" && options[name] !== undefined) return name;
  }
  if ((options.clipTimestamps?.length ?? 0) > 0) return "clipTimestamps";
  if (options.hallucinationSilenceThreshold !== undefined) return "hallucinationSilenceThreshold";
  return null;
}

/** Why the model cannot take `language`, or null when it can. */
function languageProblem(id: string, capabilities: ModelCapabilities, language: string): string | null {
  if (capabilities.languages?.includes(language)) return null;
  const unknown = unknownLanguage(language);
  if (unknown) return unknown;
  const named = `"${language}" (${languageName(language)})`;
  return familyNamed(capabilities.family).cannotTranscribe(id, capabilities, language, named);
}
