// `verbatim models list`: every catalog model (Whisper's, Parakeet's and Nemotron's, the packed names of Parakeet's and
// Nemotron's beside their model) with what it costs to download and to hold in memory, the languages it transcribes,
// whether it is downloaded and which one jobs use; then other downloaded models (any hub repository in the cache whose
// config describes a model); then the speaker models (who spoke when, for --speakers) and which one config
// speakerModel names.
import {
  catalogEntries,
  catalogEntryForRepo,
  findCatalogEntry,
  packedEntries,
  type CachedModel,
  type ModelStore,
} from "../models";
import { familyNamed } from "../families";
import { findSpeakerModel, SPEAKER_MODELS, speakerModelForRepo } from "../models/speaker-catalog";
import type { VerbatimPaths } from "../paths";
import { loadConfig } from "../service/config";

export function formatBytes(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${Math.round(bytes / 1e6)} MB`;
}

/**
 * The model jobs without --model use: config.json's "model", which the daemon starts with and `verbatim models use`
 * changes (a job's own --model does not); and the speaker model jobs with --speakers use, its "speakerModel".
 */
function modelsInUse(paths: VerbatimPaths): { model: string; speakerModel: string } {
  const { model, speakerModel } = loadConfig(paths.configFile).config;
  return { model, speakerModel };
}

/** A model name as the catalog names it (an alias or a catalog repository id), else as given. */
function catalogName(model: string): string {
  return findCatalogEntry(model)?.name ?? catalogEntryForRepo(model)?.name ?? model;
}

export async function listModels(store: ModelStore, paths: VerbatimPaths): Promise<string> {
  const all = await store.listModels();
  const cached = all.filter((model) => model.kind === "speech");
  const { model: inUse, speakerModel } = modelsInUse(paths);
  const used = catalogName(inUse);
  const byRepo = new Map<string, CachedModel>(all.map((model) => [model.repoId, model]));
  const entries = catalogEntries().flatMap((entry) => [entry, ...packedEntries(entry)]);
  const rows = entries.map((entry) => {
    const state = cacheState(byRepo.get(entry.repoId));
    return [
      entry.name === used ? "*" : " ",
      entry.name,
      familyNamed(entry.family).title,
      formatBytes(entry.downloadBytes),
      formatBytes(entry.memoryBytes),
      entry.languagesLabel,
      state,
    ];
  });
  const header = [" ", "MODEL", "FAMILY", "DOWNLOAD", "MEMORY", "LANGUAGES", "HERE"];
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => row[column].length)));
  const line = (row: string[]) =>
    row
      .map((cell, column) =>
        column === 3 || column === 4 ? cell.padStart(widths[column]) : cell.padEnd(widths[column]),
      )
      .join("  ")
      .trimEnd();
  const lines = [line(header), ...rows.map(line)];

  const others = cached.filter((model) => !catalogEntryForRepo(model.repoId));
  if (others.length > 0) {
    lines.push("", "Other downloaded models:");
    for (const model of others) {
      const size = formatBytes(model.sizeBytes).padStart(9);
      lines.push(
        `${model.repoId === inUse ? "*" : " "}${size}  ${model.repoId}${model.complete ? "" : "  (incomplete)"}`,
      );
    }
  }
  const listed = entries.some((entry) => entry.name === used) || others.some((m) => m.repoId === inUse);
  lines.push(
    "",
    listed
      ? "* in use by jobs without --model (verbatim models use NAME switches)"
      : `In use by jobs without --model: ${inUse} (verbatim models use NAME switches)`,
    "Sizes are about what a download takes and what its weights hold in memory; a Parakeet or Nemotron -8bit " +
      "or -4bit name is its model's download, packed when loaded.",
    "",
    ...speakerModelLines(speakerModel, byRepo),
  );
  return lines.join("\n") + "\n";
}

function cacheState(here: CachedModel | undefined): string {
  return here ? `${here.complete ? "downloaded" : "incomplete"}, ${formatBytes(here.sizeBytes)}` : "";
}

/** The speaker models: not speech models (no job transcribes with one); config speakerModel names the one --speakers uses. */
function speakerModelLines(configured: string, byRepo: Map<string, CachedModel>): string[] {
  const used = findSpeakerModel(configured)?.name ?? speakerModelForRepo(configured.trim())?.name;
  const lines = SPEAKER_MODELS.map((model) =>
    [
      model.name === used ? "*" : " ",
      model.name,
      `up to ${model.maxSpeakers} speakers`,
      formatBytes(model.downloadBytes),
      cacheState(byRepo.get(model.repoId)),
    ]
      .join("  ")
      .trimEnd(),
  );
  return [
    "Speaker models (who spoke when, for --speakers; not speech models):",
    ...lines,
    used
      ? `* jobs with --speakers use it (config.json's "speakerModel")`
      : `Jobs with --speakers use ${configured} (config.json's "speakerModel")`,
  ];
}
