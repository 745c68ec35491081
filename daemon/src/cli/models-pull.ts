// `verbatim models pull ID [--quantize 8bit|4bit]`: downloads a model into the Hugging Face cache with progress,
// checking every cached file against the hub. A Parakeet or Nemotron model is packed when the engine loads it, not on
// disk: --quantize downloads the model as it is and names the catalog name that loads it packed (`parakeet-v3-8bit`,
// `nemotron-3.5-4bit`).
import {
  catalogEntries,
  catalogEntryForRepo,
  findCatalogEntry,
  packedEntries,
  parseCatalogName,
  type CatalogEntry,
  type ModelStore,
} from "../models";
import { catalogModelForRepo } from "../models/catalog";
import { PACKINGS, type Packing } from "../models/packing";
import { EXIT, UsageError } from "./exit-codes";
import { ProgressBar } from "./progress-bar";

export async function pullModel(store: ModelStore, name: string, quantize: string | undefined): Promise<number> {
  const packed = quantize === undefined ? undefined : packedModel(name, quantize);
  const progress = new ProgressBar();
  const resolved = await store.resolveModel(name, {
    verify: true,
    onProgress: (p) =>
      progress.update(
        p.file,
        p.totalBytes ? p.downloadedBytes / p.totalBytes : null,
        `${(p.bytesPerSecond / 1e6).toFixed(1)} MB/s`,
      ),
  });
  progress.clear();
  if (resolved.notice) process.stderr.write(`verbatim: ${resolved.notice}\n`);
  process.stdout.write(`${resolved.repoId ?? name} is ready in ${resolved.folder}\n`);
  if (packed) {
    process.stdout.write(
      `Use ${packed.name} to load it packed to ${Number.parseInt(quantize!)} bits: verbatim models use ` +
        `${packed.name}, or --model ${packed.name} for one job.\n`,
    );
  }
  return EXIT.ok;
}

/**
 * The catalog model that loads the Parakeet or Nemotron model `name` (a name or its repository id) packed. A usage
 * error for another packing, a Whisper model (its packings are downloads of their own) or a model outside the catalog.
 */
function packedModel(name: string, quantize: string): CatalogEntry {
  if (!PACKINGS.includes(quantize as Packing)) {
    throw new UsageError(`--quantize must be ${PACKINGS.join(" or ")}`);
  }
  const whisper = parseCatalogName(name) ?? catalogModelForRepo(name);
  if (whisper) {
    throw new UsageError(
      `--quantize is for Parakeet and Nemotron models: Whisper models come packed, each packing a download of its ` +
        `own. Pull ${whisper.size}-8bit or ${whisper.size}-4bit instead.`,
    );
  }
  const model = findCatalogEntry(name) ?? catalogEntryForRepo(name);
  if (!model) {
    throw new UsageError(
      `--quantize takes a Parakeet or Nemotron catalog model (${packableNames().join(", ")}), not ${name}. A folder ` +
        `of your own in their layout is packed when its config.json says "quantize": "${quantize}".`,
    );
  }
  if (model.quantize) {
    if (model.quantize === quantize) return model;
    throw new UsageError(`${name} already names the ${model.quantize} packing, and --quantize ${quantize} another`);
  }
  return packedEntries(model).find((packed) => packed.quantize === quantize)!;
}

/** The catalog names --quantize takes: those with packed names. */
function packableNames(): string[] {
  return catalogEntries()
    .filter((entry) => packedEntries(entry).length > 0)
    .map((entry) => entry.name);
}
