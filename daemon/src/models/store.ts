/**
 * The model store: resolves a model name to a folder the engine can load, downloading mlx-community repositories
 * into the standard Hugging Face cache (shared with Python's huggingface_hub and MLX tools) when needed.
 */
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { type HFCacheInfo, scanCacheDir } from "@huggingface/hub";
import { modelFamilyOf, ModelFormatError } from "@verbatim/native";
import {
  blobPath,
  fileSize,
  findCompleteSnapshot,
  isMissing,
  linkSnapshotFile,
  linksTo,
  locksFolder,
  readRef,
  repoFolder,
  snapshotFolder,
  writeRef,
} from "./cache-layout";
import { catalogEntryForRepo } from "./catalog-entries";
import { blobMatches, downloadBlob } from "./blob-download";
import { describeCause, diskProblem, ModelStoreError } from "./errors";
import { type HubSettings, hubSettingsFromEnvironment } from "./hub-settings";
import { type HubAccess, lookUpRemoteModel, type RemoteModel, REVISION } from "./hub-repo";
import type { Packing } from "./packing";
import { modelFilesStamp } from "./files-stamp";
import { speakerModelForRepo } from "./speaker-catalog";
import { checkModelFolder, interpretModelName } from "./model-reference";
import type { ProgressListener } from "./progress";

export interface ResolveOptions {
  /** Use the cache only (default: the store's setting, from HF_HUB_OFFLINE). */
  offline?: boolean;
  /** Ask the hub for a newer commit even when the model is already in the cache. */
  refresh?: boolean;
  /**
   * Ask the hub, and check every cached file against what it lists (size, and the sha256 of LFS files or the git
   * blob id of the others, which reads each file once); fetch again whatever does not match.
   */
  verify?: boolean;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

export interface ResolvedModel {
  /** Absolute path of the folder holding config.json and the weights (a cache snapshot or a local folder). */
  folder: string;
  /** The hub repository; absent for a local folder. */
  repoId?: string;
  /** The commit of the snapshot; absent for a local folder. */
  revision?: string;
  /** The packing the name asks the engine for when it loads the folder (`parakeet-v3-8bit`: "8bit"). */
  quantize?: Packing;
  /** Set when the model is not exactly the one asked for, saying which one is used instead and why. */
  notice?: string;
}

export interface CachedModel {
  repoId: string;
  /** The catalog name (e.g. `large-v3-turbo-4bit`) when the repository is a catalog model. */
  name?: string;
  /** A speech model transcribes; a speaker model (the speaker catalog's) tells who spoke when. */
  kind: "speech" | "speakers";
  /** Whether a complete model (config and weights) is on disk, ready to load offline. */
  complete: boolean;
  /** The complete snapshot's folder and commit, when there is one. */
  folder?: string;
  revision?: string;
  /** Bytes of the files in the repository's snapshots. */
  sizeBytes: number;
  lastUsedAt: Date;
}

/**
 * Whose environment the settings come from, for messages that name one: a command's own (its shell's), or verbatimd's
 * (the environment it was started in, which the shell that asks may not share).
 */
export type StoreOwner = "command" | "daemon";

export class ModelStore {
  readonly settings: HubSettings;
  /** Per repository, the settling of the last operation on it: operations on one repository run one at a time. */
  private readonly busyRepos = new Map<string, Promise<void>>();

  constructor(
    settings: Partial<HubSettings> = {},
    private readonly owner: StoreOwner = "command",
  ) {
    this.settings = { ...hubSettingsFromEnvironment(), ...settings };
  }

  /** What the files behind `name` look like now (files-stamp.ts): it changes when they do. */
  filesStamp(name: string): Promise<string> {
    return modelFilesStamp(name, this.settings.cacheDir);
  }

  async resolveModel(name: string, options: ResolveOptions = {}): Promise<ResolvedModel> {
    const reference = await interpretModelName(name);
    if (reference.kind === "folder") {
      await checkModelFolder(reference.path);
      return { folder: reference.path };
    }
    const candidates =
      reference.kind === "catalog" ? [reference.model.repoId, ...reference.model.fallbacks] : [reference.repoId];
    const quantize = reference.kind === "catalog" ? reference.model.quantize : reference.quantize;
    const offline = options.offline ?? this.settings.offline;

    const unavailable: string[] = [];
    for (const repoId of candidates) {
      const resolved = await this.exclusively(repoId, () => this.resolveRepo(repoId, offline, options));
      if (resolved) {
        return {
          ...resolved,
          ...(quantize && { quantize }),
          ...(unavailable.length > 0 && { notice: this.substitutionNotice(unavailable, repoId, offline) }),
        };
      }
      unavailable.push(repoId);
    }
    throw offline
      ? new ModelStoreError("not-downloaded", this.offlineMessage(candidates[0], name))
      : new ModelStoreError(
          "not-on-hub",
          `${listed(unavailable)} ${unavailable.length > 1 ? "are" : "is"} not on the Hugging Face Hub at ` +
            `${this.settings.hubUrl} (or private). Check the name, or use a catalog name like large-v3-turbo.`,
        );
  }

  /**
   * The models in the cache: catalog repositories (speech and speaker models), and others whose config.json describes
   * a speech model the engine runs.
   */
  async listModels(): Promise<CachedModel[]> {
    let cache: HFCacheInfo;
    try {
      cache = await scanCacheDir(this.settings.cacheDir);
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
    const models: CachedModel[] = [];
    for (const repo of cache.repos) {
      if (repo.id.type !== "model") continue;
      const repoId = repo.id.name;
      const snapshot = await findCompleteSnapshot(repo.path, REVISION);
      const revision = snapshot?.commit ?? (await readRef(repo.path, REVISION));
      const speakers = speakerModelForRepo(repoId);
      const catalogName = catalogEntryForRepo(repoId)?.name ?? speakers?.name;
      // An incomplete or damaged model is still listed (as incomplete) when its config describes a model.
      const folder = snapshot?.folder ?? (revision ? snapshotFolder(repo.path, revision) : undefined);
      if (!catalogName && !(folder && holdsModel(folder))) continue;
      models.push({
        repoId,
        name: catalogName,
        kind: speakers ? "speakers" : "speech",
        complete: snapshot !== undefined,
        folder: snapshot?.folder,
        revision,
        sizeBytes: repo.size,
        lastUsedAt: repo.lastAccessedAt,
      });
    }
    return models.sort((a, b) => a.repoId.localeCompare(b.repoId));
  }

  /** Deletes a downloaded model (every revision of its repository) from the cache. */
  async removeModel(name: string): Promise<{ repoId: string; freedBytes: number }> {
    const reference = await interpretModelName(name);
    if (reference.kind === "folder") {
      throw new ModelStoreError(
        "unknown-model",
        `${reference.path} is a local folder, not a downloaded model; the store only removes what it downloaded.`,
      );
    }
    const repoId = reference.kind === "catalog" ? reference.model.repoId : reference.repoId;
    if (this.busyRepos.has(repoId)) {
      throw new ModelStoreError("busy", `${repoId} is being downloaded. Cancel the download first, then remove it.`);
    }
    const folder = repoFolder(this.settings.cacheDir, repoId);
    const freedBytes = await blobsSize(folder);
    if (freedBytes === undefined) {
      throw new ModelStoreError("not-downloaded", `${repoId} is not downloaded, so there is nothing to remove.`);
    }
    await rm(folder, { recursive: true, force: true });
    await rm(locksFolder(this.settings.cacheDir, repoId), { recursive: true, force: true });
    return { repoId, freedBytes };
  }

  /**
   * Why `repoId` (asked for as `name`) cannot be had offline, and what to do: the daemon's HF_HUB_OFFLINE is the
   * environment it started in, which unsetting it in a shell does not change, so the daemon says where to download it.
   */
  private offlineMessage(repoId: string, name: string): string {
    if (this.owner === "command") {
      return (
        `The model ${repoId} is not downloaded and HF_HUB_OFFLINE is set. ` +
        `Download it while online (unset HF_HUB_OFFLINE), or choose a model that is already downloaded.`
      );
    }
    return (
      `The model ${repoId} is not downloaded, and verbatimd runs with HF_HUB_OFFLINE set (where it was started), ` +
      `so it downloads nothing: download it with \`verbatim models pull ${name}\` in a shell without ` +
      `HF_HUB_OFFLINE, or choose a model that is already downloaded.`
    );
  }

  private substitutionNotice(unavailable: string[], used: string, offline: boolean): string {
    const are = unavailable.length > 1 ? "are" : "is";
    const offlineWhere = this.owner === "daemon" ? "verbatimd runs with HF_HUB_OFFLINE set" : "HF_HUB_OFFLINE is set";
    const reason = offline ? `${are} not downloaded and ${offlineWhere}` : `${are} not on the hub`;
    return `${listed(unavailable)} ${reason}; using ${used} instead.`;
  }

  private async resolveRepo(
    repoId: string,
    offline: boolean,
    options: ResolveOptions,
  ): Promise<ResolvedModel | undefined> {
    const folder = repoFolder(this.settings.cacheDir, repoId);
    if (offline || !(options.refresh || options.verify)) {
      const cached = await findCompleteSnapshot(folder, REVISION);
      if (cached) return { folder: cached.folder, repoId, revision: cached.commit };
    }
    if (offline) return undefined;

    throwIfCancelled(options.signal, repoId);
    const hub = this.hubAccess(options.signal);
    let remote: RemoteModel | undefined;
    try {
      remote = await lookUpRemoteModel(repoId, hub);
    } catch (error) {
      if (error instanceof ModelStoreError) throw error;
      throwIfCancelled(options.signal, repoId);
      throw new ModelStoreError(
        "network",
        `Could not reach the Hugging Face Hub at ${this.settings.hubUrl} to look up ${repoId} ` +
          `(${describeCause(error)}). Check the network connection, or set HF_HUB_OFFLINE=1 to use downloaded models only.`,
        { cause: error },
      );
    }
    if (!remote) return undefined;
    try {
      return { folder: await this.download(remote, hub, options), repoId, revision: remote.commit };
    } catch (error) {
      throw diskProblem(error, this.settings.cacheDir) ?? error;
    }
  }

  /** Brings the remote model's files into the cache and returns its snapshot folder. */
  private async download(remote: RemoteModel, hub: HubAccess, options: ResolveOptions): Promise<string> {
    const folder = repoFolder(this.settings.cacheDir, remote.repoId);
    const snapshot = snapshotFolder(folder, remote.commit);
    // huggingface_hub records the ref before fetching the files, so a listing shows the model as incomplete
    // meanwhile (the cache scan rejects a ref without its snapshot folder).
    await mkdir(snapshot, { recursive: true });
    await writeRef(folder, REVISION, remote.commit);
    for (const file of remote.files) {
      const link = join(snapshot, file.path);
      const blob = blobPath(folder, file.etag);
      const intact = await blobMatches(file, blob, options.verify ?? false);
      if (intact && (await linksTo(link, blob))) continue;
      if (!intact) {
        // A damaged blob is not a partial download to continue: fetch it whole.
        await rm(blob, { force: true });
        await downloadBlob(file, blob, { ...hub, signal: options.signal, onProgress: options.onProgress });
      }
      await linkSnapshotFile(link, blob);
    }
    return snapshot;
  }

  private hubAccess(signal: AbortSignal | undefined): HubAccess {
    const fetchWithSignal: typeof fetch = (input, init) =>
      fetch(input, {
        ...init,
        signal: signal && init?.signal ? AbortSignal.any([signal, init.signal]) : (signal ?? init?.signal),
      });
    return { hubUrl: this.settings.hubUrl, fetch: fetchWithSignal };
  }

  private async exclusively<T>(repoId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.busyRepos.get(repoId) ?? Promise.resolve();
    const run = previous.then(task);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.busyRepos.set(repoId, settled);
    try {
      return await run;
    } finally {
      if (this.busyRepos.get(repoId) === settled) this.busyRepos.delete(repoId);
    }
  }
}

function throwIfCancelled(signal: AbortSignal | undefined, repoId: string): void {
  if (signal?.aborted) throw new ModelStoreError("cancelled", `The download of ${repoId} was canceled.`);
}

function listed(names: string[]): string {
  return names.length > 1 ? `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}` : names[0];
}

/** Whether the folder holds a model of a family the engine runs, as the engine's own config test says. */
function holdsModel(folder: string): boolean {
  try {
    modelFamilyOf(folder);
    return true;
  } catch (error) {
    if (error instanceof ModelFormatError) return false;
    throw error;
  }
}

/** Bytes under blobs/ (partial downloads included), or undefined when the repository is not in the cache. */
async function blobsSize(folder: string): Promise<number | undefined> {
  try {
    await stat(folder);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
  let names: string[];
  try {
    names = await readdir(join(folder, "blobs"));
  } catch (error) {
    if (isMissing(error)) return 0;
    throw error;
  }
  const sizes = await Promise.all(names.map(async (name) => (await fileSize(join(folder, "blobs", name))) ?? 0));
  return sizes.reduce((sum, size) => sum + size, 0);
}
