// The host boundary: Raycast's preferences and LocalStorage, adapted to the extension's logic modules.
import { getPreferenceValues, LocalStorage } from "@raycast/api";
import { socketPath } from "./lib/daemon-connection";
import { JobStore, type KeyValueStorage } from "./lib/job-store";
import type { VerbatimPreferences } from "./lib/preferences";

const raycastStorage: KeyValueStorage = {
  getItem: (key) => LocalStorage.getItem<string>(key),
  setItem: (key, value) => LocalStorage.setItem(key, value),
};

export const preferences = () => getPreferenceValues<VerbatimPreferences>();
export const daemonSocket = () => socketPath(preferences().socketPath);
export const jobStore = () => new JobStore(raycastStorage);
