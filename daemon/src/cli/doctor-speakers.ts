// `verbatim doctor`'s speaker check: whether jobs with --speakers can tell speakers apart, that is whether the
// configured speaker model (config speakerModel) is loaded, or on disk ready to load, and what to do when not. Where
// it is looked for is the daemon's cache (its environment's), else this shell's; nothing is downloaded or loaded.
import { existsSync } from "node:fs";
import { ModelStore, ModelStoreError } from "../models";
import type { DaemonStatus } from "../protocol";
import type { VerbatimPaths } from "../paths";
import { DEFAULT_CONFIG, loadConfig } from "../service/config";
import { ok, warning, type Finding } from "./doctor-finding";

const CHECK = "speakers";
const SET_IT =
  'set "speakerModel" in config.json to nemotron-diarization, a hub repository id or a folder holding a Nemotron 3 ' +
  "Diarization model, then verbatim daemon restart";

export async function checkSpeakers(paths: VerbatimPaths, status: DaemonStatus | Error | null): Promise<Finding> {
  const running = status instanceof Error || status === null ? null : status;
  const configured =
    running?.speakerModel?.id ??
    (existsSync(paths.configFile) ? loadConfig(paths.configFile) : { config: DEFAULT_CONFIG }).config.speakerModel;
  const loaded = running?.speakerModel;
  if (loaded?.state === "ready") return ok(CHECK, `${configured} loaded (${loaded.folder}): --speakers is ready`);
  if (loaded?.error) return warning(CHECK, loaded.error, SET_IT);

  const store = new ModelStore({ ...running?.hub, offline: true });
  try {
    const { folder, repoId } = await store.resolveModel(configured);
    const where = repoId ? ` is downloaded (${folder})` : "";
    return ok(CHECK, `${configured}${where}: --speakers is ready (it loads on the first job with speakers)`);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (!(error instanceof ModelStoreError && error.code === "not-downloaded")) {
      return warning(
        CHECK,
        `--speakers cannot work: the speaker model ${configured} cannot be used. ${reason}`,
        SET_IT,
      );
    }
    const offline = running?.hub?.offline ?? store.settings.offline;
    const pull = `verbatim models pull ${configured}`;
    return warning(
      CHECK,
      `--speakers is not ready: the speaker model ${configured} (config speakerModel) is not downloaded`,
      offline
        ? `${pull} in a shell without HF_HUB_OFFLINE (${running ? "verbatimd runs with it set" : "it is set here"}, so no job downloads it)`
        : `${pull} (or the first job with --speakers downloads it)`,
    );
  }
}
