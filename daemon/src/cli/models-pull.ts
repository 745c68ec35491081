// `verbatim models pull ID [--quantize 8bit|4bit]`: downloads a model into the Hugging Face cache with progress,
// checking every cached file against the hub. A Parakeet model is packed when the engine loads it, not on disk:
// --quantize downloads the model as it is and names the catalog name that loads it packed (`parakeet-v3-8bit`).
import { type ModelStore, parseCatalogName } from "../models";
import { catalogModelForRepo } from "../models/catalog";
import {
  packedParakeetModel,
  PARAKEET_MODELS,
  PARAKEET_PACKINGS,
  parakeetModelForRepo,
  parseParakeetName,
  type ParakeetCatalogModel,
  type ParakeetPacking,
} from "../models/parakeet-catalog";
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
 * The catalog model that loads the Parakeet model `name` (a name or its repository id) packed. A usage error for
 * another packing, a Whisper model (its packings are downloads of their own) or a model outside the catalog.
 */
function packedModel(name: string, quantize: string): ParakeetCatalogModel {
  if (!PARAKEET_PACKINGS.includes(quantize as ParakeetPacking)) {
    throw new UsageError(`--quantize must be ${PARAKEET_PACKINGS.join(" or ")}`);
  }
  const whisper = parseCatalogName(name) ?? catalogModelForRepo(name);
  if (whisper) {
    throw new UsageError(
      `--quantize is for Parakeet models: Whisper models come packed, each packing a download of its own. ` +
        `Pull ${whisper.size}-8bit or ${whisper.size}-4bit instead.`,
    );
  }
  const parakeet = parseParakeetName(name) ?? parakeetModelForRepo(name);
  if (!parakeet) {
    throw new UsageError(
      `--quantize takes a Parakeet catalog model (${PARAKEET_MODELS.map((model) => model.name).join(", ")}), ` +
        `not ${name}. A Parakeet folder of your own is packed when its config.json says "quantize": "${quantize}".`,
    );
  }
  if (parakeet.packing && parakeet.packing !== quantize) {
    throw new UsageError(`${name} already names the ${parakeet.packing} packing, and --quantize ${quantize} another`);
  }
  return parakeet.packing ? parakeet : packedParakeetModel(parakeet, quantize as ParakeetPacking);
}
