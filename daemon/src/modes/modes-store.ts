// The modes the daemon uses, and their edits through the protocol. config.json is the record: every request and
// every dictation reads it again (so hand edits count from then on), and an edit rewrites only the "modes" member's
// text through editConfigFile, which runs edits one at a time and never loses a hand edit saved meanwhile.
import { ProtocolError, modeProblem, type DictationMode, type ModeChanges, type ModesData } from "../protocol";
import { ConfigFileError, editConfigFile, readConfigFile, type ConfigFileText } from "../config-file/config-file-edit";
import { ConfigReadError, readConfigTextSync } from "../config-file/config-file-read";
import { setTopLevelMember } from "../config-file/json-member-edit";
import { BUILT_IN_MODES, DEFAULT_MODE, findMode, readModes, type ReadModes } from "./modes";

export class ModesStore {
  private read: ReadModes;

  constructor(
    private readonly configFile: string,
    initial: ReadModes,
    /** A new config.json (none was there) holds these settings besides the modes. */
    private readonly defaults: Record<string, unknown>,
    private readonly log: { warn(message: string, fields?: Record<string, unknown>): void },
  ) {
    this.read = initial;
  }

  /** The modes as config.json has them now (those read before when it cannot be read, saying so in the log). */
  current(): DictationMode[] {
    try {
      const text = readConfigTextSync(this.configFile);
      const values: unknown = text === null ? null : JSON.parse(text);
      const isObject = typeof values === "object" && values !== null && !Array.isArray(values);
      this.read = readModes(isObject ? (values as Record<string, unknown>).modes : undefined);
    } catch (error) {
      if (!(error instanceof ConfigReadError) && !(error instanceof SyntaxError)) throw error;
      this.log.warn("config.json could not be read for the modes; the dictation uses those read before", {
        error: error.message,
      });
    }
    return this.read.modes;
  }

  async list(): Promise<ModesData> {
    let file: ConfigFileText | null;
    try {
      file = await readConfigFile(this.configFile);
    } catch (error) {
      if (error instanceof ConfigFileError) throw configError(error.message, "the modes read before are used");
      throw error;
    }
    this.read = readModes(file?.values.modes);
    return this.data();
  }

  add(mode: DictationMode): Promise<ModesData> {
    return this.edit((modes) => {
      if (findMode(modes, mode.name)) {
        throw new ProtocolError(
          "bad_message",
          `there is already a mode ${JSON.stringify(mode.name)}: change it with verbatim modes edit`,
        );
      }
      return [...modes, { ...mode, name: mode.name.trim() }];
    });
  }

  changeMode(name: string, changes: ModeChanges): Promise<ModesData> {
    return this.edit((modes) => {
      const mode = existing(modes, name);
      const changed: Record<string, unknown> = { ...mode };
      for (const [key, value] of Object.entries(changes)) {
        if (value === null) delete changed[key];
        else if (value !== undefined) changed[key] = value;
      }
      const problem = modeProblem(changed);
      if (problem)
        throw new ProtocolError("bad_message", `the mode ${JSON.stringify(mode.name)} cannot be so: ${problem}`);
      return modes.map((m) => (m === mode ? (changed as unknown as DictationMode) : m));
    });
  }

  remove(name: string): Promise<ModesData> {
    return this.edit((modes) => {
      const mode = existing(modes, name);
      return modes.filter((m) => m !== mode);
    });
  }

  private data(): ModesData {
    return { modes: this.read.modes, defaultMode: DEFAULT_MODE, problems: this.read.problems };
  }

  /** Changes the list as written in config.json (modes it cannot use included, left as they are). */
  private async edit(change: (modes: DictationMode[]) => unknown[]): Promise<ModesData> {
    let written: unknown[];
    try {
      written = await editConfigFile(this.configFile, (file) => {
        const modes = listOf(file?.values.modes, this.configFile);
        const next = change(modes as DictationMode[]);
        const text = file
          ? setTopLevelMember(file.text, "modes", next)
          : JSON.stringify({ ...this.defaults, modes: next }, null, 2) + "\n";
        return { text, result: next };
      });
    } catch (error) {
      if (error instanceof ConfigFileError) throw configError(error.message);
      throw error;
    }
    this.read = readModes(written);
    return this.data();
  }
}

/** The "modes" member as written (absent: the built-in modes, which an edit then writes out). */
function listOf(value: unknown, file: string): unknown[] {
  if (value === undefined) return BUILT_IN_MODES.map((mode) => ({ ...mode }));
  if (!Array.isArray(value)) throw configError(`"modes" in ${file} is not a list: fix or remove it, then try again`);
  return value;
}

/** The mode of this name among those written (the usable ones: a mode config.json has wrong is fixed by hand). */
function existing(modes: unknown[], name: string): DictationMode {
  const usable = modes.filter((mode): mode is DictationMode => modeProblem(mode) === null);
  const mode = findMode(usable, name);
  if (!mode) {
    throw new ProtocolError(
      "not_found",
      `there is no mode ${JSON.stringify(name)}; the modes are ${usable.map((m) => m.name).join(", ")} (verbatim modes list)`,
    );
  }
  return mode;
}

function configError(message: string, outcome = "the modes were not changed"): ProtocolError {
  return new ProtocolError("config", `${message}; ${outcome}`);
}
