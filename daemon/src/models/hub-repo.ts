/** What the hub says about a repository: the commit `main` points to and the model files at that commit. */
import { HubApiError, listFiles, modelInfo } from "@huggingface/hub";
import { ModelStoreError } from "./errors";
import { selectModelFiles, modelFileNames } from "./model-files";

export interface RemoteFile {
  repoId: string;
  commit: string;
  /** Path in the repository. */
  path: string;
  size: number;
  /** The blob's name in the cache: the sha256 of the content for LFS files, the git blob sha1 for the others. */
  etag: string;
  lfs: boolean;
}

export interface RemoteModel {
  repoId: string;
  commit: string;
  files: RemoteFile[];
}

export interface HubAccess {
  hubUrl: string;
  fetch: typeof fetch;
}

export const REVISION = "main";

/** The repository's model files at the head of `main`, or undefined when the hub has no such repository. */
export async function lookUpRemoteModel(repoId: string, hub: HubAccess): Promise<RemoteModel | undefined> {
  let commit: string;
  try {
    const info = await modelInfo({ name: repoId, revision: REVISION, additionalFields: ["sha"], ...hub });
    commit = info.sha;
  } catch (error) {
    // The hub answers 401 rather than 404 for a repository it does not show to anonymous users.
    if (error instanceof HubApiError && (error.statusCode === 404 || error.statusCode === 401)) return undefined;
    throw error;
  }

  const entries = new Map<string, RemoteFile>();
  for await (const entry of listFiles({ repo: { type: "model", name: repoId }, revision: commit, ...hub })) {
    if (entry.type !== "file") continue;
    const etag = entry.lfs?.oid ?? entry.oid;
    if (!etag) throw new Error(`the hub listed ${repoId}/${entry.path} without a hash`);
    entries.set(entry.path, {
      repoId,
      commit,
      path: entry.path,
      size: entry.lfs?.size ?? entry.size,
      etag,
      lfs: entry.lfs !== undefined,
    });
  }

  const selected = selectModelFiles(entries.keys());
  if (!("files" in selected)) {
    throw new ModelStoreError(
      "not-a-model",
      `${repoId} on the hub has no ${selected.missing}, so it is not a model in the MLX layout (Whisper or Parakeet). Choose another model.`,
    );
  }
  return { repoId, commit, files: modelFileNames(selected.files).map((name) => entries.get(name) as RemoteFile) };
}
