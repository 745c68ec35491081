import { getHFHubCachePath } from "@huggingface/hub";

/** Where models come from and go to. */
export interface HubSettings {
  /** The hub's base URL, without a trailing slash. */
  hubUrl: string;
  /** The Hugging Face hub cache folder (the one holding `models--org--name`). */
  cacheDir: string;
  /** Use the cache only; never touch the network. */
  offline: boolean;
}

const DEFAULT_HUB_URL = "https://huggingface.co";

/**
 * The settings Python's `huggingface_hub` would use in this environment: `HF_ENDPOINT`, `HF_HUB_OFFLINE`, and
 * the cache folder from `HF_HUB_CACHE` / `HF_HOME` / `XDG_CACHE_HOME` (resolved by `@huggingface/hub`, which
 * does not read the other two).
 */
export function hubSettingsFromEnvironment(): HubSettings {
  const env = process.env;
  return {
    hubUrl: (env.HF_ENDPOINT || DEFAULT_HUB_URL).replace(/\/+$/, ""),
    cacheDir: getHFHubCachePath(),
    offline: isTrue(env.HF_HUB_OFFLINE),
  };
}

// The values huggingface_hub's `_is_true` accepts.
function isTrue(value: string | undefined): boolean {
  return value !== undefined && ["1", "ON", "YES", "TRUE"].includes(value.trim().toUpperCase());
}
