// Loads a resolved model folder into the engine as its family, packed as its name asked (`parakeet-v3-8bit`): the
// engine reads config.json and says which family it is (Whisper's keys, or a NeMo config for Parakeet TDT); each
// family's daemon side wraps it (whisper-family.ts, parakeet-family.ts).
import { loadModel, ParakeetModel, type LoadOptions } from "@verbatim/native";
import { catalogEntryForRepo, type ResolvedModel } from "../models";
import type { FamilyModel } from "./model-family";
import { ParakeetFamily } from "./parakeet-family";
import { WhisperFamily } from "./whisper-family";

export async function loadFamilyModel(resolved: ResolvedModel, options: LoadOptions): Promise<FamilyModel> {
  const model = await loadModel(resolved.folder, { ...options, quantize: resolved.quantize }).promise;
  if (model instanceof ParakeetModel) {
    // A Parakeet model does not list its languages: its catalog entry does (a folder of its own: not known).
    const entry = resolved.repoId === undefined ? undefined : catalogEntryForRepo(resolved.repoId);
    return new ParakeetFamily(model, resolved.repoId ?? resolved.folder, entry?.languages ?? null);
  }
  return WhisperFamily.wrap(model);
}
