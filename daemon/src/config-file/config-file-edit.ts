// Edits of config.json by the daemon (the vocabulary, the modes, the HTTP API's settings) that never lose a hand
// edit landing at the same moment. The new text is built from the file as read and written beside it; just before
// it replaces the file, the file is read again: if it changed meanwhile (a person saved it), the edit is made again
// on their version. The file compared stays open through the replacement, so an editor that writes into it in place
// right after the comparison is seen too: what it changed (top-level members) is then written into the file as it
// now is.
// A file caught half-written is read again until it is whole. It is read as config-file-read allows: a regular file
// of a bounded size.
import type { FileHandle } from "node:fs/promises";
import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { removeTopLevelMember, setTopLevelMember } from "./json-member-edit";
import { ConfigReadError, openConfigFile, readOpenConfigFile } from "./config-file-read";

/** The config file's text and the object it holds. */
export interface ConfigFileText {
  text: string;
  values: Record<string, unknown>;
}

/** The config file cannot be read, parsed or written (the message says what to do). */
export class ConfigFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigFileError";
  }
}

/** How often, and how far apart, a file that does not parse is read again (it may be being saved). */
const SETTLE_TRIES = 50;
const SETTLE_MS = 4;
/** How many times an edit is made again on a file that keeps changing under it before it gives up. */
const MAX_ROUNDS = 20;

/** The file's text and values; null when there is none. A half-written file is read again until it parses. */
export async function readConfigFile(file: string): Promise<ConfigFileText | null> {
  for (let tries = 1; ; tries++) {
    const text = await readText(file);
    if (text === null) return null;
    const parsed = parse(file, text);
    if (!(parsed instanceof ConfigFileError)) return parsed;
    if (tries >= SETTLE_TRIES) throw parsed;
    await pause(SETTLE_MS);
  }
}

/** A top-level member someone set (or removed: undefined) in a file this edit replaced. */
interface Change {
  key: string;
  value: unknown;
}

/** The edits of each file under way in this process: the next waits for the one before it. */
const editing = new Map<string, Promise<unknown>>();

/**
 * Replaces the file by the text `build` makes of it (given null when there is none), atomically, and returns
 * `build`'s result. `build` runs again, on the newer text, whenever the file changed between its read and the
 * replacement; what it throws (a refused edit) is thrown, the file unchanged. A write into the replaced file seen
 * after the replacement is brought into the file as it then is. Edits of one file in this process (the vocabulary,
 * the modes, the API's settings, from any number of clients) run one at a time, each on the file as the one before
 * left it: two running at once could both pass the check before either replaced the file, and one would be lost.
 */
export function editConfigFile<T>(
  file: string,
  build: (current: ConfigFileText | null) => { text: string; result: T },
): Promise<T> {
  const next = (editing.get(file) ?? Promise.resolve()).then(() => editNow(file, build));
  const settled = next.catch(() => undefined);
  editing.set(file, settled);
  void settled.then(() => {
    if (editing.get(file) === settled) editing.delete(file);
  });
  return next;
}

async function editNow<T>(
  file: string,
  build: (current: ConfigFileText | null) => { text: string; result: T },
): Promise<T> {
  let current = await readConfigFile(file);
  /** What the file must still hold for the new text to replace it. */
  let expected = current?.text ?? null;
  /** `build`'s result once its text has replaced the file: what is left then is to bring `rescued` in. */
  let done: { result: T } | null = null;
  let rescued: Change[] = [];
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const next: { text: string; result: T } = done
      ? { text: withChanges(current, rescued), result: done.result }
      : build(current);
    const temporary = await writeBeside(file, next.text);
    const now = await openCurrent(file);
    try {
      if (now.text !== expected) {
        current = await readConfigFile(file);
        expected = current?.text ?? null;
        continue;
      }
      await replace(temporary, file);
      done = { result: next.result };
      const late = now.handle ? await lateWrite(file, now.handle, now.text) : null;
      if (late === null) return next.result;
      // Someone wrote into the file just replaced, after the comparison: what they changed goes into the file.
      if (late.parsed instanceof ConfigFileError) {
        await replace(await writeBeside(file, late.text), file); // theirs back, as they wrote it
        throw late.parsed;
      }
      rescued = changes(current?.values ?? {}, late.parsed.values);
      current = await readConfigFile(file);
      expected = current?.text ?? null;
    } finally {
      await now.handle?.close();
      await rm(temporary, { force: true });
    }
  }
  throw new ConfigFileError(`${file} kept changing while the daemon was saving an edit to it: try again`);
}

/** The top-level members `after` sets differently from `before`, and those it removed. */
function changes(before: Record<string, unknown>, after: Record<string, unknown>): Change[] {
  const set = Object.keys(after)
    .filter((key) => JSON.stringify(after[key]) !== JSON.stringify(before[key]))
    .map((key) => ({ key, value: after[key] }));
  const removed = Object.keys(before)
    .filter((key) => !(key in after))
    .map((key) => ({ key, value: undefined }));
  return [...set, ...removed];
}

/** The file's text with these changes made to its top-level members (only their text is rewritten). */
function withChanges(current: ConfigFileText | null, changed: Change[]): string {
  let text = current?.text ?? "{}\n";
  for (const { key, value } of changed)
    text = value === undefined ? removeTopLevelMember(text, key) : setTopLevelMember(text, key, value);
  return text;
}

async function readText(file: string): Promise<string | null> {
  const { text, handle } = await openCurrent(file);
  await handle?.close();
  return text;
}

/** The file as it is now, kept open (null text and handle: there is none). */
async function openCurrent(file: string): Promise<{ text: string | null; handle: FileHandle | null }> {
  let handle: FileHandle | null;
  try {
    handle = await openConfigFile(file);
  } catch (error) {
    throw unusable(error);
  }
  if (!handle) return { text: null, handle };
  try {
    return { text: await readNow(file, handle), handle };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** What the open file holds now, from its start. */
async function readNow(file: string, handle: FileHandle): Promise<string> {
  try {
    return await readOpenConfigFile(file, handle);
  } catch (error) {
    throw unusable(error);
  }
}

/** A file that cannot be read as config.json, as the edit's failure: what it is and what to do. */
function unusable(error: unknown): unknown {
  if (!(error instanceof ConfigReadError)) return error;
  return new ConfigFileError(
    `${error.file} cannot be used (${error.reason}): make it a regular JSON file, or remove it to start from the ` +
      "defaults, then try again",
  );
}

/** What was written into the open file since it held `seen` (once it parses, or stops being written); null: nothing. */
async function lateWrite(
  file: string,
  handle: FileHandle,
  seen: string | null,
): Promise<{ text: string; parsed: ConfigFileText | ConfigFileError } | null> {
  for (let tries = 1; ; tries++) {
    const text = await readNow(file, handle);
    if (text === seen) return null;
    const parsed = parse(file, text);
    if (!(parsed instanceof ConfigFileError) || tries >= SETTLE_TRIES) return { text, parsed };
    await pause(SETTLE_MS);
  }
}

function parse(file: string, text: string): ConfigFileText | ConfigFileError {
  let values: unknown;
  try {
    values = JSON.parse(text);
  } catch (error) {
    return new ConfigFileError(
      `${file} is not valid JSON (${(error as Error).message}): fix it, or remove it to start from the defaults, then try again`,
    );
  }
  if (typeof values !== "object" || values === null || Array.isArray(values)) {
    return new ConfigFileError(`${file} must hold a JSON object: fix it, or remove it to start from the defaults`);
  }
  return { text, values: values as Record<string, unknown> };
}

/** Writes `text` to a new file beside `file`, with `file`'s permissions (0600 for a new one); returns its path. */
async function writeBeside(file: string, text: string): Promise<string> {
  const temporary = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`,
  );
  try {
    const mode = await stat(file).then(
      (stats) => stats.mode & 0o777,
      () => 0o600,
    );
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await writeFile(temporary, text, { mode });
    return temporary;
  } catch (error) {
    await rm(temporary, { force: true });
    throw new ConfigFileError(`cannot write ${file}: ${(error as Error).message}`);
  }
}

async function replace(temporary: string, file: string): Promise<void> {
  try {
    await rename(temporary, file);
  } catch (error) {
    throw new ConfigFileError(`cannot write ${file}: ${(error as Error).message}`);
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
