import type { KeyValueStorage } from "../src/lib/job-store";

/** LocalStorage's contract on a Map, standing in for Raycast's storage at the host boundary. */
export class MemoryStorage implements KeyValueStorage {
  readonly items = new Map<string, string>();
  async getItem(key: string) {
    return this.items.get(key);
  }
  async setItem(key: string, value: string) {
    this.items.set(key, value);
  }
}
