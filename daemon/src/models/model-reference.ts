/** What a model name given by a person refers to: a folder on disk, a catalog name, or a hub repository id. */
import { readdir, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { type CatalogEntry, findCatalogEntry } from "./catalog-entries";
import { isMissing } from "./cache-layout";
import { ModelStoreError } from "./errors";
import type { Packing } from "./packing";
import { findSpeakerModel } from "./speaker-catalog";
import { irregularKind } from "../file-kind";
import { CONFIG_FILE, type ModelFiles, modelFileNames, selectModelFiles } from "./model-files";

export type ModelReference =
  | { kind: "folder"; path: string }
  | { kind: "catalog"; model: CatalogEntry }
  /** `quantize`: a speaker catalog name's packing (`nemotron-diarization-8bit`). */
  | { kind: "repo"; repoId: string; quantize?: Packing };

const REPO_ID = /^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/;

/**
 * Paths that are spelled as paths (`/…`, `./…`, `~/…`) are folders. Otherwise catalog names come first (a speaker
 * model's stands for its repository), then a folder of that name holding a config.json (relative to `cwd`), then
 * `org/name` repository ids.
 */
export async function interpretModelName(name: string, cwd: string = process.cwd()): Promise<ModelReference> {
  const trimmed = name.trim();
  if (isSpelledAsPath(trimmed)) return { kind: "folder", path: resolve(cwd, expandHome(trimmed)) };

  const model = findCatalogEntry(trimmed);
  if (model) return { kind: "catalog", model };
  const speakers = findSpeakerModel(trimmed);
  if (speakers) return { kind: "repo", repoId: speakers.repoId, quantize: speakers.quantize };

  const asFolder = resolve(cwd, trimmed);
  if (await isFile(join(asFolder, CONFIG_FILE))) return { kind: "folder", path: asFolder };

  if (REPO_ID.test(trimmed)) return { kind: "repo", repoId: trimmed };

  throw new ModelStoreError(
    "unknown-model",
    `"${name}" is not a model name, a Hugging Face repository id (org/name) or a model folder. ` +
      `Use a name like large-v3-turbo, small.en-8bit, tiny-fp16 or parakeet-v3, a repository id like ` +
      `mlx-community/whisper-small-mlx or mlx-community/parakeet-tdt-0.6b-v3, or the path of a folder holding ` +
      `config.json and the weights.`,
  );
}

/** Checks that a folder holds a model and returns its files. */
export async function checkModelFolder(path: string): Promise<ModelFiles> {
  let names: string[];
  try {
    names = await readdir(path);
  } catch (error) {
    if (!isMissing(error)) throw error;
    throw new ModelStoreError("unknown-model", `The model folder ${path} does not exist. Check the path.`);
  }
  const selected = selectModelFiles(names);
  if (!("files" in selected)) {
    throw new ModelStoreError(
      "not-a-model",
      `The folder ${path} has no ${selected.missing}, so it is not a model in the MLX layout. Point to a folder ` +
        `with config.json and weights.safetensors (or weights.npz) for Whisper, config.json and model.safetensors ` +
        `for Parakeet.`,
    );
  }
  for (const name of modelFileNames(selected.files)) await refuseIrregular(join(path, name));
  return selected.files;
}

/**
 * A model file must be a regular file (a link to one counts): loading a named pipe or a device would block until
 * something writes to it, and the switch with it.
 */
async function refuseIrregular(file: string): Promise<void> {
  let stats;
  try {
    stats = await stat(file);
  } catch (error) {
    if (!isMissing(error)) throw error;
    throw new ModelStoreError("not-a-model", `${file} is a link to a file that is gone. Download the model again.`);
  }
  const what = irregularKind(stats);
  if (what === null) return;
  throw new ModelStoreError(
    "not-a-model",
    `${file} is not a file but ${what}: Verbatim loads models only from regular files. Copy the model's files ` +
      `into a folder of their own and switch to that folder.`,
  );
}

function isSpelledAsPath(name: string): boolean {
  return isAbsolute(name) || /^(\.{1,2}|~)([/\\]|$)/.test(name);
}

function expandHome(path: string): string {
  return path === "~" || path.startsWith("~/") ? join(homedir(), path.slice(1)) : path;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}
