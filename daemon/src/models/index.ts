export { ModelStore, type CachedModel, type ResolvedModel, type ResolveOptions, type StoreOwner } from "./store";
export { ModelStoreError, type ModelStoreErrorCode } from "./errors";
export { type HubSettings, hubSettingsFromEnvironment } from "./hub-settings";
export type { DownloadProgress, ProgressListener } from "./progress";
export {
  catalogModels,
  DEFAULT_MODEL,
  DEFAULT_QUANTIZATION,
  parseCatalogName,
  QUANTIZATIONS,
  WHISPER_SIZES,
  type CatalogModel,
  type Quantization,
  type WhisperSize,
} from "./catalog";
export {
  catalogEntries,
  catalogEntryForRepo,
  findCatalogEntry,
  packedEntries,
  type CatalogEntry,
} from "./catalog-entries";
