// What a job asks of a model that it cannot do is refused (unsupported, a client's error) rather than quietly done
// otherwise or failing in the engine: translation by a model that cannot translate, a language outside the model's,
// a prompt or Whisper's decoding options on a model without them. Each refusal says what to do instead, naming a model
// that can. The model's capabilities decide; this module only words the refusals.
import { DEFAULT_MODEL, findCatalogEntry } from "../models";
import { DECODING_OPTION_NAMES, ProtocolError, type ModelCapabilities, type TranscriptionOptions } from "../protocol";
import { languageName, unknownLanguage } from "../tokenizer";

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
export function checkSupported(active: ModelUnderCheck, options: TranscriptionOptions): void {
  const { capabilities } = active.model;
  const refuse = (message: string) => {
    throw new ProtocolError("unsupported", message);
  };
  if (options.task === "translate" && !capabilities.translate) refuse(cannotTranslate(active.id, capabilities));
  if (options.language !== undefined) {
    const problem = languageProblem(active.id, capabilities, options.language);
    if (problem) refuse(problem);
  }
  if (!capabilities.prompt && options.prompt !== undefined) {
    refuse(
      `${active.id} is ${familyNoun(capabilities)}, which has no decoder prompt to take a prompt; leave the prompt ` +
        `out, or use ${DEFAULT_MODEL} (a Whisper model) for it`,
    );
  }
  if (!capabilities.decodingOptions) {
    const option = whisperDecodingOption(options);
    if (option) {
      refuse(
        `${active.id} is ${familyNoun(capabilities)}, which decodes greedily: ${option} is one of Whisper's decoding ` +
          `options; leave it out, or use ${DEFAULT_MODEL} (a Whisper model) for it`,
      );
    }
  }
}

/** Throws ProtocolError "unsupported" when the model has no live dictation. */
export function checkStreaming(active: ModelUnderCheck): void {
  if (active.model.capabilities.streaming) return;
  throw new ProtocolError(
    "unsupported",
    `${active.id} is ${familyNoun(active.model.capabilities)}, which has no live dictation yet; dictate with ` +
      `${DEFAULT_MODEL} (a Whisper model), or transcribe a recording with ${active.id}`,
  );
}

function familyNoun(capabilities: ModelCapabilities): string {
  return capabilities.family === "parakeet" ? "a Parakeet model" : "a Whisper model";
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

function englishOnly(capabilities: ModelCapabilities): boolean {
  return capabilities.languages?.length === 1 && capabilities.languages[0] === "en";
}

function cannotTranslate(id: string, capabilities: ModelCapabilities): string {
  if (capabilities.family === "whisper") {
    return (
      `${id} is an English-only model and cannot translate; use a multilingual model (such as large-v3 or small) ` +
      'for task "translate", or task "transcribe"'
    );
  }
  return (
    `${id} is ${familyNoun(capabilities)} and cannot translate; use ${DEFAULT_MODEL} (a multilingual Whisper model) ` +
    'for task "translate", or task "transcribe"'
  );
}

/** Why the model cannot take `language`, or null when it can. */
function languageProblem(id: string, capabilities: ModelCapabilities, language: string): string | null {
  const known = capabilities.languages;
  if (known?.includes(language)) return null;
  const unknown = unknownLanguage(language);
  if (unknown) return unknown;
  const named = `"${language}" (${languageName(language)})`;
  if (capabilities.family === "whisper") {
    return englishOnly(capabilities)
      ? `${id} is an English-only model and cannot transcribe ${named}; use a multilingual model (such as ` +
          'large-v3 or small) for it, or language "en"'
      : `${id} was not trained on the language ${named}; use a model that was (large-v3 knows the most), or no ` +
          "language, to have it detected";
  }
  // The other catalog models of the family that transcribe it, then Whisper's default.
  const others = ["parakeet-v3"].filter((name) => name !== id && findCatalogEntry(name)?.languages?.includes(language));
  const instead = `use ${[...others, `${DEFAULT_MODEL} (a Whisper model)`].join(" or ")} for it`;
  if (known === null) {
    return (
      `${id} is ${familyNoun(capabilities)} whose languages are not known (its folder is not a catalog model), so ` +
      `it cannot be asked for ${named}; leave the language out (the model recognizes its languages itself), or ` +
      instead
    );
  }
  const which = englishOnly(capabilities)
    ? "an English-only model"
    : `${familyNoun(capabilities)} of ${known.length} languages`;
  return `${id} is ${which} and cannot transcribe ${named}; ${instead}, or leave the language out`;
}
