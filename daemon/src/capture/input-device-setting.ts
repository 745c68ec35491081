// The microphone config.json names ("inputDevice"), as the capture process reads it: without the daemon's config
// module, which loads most of the daemon. A config.json that cannot be used, or an inputDevice that is not a name or
// index, means the system's input (the daemon reports such a config.json; service/config.ts holds the rule).
import { readConfigTextSync } from "../config-file/config-file-read";

export function configuredInputDevice(configFile: string): string | undefined {
  try {
    const text = readConfigTextSync(configFile);
    const value: unknown = text === null ? undefined : (JSON.parse(text) as Record<string, unknown>)?.inputDevice;
    return typeof value === "string" && value.trim().length > 0 ? value : undefined;
  } catch {
    return undefined; // unreadable or not JSON: the daemon says what is wrong with it
  }
}
