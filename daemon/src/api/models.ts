// Model names as OpenAI clients send them: OpenAI's names (whisper-1, gpt-4o-transcribe, …: model-aliases.ts) are
// the daemon's model; a downloaded model's repository id or alias switches the daemon's model as `--model` does. Nothing is downloaded for an API call. Models are named, never
// shown by their place on disk: a local folder is its base name.
import { statSync } from "node:fs";
import path from "node:path";
import { findCatalogEntry } from "../models/catalog-entries";
import { ApiError } from "./errors";
import { OPENAI_MODEL_ALIASES, openAiModelName } from "./model-aliases";
import type { ApiServices } from "./services";

export const DEFAULT_MODEL_NAME = "whisper-1";

/** A Hugging Face repository id, `org/name`. */
const REPOSITORY_ID = /^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/;

export interface ModelObject {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
}

/** OpenAI's names for the daemon's model, the model itself when it is a folder of its own, every complete downloaded model. */
export async function listModels(services: ApiServices): Promise<ModelObject[]> {
  const current = services.status().model;
  const cached = (await services.listModels()).filter((model) => model.complete);
  const models: ModelObject[] = OPENAI_MODEL_ALIASES.map((id) => ({
    id,
    object: "model",
    created: createdAt(current.folder),
    owned_by: "verbatim",
  }));
  if (!cached.some((model) => model.repoId === current.id)) {
    models.push({
      id: publicModelName(current.id),
      object: "model",
      created: createdAt(current.folder),
      owned_by: "local",
    });
  }
  for (const model of cached) {
    models.push({
      id: model.repoId,
      object: "model",
      created: createdAt(model.folder),
      owned_by: model.repoId.split("/")[0],
    });
  }
  return models;
}

/**
 * The job's `model` option for a requested name: undefined for the daemon's own model. Throws ApiError 404 for a
 * model not here.
 */
export async function modelOption(name: string, services: ApiServices): Promise<string | undefined> {
  const current = services.status().model.id;
  const openAi = openAiModelName(name);
  if (openAi.kind === "alias" || name === current || name === publicModelName(current)) return undefined;
  const repoId = findCatalogEntry(name)?.repoId ?? name;
  const cached = await services.listModels();
  if (cached.some((model) => model.complete && model.repoId === repoId)) return name;
  const download =
    findCatalogEntry(name) || name.includes("/") ? `, or download it first: verbatim models pull ${name}` : "";
  throw new ApiError(
    404,
    `The model "${name}" is not downloaded here. Use "${DEFAULT_MODEL_NAME}" for the daemon's model ` +
      `(${publicModelName(current)}), ` +
      `or one that GET /v1/models lists${download}`,
    "model_not_found",
    "model",
  );
}

/** The daemon's model (a name or folder as given to it) as clients see it: a folder by its base name, not its path. */
export function publicModelName(id: string): string {
  if (findCatalogEntry(id) || REPOSITORY_ID.test(id)) return id;
  return path.basename(id.replace(/[/\\]+$/, "")) || "local-model";
}

function createdAt(folder: string | null): number {
  if (!folder) return 0;
  try {
    return Math.floor(statSync(folder).mtimeMs / 1000);
  } catch {
    return 0;
  }
}
