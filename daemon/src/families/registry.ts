// The model families the daemon runs, by the name the engine gives each (Engine::family(), carried by the loaded
// model): the one place that lists them. A model's family is the engine's answer, never read from its files here.
import { loadModel, type AnyModel, type LoadOptions, type ModelFamilyName } from "@verbatim/native";
import { findCatalogEntry, DEFAULT_MODEL, type ResolvedModel } from "../models";
import type { FamilyKind, FamilyModel } from "./family";
import { NEMOTRON } from "./nemotron/nemotron-family";
import { PARAKEET } from "./parakeet/parakeet-family";
import { WHISPER } from "./whisper/whisper-family";

const FAMILIES: { [F in ModelFamilyName]: FamilyKind<AnyModel & { family: F }> } = {
  whisper: WHISPER,
  parakeet: PARAKEET,
  nemotron: NEMOTRON,
};

/** The family the engine names `name`. */
export function familyNamed(name: ModelFamilyName): FamilyKind<AnyModel> {
  return FAMILIES[name] as FamilyKind<AnyModel>;
}

/**
 * The encoder's positions for a second of audio (openai's audio input tokens) of a model of `family`; of the default
 * model's family when no model is loaded.
 */
export function audioTokensPerSecond(family: ModelFamilyName | undefined): number {
  return familyNamed(family ?? findCatalogEntry(DEFAULT_MODEL)!.family).audioTokensPerSecond;
}

/** Loads a resolved model folder into the engine, packed as its name asked (`-8bit`), and wraps it as its family. */
export async function loadFamilyModel(resolved: ResolvedModel, options: LoadOptions): Promise<FamilyModel> {
  const model = await loadModel(resolved.folder, { ...options, quantize: resolved.quantize }).promise;
  return familyNamed(model.family).wrap(model, resolved);
}
